// Package bench is a load generator for servers that speak the XEP-0363
// upload protocol of docs/protocol.md (upedge, Prosody's external upload
// servers, HMAC File Server) and for plain WebDAV servers (nginx) as peers.
//
// It signs real slots with edge/token, so a target that checks tokens sees
// the requests an XMPP client would send, and loads it with fasthttp's
// client the way many clients at once do. Every PUT goes to a fresh path and
// sends a slice of one preallocated buffer, so the harness itself does
// little per request; its own CPU time is reported beside the figures, so a
// reader can tell when the client, not the server, was the limit.
package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Scenario names, in the order a full run takes them.
const (
	PutSmall = "put-small" // 4 KiB PUTs on 64 connections
	Put1M    = "put-1m"    // 1 MiB PUTs on 16 connections
	PutLarge = "put-large" // one 256 MiB PUT
	GetSmall = "get-small" // GETs of seeded 4 KiB files on 64 connections
	GetLarge = "get-large" // GETs of a seeded 64 MiB file
	Mixed    = "mixed"     // HEAD then GET of seeded files, as Conversations does
	Reject   = "reject"    // bad token, Expect: 100-continue, large Content-Length
	Slow     = "slow"      // many uploads trickling at 1 KiB/s
)

// ScenarioNames lists every scenario in run order.
var ScenarioNames = []string{PutSmall, Put1M, PutLarge, GetSmall, GetLarge, Mixed, Reject, Slow}

// Scenario is one load pattern and its sizing.
type Scenario struct {
	Name  string `json:"name"`
	Conns int    `json:"conns"`
	// Count bounds the operations; 0 means "until Duration". An operation
	// is one request, except in mixed (a HEAD and a GET) and slow (one
	// upload per connection: Count is Conns).
	Count int64 `json:"count"`
	// Duration bounds the measured phase: work still in flight then is
	// cut off and counted apart (Result.Cut), not as an error.
	Duration time.Duration `json:"duration_ns"`
	// Size is the body of a PUT, the size of a seeded file, or the
	// Content-Length that reject declares (and never sends).
	Size int64 `json:"size"`
	// Files is how many files get-small, get-large and mixed seed first.
	Files int `json:"files,omitempty"`
	// Rate is the bytes per second each slow upload sends.
	Rate int `json:"rate,omitempty"`
}

// DefaultScenario returns the sizing of the named scenario, with d as the
// duration bound of the scenarios that run for a time.
func DefaultScenario(name string, d time.Duration) (Scenario, error) {
	const kib, mib = 1 << 10, 1 << 20
	sc := Scenario{Name: name, Duration: d}
	switch name {
	case PutSmall:
		sc.Conns, sc.Size = 64, 4*kib
	case Put1M:
		sc.Conns, sc.Size = 16, mib
	case PutLarge:
		// One file; the bound only guards against a stalled server.
		sc.Conns, sc.Size, sc.Count, sc.Duration = 1, 256*mib, 1, max(d, 2*time.Minute)
	case GetSmall:
		sc.Conns, sc.Size, sc.Files = 64, 4*kib, 1000
	case GetLarge:
		sc.Conns, sc.Size, sc.Files = 4, 64*mib, 1
	case Mixed:
		sc.Conns, sc.Size, sc.Files = 32, 256*kib, 200
	case Reject:
		sc.Conns, sc.Size = 64, 1<<30
	case Slow:
		// 8 KiB at 1 KiB/s takes 8 s; the bound leaves room for 1000
		// connects and the answers.
		sc.Conns, sc.Size, sc.Rate = 1000, 8*kib, kib
		sc.Duration = max(d, 8*time.Second) + 10*time.Second
	default:
		return sc, fmt.Errorf("unknown scenario %q; want one of %s", name, strings.Join(ScenarioNames, ", "))
	}
	return sc, nil
}

