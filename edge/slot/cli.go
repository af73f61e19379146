package slot

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/upedge/upedge/edge/token"
)

// defaultV3Expiry is how far ahead `upedge sign --version v3-expires` puts
// expires when --expires is not given.
const defaultV3Expiry = time.Hour

// Main is `upedge sign`: it prints a slot as an XMPP server would hand it
// out, for operators checking a deployment and for tests: the PUT and the
// GET URL, one a line, and for a JWT slot (Prosody's mod_http_file_share)
// then the Authorization header line and the claims it signed. With
// --delete it prints Metronome's signed DELETE URL of PATH instead. args
// are the arguments after "sign". It returns the exit code: 0, or 2 for a
// usage error (the message is on stderr).
func Main(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("upedge sign", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	secret := fs.String("secret", "", "shared secret")
	version := fs.String("version", "v1", "token scheme: "+strings.Join(append([]string{"v1"}, token.SchemeNames()[1:]...), ", "))
	base := fs.String("base", "http://127.0.0.1:5050/upload/", "base URL of the slots (the XMPP server's http_upload_external_base_url or http_file_share_base_url)")
	ctype := fs.String("type", "", "Content-Type the client will send (v2, token, v3), or a JWT's filetype; empty: application/octet-stream")
	uploader := fs.String("uploader", "", "uploader JID (v3; a JWT's sub)")
	ts := fs.Int64("ts", 0, "v3 timestamp, or a JWT's iat, in UNIX seconds (default: now)")
	expires := fs.Int64("expires", 0, "v3-expires: expires in UNIX seconds (default: an hour from now); jwt: the file's expires claim (default: none)")
	exp := fs.Int64("exp", 0, "jwt: the token's exp in UNIX seconds (default: --ts + 300, as Prosody)")
	del := fs.Bool("delete", false, "print Metronome's signed DELETE URL of PATH (no SIZE); needs --delete-secret")
	deleteSecret := fs.String("delete-secret", "", "Metronome's http_file_delete_secret, for --delete")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: upedge sign --secret S [flags] PATH SIZE\n       upedge sign --secret S --delete-secret D --delete PATH\n\nPATH is the decoded slot path below the prefix, e.g. 'abc123/my photo.jpg'.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	wantArgs := 2
	if *del {
		wantArgs = 1
	}
	if fs.NArg() != wantArgs || *secret == "" {
		fs.Usage()
		return 2
	}
	path := strings.TrimPrefix(fs.Arg(0), "/")
	signer := token.NewSigner([]byte(*secret))
	if *del {
		if *deleteSecret == "" {
			fmt.Fprintln(stderr, "upedge sign: --delete needs --delete-secret")
			return 2
		}
		fmt.Fprintln(stdout, DeleteURL(signer, []byte(*deleteSecret), *base, path))
		return 0
	}
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
	if ver == token.JWT && strings.Count(path, "/") != 1 {
		fmt.Fprintf(stderr, "upedge sign: a jwt slot path is SLOT/FILENAME, got %q\n", path)
		return 2
	}
	now := time.Now()
	if *ts == 0 {
		*ts = now.Unix()
	}
	if ver == token.V3Expires && *expires == 0 {
		*expires = now.Add(defaultV3Expiry).Unix()
	}
	s := Sign(signer, Request{
		Version: ver, Base: *base, Path: path, Size: size,
		ContentType: *ctype, Uploader: *uploader, Timestamp: *ts,
		Expires: *expires, Exp: *exp,
	})
	fmt.Fprintln(stdout, s.Put)
	fmt.Fprintln(stdout, s.Get)
	if s.Authorization != "" {
		fmt.Fprintln(stdout, "Authorization: "+s.Authorization)
		// The claims, as the token carries them.
		parts := strings.Split(s.Authorization, ".")
		claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
		fmt.Fprintln(stdout, string(claims))
	}
	return 0
}
