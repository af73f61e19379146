package bench

import (
	"fmt"
	"runtime"
)

// Latency percentiles of the answered requests, in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Result holds the figures of one scenario against one target.
type Result struct {
	Scenario string  `json:"scenario"`
	Target   string  `json:"target"`
	Conns    int     `json:"conns"`
	Size     int64   `json:"size"`
	Count    int64   `json:"count,omitempty"` // the operations asked for; 0: ran for the duration
	Bound    float64 `json:"bound_s"`         // the duration bound
	Elapsed  float64 `json:"elapsed_s"`
	// Requests were answered with a final status; OK of them with the
	// status the scenario wants (2xx for PUT, 200 for GET/HEAD, 4xx for
	// reject).
	Requests int64 `json:"requests"`
	OK       int64 `json:"ok"`
	// Errors failed without an answer (refused, reset, timeout);
	// ErrorKinds counts them by kind.
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
	// Cut were in flight when the duration bound passed; they are in no
	// other count.
	Cut      int64            `json:"cut"`
	Statuses map[string]int64 `json:"statuses"`
	// Bytes is the payload moved: bodies of stored PUTs, bodies of GETs.
	Bytes int64 `json:"bytes"`
	// Reject only: bytes of request heads written, body bytes written
	// (always 0: the harness never sends the body, and says so), and
	// 100 Continue answers (the server asked for the body).
	HeaderBytesSent int64 `json:"header_bytes_sent,omitempty"`
	BodyBytesSent   int64 `json:"body_bytes_sent"`
	Continues       int64 `json:"continues,omitempty"`

	OKPerSec float64 `json:"ok_per_s"`
	MBPerSec float64 `json:"mb_per_s"` // 10^6 bytes per second
	Latency  Latency `json:"latency"`

	// ClientCPU is the CPU time the harness used in the phase; beside
	// Server.CPUSeconds it shows when the client was the limit.
	ClientCPU float64    `json:"client_cpu_s"`
	Server    *ProcStats `json:"server,omitempty"`
	Notes     []string   `json:"notes,omitempty"`
}

// notes adds the warnings a reader needs to judge the figures.
func (r *Result) notes() {
	if r.Elapsed > 0 && r.ClientCPU >= 0.9*r.Elapsed*float64(runtime.NumCPU()) {
		r.Notes = append(r.Notes, fmt.Sprintf("client used %.1f of %d CPUs: the figure measures the client", r.ClientCPU/r.Elapsed, runtime.NumCPU()))
	} else if r.Server != nil && r.ClientCPU > r.Server.CPUSeconds && r.ClientCPU > 0.5*r.Elapsed {
		r.Notes = append(r.Notes, fmt.Sprintf("client used more CPU (%.2f s) than the server (%.2f s): the client may be the limit", r.ClientCPU, r.Server.CPUSeconds))
	}
	if r.Continues > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("server answered 100 Continue %d times: it wanted the body of a bad upload (not sent)", r.Continues))
	}
	// Requests in flight when a timed scenario ends are cut by design;
	// in a counted one they mean the bound came first.
	if r.Cut > 0 && r.Count > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d requests in flight at the duration bound were cut off", r.Cut))
	}
	if r.Errors > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d requests failed without an answer: %v", r.Errors, r.ErrorKinds))
	}
}

// Headline is the figure a scenario is judged by, and whether more is
// better: requests per second for small requests, MB/s for large ones,
// server peak RSS for slow uploads.
func (r *Result) Headline() (value float64, unit string, higherBetter bool) {
	switch r.Scenario {
	case Put1M, PutLarge, GetLarge:
		return r.MBPerSec, "MB/s", true
	case Slow:
		if r.Server != nil {
			return float64(r.Server.PeakRSS) / (1 << 20), "MiB peak RSS", false
		}
		return r.OKPerSec, "uploads/s", true
	case Reject:
		return r.OKPerSec, "rejections/s", true
	}
	return r.OKPerSec, "req/s", true
}