// Target is one server under test.
type Target struct {
	Name   string  // label in reports, e.g. "upedge" or "nginx"
	Signer *Signer // signs the slots below the target's base URL
	// Pid, when not 0, is the server process: its peak RSS and CPU time
	// (with its child processes, e.g. nginx workers) go into the results.
	Pid int
	// Timeout bounds one request; 0 means 60 s.
	Timeout time.Duration
	// ContentType is sent with (and signed into) every PUT; "" sends no
	// Content-Type (signed as application/octet-stream).
	ContentType string
	// FileName is the name part of every slot; the random part differs
	// per PUT. "" means "bench file.bin" (a space, as real files have).
	FileName string
	// Seed, when set, provides the files the GET scenarios read instead
	// of uploading them with signed slots: it returns the GET URLs of
	// (at least) files files of size bytes each. Prosody's built-in
	// mod_http_file_share serves only slots it issued itself over XMPP,
	// so its files must be seeded through it (SeedCommand).
	Seed func(ctx context.Context, size int64, files int) ([]string, error)

	addr   string // host:port to dial
	host   string // Host header
	origin string // scheme://host[:port], the part of URLs not in a request line
	tls    bool
	runID  string // makes the slots of one harness run unique
}

// NewTarget returns a Target named name whose slots s signs; pid may be 0.
func NewTarget(name string, s *Signer, pid int) (*Target, error) {
	u, err := url.Parse(s.Base())
	if err != nil {
		return nil, fmt.Errorf("cannot parse base URL %q: %w", s.Base(), err)
	}
	t := &Target{Name: name, Signer: s, Pid: pid, host: u.Host, tls: u.Scheme == "https"}
	t.origin = u.Scheme + "://" + u.Host
	t.addr = u.Host
	if u.Port() == "" {
		if t.tls {
			t.addr += ":443"
		} else {
			t.addr += ":80"
		}
	}
	var id [6]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("cannot draw a run id: %w", err)
	}
	t.runID = hex.EncodeToString(id[:])
	return t, nil
}

// Options steer a Run without changing what it measures.
type Options struct {
	// Progress, when set, is called as the measured phase starts, with
	// the total work (operations, or milliseconds when the scenario runs
	// for a time) and its unit; the returned Progress is fed until the
	// phase ends.
	Progress func(desc string, total int64, unit string) Progress
}

// Progress is a progress display.
type Progress interface {
	Set(done int64)
	Finish()
}

// Run runs one scenario against t and returns its figures. Seeding (the
// files that the GET scenarios read) happens before the measured phase and
// is not in the figures. ctx cancels the run; the figures so far are
// returned.
func Run(ctx context.Context, t *Target, sc Scenario, opt Options) (*Result, error) {
	if sc.Conns <= 0 {
		return nil, fmt.Errorf("cannot run %s: connections must be positive, not %d", sc.Name, sc.Conns)
	}
	if sc.Duration <= 0 {
		return nil, fmt.Errorf("cannot run %s: the duration bound must be positive", sc.Name)
	}
	if sc.Size < 0 || (sc.Size == 0 && sc.Name != Reject) {
		return nil, fmt.Errorf("cannot run %s: size must be positive, not %d", sc.Name, sc.Size)
	}
	switch sc.Name {
	case PutSmall, Put1M, PutLarge:
		return runPut(ctx, t, sc, opt)
	case GetSmall, GetLarge:
		return runGet(ctx, t, sc, opt, false)
	case Mixed:
		return runGet(ctx, t, sc, opt, true)
	case Reject:
		return runReject(ctx, t, sc, opt)
	case Slow:
		if sc.Rate <= 0 {
			return nil, fmt.Errorf("cannot run %s: rate must be positive", sc.Name)
		}
		return runSlow(ctx, t, sc, opt)
	}
	return nil, fmt.Errorf("unknown scenario %q; want one of %s", sc.Name, strings.Join(ScenarioNames, ", "))
}
