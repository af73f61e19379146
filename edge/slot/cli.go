package slot

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/upedge/upedge/edge/token"
)

// Main is `upedge sign`: it prints the PUT and the GET URL of a slot, one a
// line, as an XMPP server would hand them out, for operators checking a
// deployment and for tests. args are the arguments after "sign". It returns
// the exit code: 0, or 2 for a usage error (the message is on stderr).
func Main(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("upedge sign", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", "", "shared secret")
	version := fs.String("version", "v1", "token version: v1, v2, token or v3")
	base := fs.String("base", "http://127.0.0.1:5050/upload/", "base URL of the slots (the XMPP server's http_upload_external_base_url)")
	ctype := fs.String("type", "", "Content-Type the client will send (v2, token, v3); empty: application/octet-stream")
	uploader := fs.String("uploader", "", "uploader JID (v3)")
	ts := fs.Int64("ts", 0, "v3 timestamp in UNIX seconds (default: now)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: upedge sign --secret S [flags] PATH SIZE\n\nPATH is the decoded slot path below the prefix, e.g. 'abc123/my photo.jpg'.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 2 || *secret == "" {
		fs.Usage()
		return 2
	}
	path := strings.TrimPrefix(fs.Arg(0), "/")
	size, err := strconv.ParseInt(fs.Arg(1), 10, 64)
	if err != nil || size < 0 {
		fmt.Fprintf(stderr, "upedge sign: SIZE %q is not a byte count\n", fs.Arg(1))
		return 2
	}
	ver, err := token.ParseVersion(*version)
	if err != nil {
		fmt.Fprintf(stderr, "upedge sign: %v\n", err)
		return 2
	}
	if ver == token.V3 && *uploader == "" {
		fmt.Fprintln(stderr, "upedge sign: v3 needs --uploader")
		return 2
	}
	if *ts == 0 {
		*ts = time.Now().Unix()
	}
	putURL, getURL := URLs([]byte(*secret), Request{
		Version: ver, Base: *base, Path: path, Size: size,
		ContentType: *ctype, Uploader: *uploader, Timestamp: *ts,
	})
	fmt.Fprintln(stdout, putURL)
	fmt.Fprintln(stdout, getURL)
	return 0
}
