package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/upedge/upedge/backend/httpsem"
)

const usage = `usage: upedge bench --base URL --secret S [flags]

Loads an XEP-0363 upload server (docs/protocol.md) with signed slots, and
optionally a peer (--vs, e.g. nginx WebDAV, which ignores tokens) in the
same run, scenario by scenario, target first.

Scenarios (--scenarios, comma-separated, default all):
  put-small  4 KiB PUTs, 64 connections        put-1m     1 MiB PUTs, 16 connections
  put-large  one 256 MiB PUT                   get-small  GET seeded 4 KiB files, 64 connections
  get-large  GET a seeded 64 MiB file, 4 conns mixed      HEAD then GET of seeded 256 KiB files
  reject     bad token + Expect: 100-continue + 1 GiB Content-Length; the body is never sent
  slow       1000 uploads of 8 KiB at 1 KiB/s each (watch the server's RSS)
Each is sized by --NAME-conns, --NAME-count (0: run for the duration),
--NAME-duration, --NAME-size (4KiB, 1MiB, ...), --NAME-files (GET scenarios)
and --slow-rate (bytes/s).

Output: a table on stdout (progress bars when stdout is a terminal), or
JSON with --json; --md FILE and --html FILE write reports as well.

Flags:
`

// Main runs `upedge bench` with args (without the program and command
// names) and returns the exit code: 0 when every scenario ran, 1 when one
// could not, 2 for bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("upedge bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	base := fs.String("base", "", "base URL of the target's slots, e.g. http://127.0.0.1:8080/upload/ (required)")
	secret := fs.String("secret", "", "the target's shared secret")
	version := fs.String("version", "v1", "token scheme: v1, v2, token, v3, v3-expires or jwt (a JWT in an Authorization header on every PUT)")
	uploader := fs.String("uploader", "bench@example.org", "uploader signed into v3 tokens and JWTs (sub)")
	ctype := fs.String("type", httpsem.DefaultContentType, "Content-Type sent with and signed into every PUT (\"\" sends none)")
	fileName := fs.String("file-name", DefaultFileName, "name part of every slot")
	baseName := fs.String("base-name", "target", "label of the target in reports")
	serverPid := fs.Int("server-pid", 0, "pid of the target server: report its peak RSS and CPU time")
	vs := fs.String("vs", "", "base URL of a peer to run every scenario against too")
	vsName := fs.String("vs-name", "peer", "label of the peer in reports")
	vsSecret := fs.String("vs-secret", "", "the peer's secret (default: --secret)")
	vsVersion := fs.String("vs-version", "", "the peer's token version (default: --version)")
	vsPid := fs.Int("vs-pid", 0, "pid of the peer server (its children, e.g. nginx workers, are counted too)")
	seedCmd := fs.String("seed-cmd", "", "shell command that seeds the GET scenarios' files on the target ($1: size in bytes, $2: count) and prints their GET URLs, one a line; default: upload them with signed slots")
	vsSeedCmd := fs.String("vs-seed-cmd", "", "--seed-cmd for the peer (Prosody's mod_http_file_share serves only slots it issued over XMPP)")
	scenarios := fs.String("scenarios", "all", "comma-separated scenarios to run, or all")
	duration := fs.Duration("duration", 10*time.Second, "bound of each scenario that runs for a time")
	timeout := fs.Duration("timeout", time.Minute, "bound of one request")
	asJSON := fs.Bool("json", false, "write the results as JSON on stdout instead of the table")
	mdFile := fs.String("md", "", "also write the results as Markdown tables to `FILE`")
	htmlFile := fs.String("html", "", "also write an HTML report with charts to `FILE`")
	syncFirst := fs.Bool("sync", false, "flush the machine's dirty pages (sync) before each scenario and target, when the servers write to this machine's disks")
	per := map[string]*scenarioFlags{}
	for _, name := range ScenarioNames {
		f := &scenarioFlags{}
		per[name] = f
		fs.IntVar(&f.conns, name+"-conns", 0, "connections of "+name+" (0: default)")
		fs.DurationVar(&f.duration, name+"-duration", 0, "duration bound of "+name+" (0: default)")
		fs.Var(sizeValue{&f.size}, name+"-size", "body or file size of "+name+" (0: default)")
		if name != Slow {
			fs.Int64Var(&f.count, name+"-count", 0, "operations of "+name+" (0: default)")
		}
		switch name {
		case GetSmall, GetLarge, Mixed:
			fs.IntVar(&f.files, name+"-files", 0, "files "+name+" seeds (0: default)")
		case Slow:
			fs.IntVar(&f.rate, "slow-rate", 0, "bytes per second of each slow upload (0: default)")
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0 // pflag has printed the usage
		}
		// pflag, unlike the standard flag package, prints nothing
		// with ContinueOnError; say what was wrong, then how to do it.
		fmt.Fprintf(stderr, "upedge bench: %v\n", err)
		fs.Usage()
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "upedge bench: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *base == "" {
		fmt.Fprintln(stderr, "upedge bench: --base is required")
		fs.Usage()
		return 2
	}
	if *duration <= 0 {
		fmt.Fprintln(stderr, "upedge bench: --duration must be positive")
		return 2
	}

	var plan []Scenario
	names := ScenarioNames
	if *scenarios != "all" && *scenarios != "" {
		names = strings.Split(*scenarios, ",")
	}
	for _, name := range names {
		name = strings.TrimSpace(name)
		sc, err := DefaultScenario(name, *duration)
		if err != nil {
			fmt.Fprintf(stderr, "upedge bench: %v\n", err)
			return 2
		}
		f := per[name]
		override(&sc.Conns, f.conns)
		override(&sc.Count, f.count)
		override(&sc.Duration, f.duration)
		override(&sc.Size, f.size)
		override(&sc.Files, f.files)
		override(&sc.Rate, f.rate)
		plan = append(plan, sc)
	}

	var targets []*Target
	mk := func(name, u, sec, ver string, pid int, seedWith string) error {
		s, err := NewSigner(u, sec, ver, *uploader, nil)
		if err != nil {
			return err
		}
		t, err := NewTarget(name, s, pid)
		if err != nil {
			return err
		}
		t.Timeout, t.ContentType, t.FileName = *timeout, *ctype, *fileName
		if seedWith != "" {
			t.Seed = SeedCommand(seedWith)
		}
		targets = append(targets, t)
		return nil
	}
	if err := mk(*baseName, *base, *secret, *version, *serverPid, *seedCmd); err != nil {
		fmt.Fprintf(stderr, "upedge bench: %v\n", err)
		return 2
	}
	if *vs != "" {
		if *vsSecret == "" {
			*vsSecret = *secret
		}
		if *vsVersion == "" {
			*vsVersion = *version
		}
		if *vsName == *baseName {
			fmt.Fprintln(stderr, "upedge bench: --vs-name must differ from --base-name")
			return 2
		}
		if err := mk(*vsName, *vs, *vsSecret, *vsVersion, *vsPid, *vsSeedCmd); err != nil {
			fmt.Fprintf(stderr, "upedge bench: %v\n", err)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep := &Report{Started: time.Now().UTC(), Command: commandLine(args), Machine: ThisMachine()}
	for _, t := range targets {
		rep.Targets = append(rep.Targets, t.Name)
	}
	var opt Options
	if isTerminal(stdout) && !*asJSON {
		opt.Progress = func(desc string, total int64, unit string) Progress {
			return bar{progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(stdout),
				progressbar.OptionSetDescription(desc),
				progressbar.OptionSetWidth(30),
				progressbar.OptionThrottle(100*time.Millisecond),
				progressbar.OptionClearOnFinish(),
				progressbar.OptionSetItsString(unit))}
		}
	}
	code := 0
	for _, sc := range plan {
		// Each scenario runs on the target, then the peer: the two
		// meet the machine in the same state, and one scenario's
		// leftovers (dirty pages, files) affect both alike.
		for _, t := range targets {
			if ctx.Err() != nil {
				break
			}
			if *syncFirst {
				// Uploads of one run leave gigabytes of dirty pages;
				// the kernel's writeback of them would throttle the
				// writes of whichever server comes next.
				syscall.Sync()
			}
			res, err := Run(ctx, t, sc, opt)
			if err != nil {
				fmt.Fprintf(stderr, "upedge bench: %v\n", err)
				code = 1
				continue
			}
			rep.Results = append(rep.Results, res)
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "upedge bench: interrupted; the figures so far follow")
		code = 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintf(stderr, "upedge bench: cannot write JSON: %v\n", err)
			code = 1
		}
	} else if err := rep.WriteTable(stdout); err != nil {
		fmt.Fprintf(stderr, "upedge bench: %v\n", err)
		code = 1
	}
	for _, out := range []struct {
		file  string
		write func(io.Writer) error
	}{{*mdFile, rep.WriteMarkdown}, {*htmlFile, rep.WriteHTML}} {
		if out.file == "" {
			continue
		}
		if err := writeFile(out.file, out.write); err != nil {
			fmt.Fprintf(stderr, "upedge bench: %v\n", err)
			code = 1
		}
	}
	return code
}

type bar struct{ *progressbar.ProgressBar }

func (b bar) Set(n int64) { _ = b.Set64(n) }
func (b bar) Finish()     { _ = b.ProgressBar.Finish() }

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// commandLine renders the command for reports, with secrets left out.
func commandLine(args []string) string {
	out := []string{"upedge", "bench"}
	hide := false
	for _, a := range args {
		switch {
		case hide:
			a, hide = "REDACTED", false
		case a == "--secret" || a == "-secret" || a == "--vs-secret" || a == "-vs-secret":
			hide = true
		default:
			for _, p := range []string{"--secret=", "-secret=", "--vs-secret=", "-vs-secret="} {
				if strings.HasPrefix(a, p) {
					a = p + "REDACTED"
				}
			}
		}
		if strings.ContainsAny(a, " \t\"'$") {
			a = strconv.Quote(a)
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}

func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("cannot create %s: %w", name, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", name, err)
	}
	return nil
}
