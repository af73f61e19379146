package bench

import (
	"strconv"
	"time"

	"github.com/upedge/upedge/edge/config"
)

// sizeValue is a byte count flag read by config.ParseByteSize, the parser
// of every size upedge reads (4096, 4KiB, 1MiB, 1GiB, 2KB, ...), so that
// `upedge bench` and `upedge serve` take the same spellings.
type sizeValue struct{ n *int64 }

func (s sizeValue) String() string {
	if s.n == nil {
		return "0"
	}
	return strconv.FormatInt(*s.n, 10)
}

func (s sizeValue) Set(v string) error {
	n, err := config.ParseByteSize(v)
	if err != nil {
		return err
	}
	*s.n = int64(n)
	return nil
}

// Type names the value in pflag's usage lines.
func (sizeValue) Type() string { return "size" }

// scenarioFlags are the sizing flags of one scenario; zero means default.
type scenarioFlags struct {
	conns    int
	count    int64
	duration time.Duration
	size     int64
	files    int
	rate     int
}

// override sets *dst to v when the flag was given (v > 0): zero leaves the
// scenario's default.
func override[T int | int64 | time.Duration](dst *T, v T) {
	if v > 0 {
		*dst = v
	}
}
