//go:build linux

package bench

import (
	"bytes"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/PID/stat times; it is 100 on
// every Linux architecture Go supports, and reading it would need cgo.
const clockTicks = 100

// resetPeakRSS resets the kernel's peak RSS counter (VmHWM) of pid and
// reports whether it could.
func resetPeakRSS(pid int) bool {
	return os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0) == nil
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

// cpuModelAndKernel reads the CPU model name and the kernel release; each is
// "" when it cannot be read.
func cpuModelAndKernel() (model, kernel string) {
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		kernel = strings.TrimSpace(string(b))
	}
	return model, kernel
}
