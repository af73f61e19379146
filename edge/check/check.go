// Package check is `upedge check`: it runs against a live deployment's
// public URL, through whatever stands in front of the edge (nginx, Caddy,
// HAProxy, a load balancer), and reports, one line per check, whether
// uploads and downloads work as XMPP clients need them, with the likely
// cause and the fix of each failure.
//
// It makes its slots as an XMPP server does (edge/slot, edge/token) with
// the edge's secret, and sends a probe token (token.Signer.AppendProbe)
// with its uploads, so that the edge tells it what arrived
// (edge.ReceivedHeader): that is how a path rewritten or a body re-sent
// chunked by a proxy is seen as such rather than as a bad token.
package check

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/upedge/upedge/edge/token"
)

// Status is the outcome of one check.
type Status int

// The outcomes. Only Fail makes the run fail.
const (
	Pass Status = iota
	Warn
	Fail
	Skip
)

var statusNames = [...]string{"pass", "warn", "fail", "skip"}

// String returns "pass", "warn", "fail" or "skip".
func (s Status) String() string { return statusNames[s] }

// Mark returns the mark printed before a check's line.
func (s Status) Mark() string { return [...]string{"✓", "⚠", "✗", "–"}[s] }

// MarshalText makes Status a string in JSON.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads what MarshalText wrote, for monitoring in Go.
func (s *Status) UnmarshalText(b []byte) error {
	for i, n := range statusNames {
		if n == string(b) {
			*s = Status(i)
			return nil
		}
	}
	return fmt.Errorf("cannot parse check status %q: want pass, warn, fail or skip", b)
}

// Result is one check's outcome.
type Result struct {
	Name   string  `json:"name"`
	Status Status  `json:"status"`
	Detail string  `json:"detail"`
	Advice *Advice `json:"advice,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Base    string   `json:"base"`
	Version string   `json:"version"`
	OK      bool     `json:"ok"`
	Passed  int      `json:"passed"`
	Warned  int      `json:"warnings"`
	Failed  int      `json:"failed"`
	Skipped int      `json:"skipped"`
	Checks  []Result `json:"checks"`
}

// Options configure a run.
type Options struct {
	// Base is the base URL of the slots, as the XMPP server hands them
	// out (https://upload.example.org/upload/).
	Base string
	// Secret is the edge's secret.
	Secret []byte
	// Version is the token scheme of the slots; default token.V1.
	Version token.Version
	// Uploader signs v3 slots; default DefaultUploader.
	Uploader string
	// DeleteSecret, when set, lets the check remove its uploads with
	// Metronome's signed DELETE.
	DeleteSecret []byte
	// CAFile adds certificates to the system's roots (a private CA).
	CAFile string
	// Origin is the browser origin of the CORS checks; default
	// DefaultOrigin.
	Origin string
	// UploadSize is the size of the test upload; default
	// DefaultUploadSize.
	UploadSize int64
	// RefuseSize is the announced size of the refused uploads; default
	// DefaultRefuseSize.
	RefuseSize int64
	// Timeout bounds each request; default DefaultTimeout.
	Timeout time.Duration
	// Pause is how long a refused upload waits for its answer after its
	// first part, and an Expect: 100-continue for its 100; default
	// DefaultPause.
	Pause time.Duration
	// Now is the clock of v3 slots and the TLS check; default time.Now.
	Now func() time.Time
}

// Defaults of Options.
const (
	DefaultUploader = "upedge-check@localhost"
	DefaultOrigin   = "https://upedge-check.invalid"
	// DefaultUploadSize is just over nginx's default client_max_body_size
	// (1 MiB), so that a proxy left at it is caught.
	DefaultUploadSize = 1<<20 + 4<<10
	// DefaultRefuseSize is large enough that a proxy's and the kernel's
	// buffers together cannot hide whether the proxy buffers the body.
	DefaultRefuseSize = 16 << 20
	DefaultTimeout    = 30 * time.Second
	// DefaultPause is far above a round trip, also across continents.
	DefaultPause = 2 * time.Second
	// WarnDays is when an expiring certificate starts to be a warning.
	WarnDays = 14
)

// Run runs every check against opts.Base and reports. Its error is
// for options it cannot run with; everything the deployment gets wrong is
// in the report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("cannot check without the edge's secret")
	}
	base, err := url.Parse(opts.Base)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("cannot check %q: not an absolute URL", opts.Base)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
		base.RawPath = ""
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("cannot check %q: a base URL has no query or fragment", opts.Base)
	}
	if opts.Version == token.None {
		opts.Version = token.V1
	}
	if opts.Uploader == "" {
		opts.Uploader = DefaultUploader
	}
	if opts.Origin == "" {
		opts.Origin = DefaultOrigin
	}
	if opts.UploadSize <= 0 {
		opts.UploadSize = DefaultUploadSize
	}
	if opts.RefuseSize <= 0 {
		opts.RefuseSize = DefaultRefuseSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Pause <= 0 {
		opts.Pause = DefaultPause
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	c, err := newClient(base, opts.CAFile, opts.Timeout)
	if err != nil {
		return nil, err
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	r := &run{
		opts:   opts,
		base:   base,
		c:      c,
		signer: token.NewSigner(opts.Secret),
		dir:    "upedge-check-" + hex.EncodeToString(rnd[:]),
		rep:    &Report{Base: base.String(), Version: versionName(opts.Version)},
	}
	r.all(ctx)
	for _, res := range r.rep.Checks {
		switch res.Status {
		case Pass:
			r.rep.Passed++
		case Warn:
			r.rep.Warned++
		case Fail:
			r.rep.Failed++
		case Skip:
			r.rep.Skipped++
		}
	}
	r.rep.OK = r.rep.Failed == 0
	return r.rep, nil
}

// versionName names v as operators and --version do.
func versionName(v token.Version) string {
	if v == token.V1 {
		return "v1"
	}
	return v.String()
}

// JSON returns the report as JSON, for monitoring.
func (rep *Report) JSON() []byte {
	b, _ := json.MarshalIndent(rep, "", "  ")
	return append(b, '\n')
}

// Text returns the report as operators read it: a line per check, and the
// cause and fixes of each failure and warning below it.
func (rep *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upedge check %s (token %s)\n", rep.Base, rep.Version)
	width := 0
	for _, c := range rep.Checks {
		width = max(width, len(c.Name))
	}
	for _, c := range rep.Checks {
		fmt.Fprintf(&b, "%s %-*s  %s\n", c.Status.Mark(), width, c.Name, c.Detail)
		if a := c.Advice; a != nil && (c.Status == Fail || c.Status == Warn) {
			indent := strings.Repeat(" ", width+4)
			fmt.Fprintf(&b, "%scause:   %s\n", indent, a.Cause)
			for _, f := range []struct{ name, text string }{{"nginx", a.Nginx}, {"Caddy", a.Caddy}, {"HAProxy", a.HAProxy}, {"upedge", a.Upedge}} {
				if f.text != "" {
					fmt.Fprintf(&b, "%s%-8s %s\n", indent, f.name+":", f.text)
				}
			}
		}
	}
	fmt.Fprintf(&b, "%d passed, %d failed, %d warnings, %d skipped\n", rep.Passed, rep.Failed, rep.Warned, rep.Skipped)
	return b.String()
}
