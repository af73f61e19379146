package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/upedge/upedge/edge/config"
	"github.com/upedge/upedge/edge/token"
)

// Main is `upedge check`: it runs the checks against --base and prints the
// report (--json: as JSON). It returns the exit status: 0 when no check
// failed (warnings allowed), 1 when one did, 2 for a usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("upedge check", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "", "base URL of the slots, as the XMPP server hands them out (https://upload.example.org/upload/)")
	secret := fs.String("secret", "", "the edge's secret (prefer --secret-file)")
	secretFile := fs.String("secret-file", "", "file holding the edge's secret (its secret_file, e.g. /etc/upedge/secret)")
	version := fs.String("version", "v1", "token scheme of the slots: "+strings.Join(token.SchemeNames(), ", "))
	uploader := fs.String("uploader", DefaultUploader, "uploader of v3 slots")
	deleteFile := fs.String("delete-secret-file", "", "file holding the edge's delete_secret (its delete_secret_file), to remove the test files with Metronome's signed DELETE")
	caFile := fs.String("ca-file", "", "PEM certificates to trust besides the system's (a private CA)")
	origin := fs.String("origin", DefaultOrigin, "browser origin of the CORS checks")
	size := fs.String("size", config.ByteSize(DefaultUploadSize).String(), "size of the test upload")
	refuse := fs.String("refuse-size", config.ByteSize(DefaultRefuseSize).String(), "announced size of the refused test uploads")
	timeout := fs.Duration("timeout", DefaultTimeout, "bound on each request")
	asJSON := fs.Bool("json", false, "print the report as JSON (for monitoring)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: upedge check --base URL --secret-file F [flags]\n\nChecks a live deployment through whatever is in front of the edge; exit status 1 when a check fails.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "upedge check: "+format+"\n", a...)
		return 2
	}
	if *base == "" || fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	opts := Options{Base: *base, Uploader: *uploader, CAFile: *caFile, Origin: *origin, Timeout: *timeout}
	var err error
	if opts.Secret, err = readSecret(*secret, *secretFile, "--secret"); err != nil {
		return usage("%v", err)
	}
	if len(opts.Secret) == 0 {
		return usage("give the edge's secret with --secret-file (or --secret)")
	}
	if *deleteFile != "" {
		if opts.DeleteSecret, err = readSecret("", *deleteFile, ""); err != nil {
			return usage("%v", err)
		}
	}
	if opts.Version, err = token.ParseVersion(*version); err != nil {
		return usage("%v", err)
	}
	for _, s := range []struct {
		flag, v string
		dst     *int64
	}{{"--size", *size, &opts.UploadSize}, {"--refuse-size", *refuse, &opts.RefuseSize}} {
		n, err := config.ParseByteSize(s.v)
		if err != nil || n <= 0 {
			return usage("%s: %q is not a positive size", s.flag, s.v)
		}
		*s.dst = int64(n)
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		return usage("%v", err)
	}
	if *asJSON {
		stdout.Write(rep.JSON())
	} else {
		io.WriteString(stdout, rep.Text())
	}
	if !rep.OK {
		return 1
	}
	return 0
}

// readSecret returns value, or the contents of file without its trailing
// newline, as the edge reads secret_file.
func readSecret(value, file, flag string) ([]byte, error) {
	if file == "" {
		return []byte(value), nil
	}
	if value != "" {
		return nil, fmt.Errorf("give %s or its file, not both", flag)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("cannot read the secret: %w", err)
	}
	return []byte(strings.TrimRight(string(b), "\r\n")), nil
}
