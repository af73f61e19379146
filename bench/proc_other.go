//go:build !linux

package bench

// Without /proc there is no cheap portable way to read another process's
// memory and CPU time; these stubs make the harness report none.

func resetPeakRSS(pid int) bool { return false }

func procTree(pid int) []int { return nil }

func treeCPU(pids []int) float64 { return 0 }

func treeMem(pids []int) (rss, hwm int64) { return 0, 0 }

func cpuModelAndKernel() (model, kernel string) { return "", "" }
