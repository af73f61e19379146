package bench

import (
	"sync"
	"time"
)

// The figures come from /proc (proc_linux.go); elsewhere the stubs of
// proc_other.go report no process, and reports carry no server figures.

// ProcStats are the figures of a server process and its children (nginx
// serves from worker processes) during one measured phase. RSS figures are
// sums over the processes, so pages they share count once per process.
type ProcStats struct {
	Pid        int     `json:"pid"`
	Procs      int     `json:"procs"`       // processes in the tree
	RSSBefore  int64   `json:"rss_before"`  // bytes when the phase started
	PeakRSS    int64   `json:"peak_rss"`    // bytes, highest seen in the phase
	CPUSeconds float64 `json:"cpu_seconds"` // user + system during the phase
	PeakFromHW bool    `json:"peak_from_hwm"`
}

// procWatch samples a process tree until stopped.
type procWatch struct {
	pid   int
	hwm   bool // peak RSS counters were reset at the start
	cpu0  float64
	stats ProcStats
	mu    sync.Mutex
	quit  chan struct{}
	done  chan struct{}
}

// watchProc starts sampling the tree of pid every period. It resets the
// kernel's peak RSS counters (VmHWM) of the tree where it may, so that the
// peak of this phase is not hidden by an earlier one; sampling VmRSS covers
// the case where it may not.
func watchProc(pid int, period time.Duration) *procWatch {
	p := &procWatch{pid: pid, quit: make(chan struct{}), done: make(chan struct{})}
	pids := procTree(pid)
	p.hwm = len(pids) > 0
	for _, q := range pids {
		if !resetPeakRSS(q) {
			p.hwm = false
		}
	}
	rss, _ := treeMem(pids)
	p.stats = ProcStats{Pid: pid, Procs: len(pids), RSSBefore: rss, PeakRSS: rss}
	p.cpu0 = treeCPU(pids)
	go p.loop(period)
	return p
}

func (p *procWatch) loop(period time.Duration) {
	defer close(p.done)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-tick.C:
			p.sample()
		}
	}
}

func (p *procWatch) sample() []int {
	pids := procTree(p.pid)
	rss, hwm := treeMem(pids)
	p.mu.Lock()
	p.stats.PeakRSS = max(p.stats.PeakRSS, rss)
	if p.hwm && hwm > p.stats.PeakRSS {
		p.stats.PeakRSS = hwm
		p.stats.PeakFromHW = true
	}
	p.stats.Procs = max(p.stats.Procs, len(pids))
	p.mu.Unlock()
	return pids
}

// stop ends the sampling and returns the figures of the phase.
func (p *procWatch) stop() *ProcStats {
	close(p.quit)
	<-p.done
	pids := p.sample()
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.CPUSeconds = max(treeCPU(pids)-p.cpu0, 0)
	return &s
}
