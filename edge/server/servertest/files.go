package servertest

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// StoreFiles lists the regular files below store, the reserved directory
// included, relative to store.
func StoreFiles(t testing.TB, store string) []string {
	t.Helper()
	var files []string
	filepath.Walk(store, func(path string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(store, path)
			files = append(files, rel)
		}
		return nil
	})
	return files
}

// ProcStatusKiB returns a "Name:   N kB" field of /proc/PID/status
// (VmRSS, VmHWM) in KiB.
func ProcStatusKiB(tb testing.TB, pid int, field string) int64 {
	tb.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
			return n
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// RandomBytes returns n random bytes.
func RandomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}
