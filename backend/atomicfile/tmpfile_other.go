//go:build !linux

package atomicfile

import "errors"

// errNoTmpfile: unnamed temporaries (O_TMPFILE) are Linux's; elsewhere
// TempDir makes named ones.
var errNoTmpfile = errors.New("O_TMPFILE needs Linux")

func openTmpfile(string) (int, error) { return -1, errNoTmpfile }

func linkTmpfile(int, string) error { return errNoTmpfile }
