package bench

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"time"
)

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

// clockTicks is USER_HZ, the unit of /proc/PID/stat times; it is 100 on
// every Linux architecture Go supports, and reading it would need cgo.
const clockTicks = 100

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
		if os.WriteFile("/proc/"+strconv.Itoa(q)+"/clear_refs", []byte("5"), 0) != nil {
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

// procTree returns pid and its descendants, or nothing when pid is gone.
func procTree(pid int) []int {
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err != nil {
		return nil
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return []int{pid}
	}
	children := map[int][]int{}
	for _, e := range ents {
		q, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f, ok := statFields(q); ok {
			if pp, err := strconv.Atoi(string(f[1])); err == nil {
				children[pp] = append(children[pp], q)
			}
		}
	}
	tree := []int{pid}
	for i := 0; i < len(tree); i++ {
		tree = append(tree, children[tree[i]]...)
	}
	return tree
}

// statFields returns the fields of /proc/PID/stat after the command name:
// [0] is the state, [1] the parent, [11] utime, [12] stime.
func statFields(pid int) ([][]byte, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	// The command name is in parentheses and may hold spaces and ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return nil, false
	}
	return f, true
}

// treeCPU sums the user and system CPU seconds of pids.
func treeCPU(pids []int) float64 {
	var ticks int64
	for _, q := range pids {
		f, ok := statFields(q)
		if !ok {
			continue
		}
		u, _ := strconv.ParseInt(string(f[11]), 10, 64)
		s, _ := strconv.ParseInt(string(f[12]), 10, 64)
		ticks += u + s
	}
	return float64(ticks) / clockTicks
}

// treeMem sums VmRSS and VmHWM of pids, in bytes.
func treeMem(pids []int) (rss, hwm int64) {
	for _, q := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(q) + "/status")
		if err != nil {
			continue
		}
		rss += statusKB(b, "VmRSS:")
		hwm += statusKB(b, "VmHWM:")
	}
	return rss, hwm
}

// statusKB reads a "Key:   123 kB" line of /proc/PID/status as bytes.
func statusKB(b []byte, key string) int64 {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0
	}
	line := b[i+len(key):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := bytes.Fields(line)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return n << 10
}
