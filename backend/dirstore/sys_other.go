//go:build !linux

package dirstore

import (
	"errors"

	"golang.org/x/sys/unix"
)

// The store relies on O_PATH, O_TMPFILE and user xattrs; elsewhere it
// compiles, so that the packages using it do, but New fails.
var errNeedsLinux = errors.New("the store directory needs Linux")

func openRoot(string) (int, error) { return -1, errNeedsLinux }

func setXattr(int, string, []byte) error { return errNeedsLinux }

func getXattr(int, string, []byte) int { return 0 }

func getXattrAt(string, string, []byte) (int, error) { return 0, errNeedsLinux }

func setContentType(int, string) {}

func getContentType(int, []byte) int { return 0 }

func statTimes(*unix.Stat_t) (mtim, ctim unix.Timespec) { return }

func replaceFd(int, int) error { return errNeedsLinux }

func setRealName(int, string) {}

func nameMax(int) (int, error) { return 0, errNeedsLinux }
