package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// SeedCommand returns a Target.Seed that runs cmd with /bin/sh, the file
// size in bytes as $1 and the number of files as $2, and takes the GET
// URLs it prints on stdout, one a line (scripts/bench-peers.sh seeds
// Prosody's own file share so, through XMPP with slixmpp).
func SeedCommand(cmd string) func(ctx context.Context, size int64, files int) ([]string, error) {
	return func(ctx context.Context, size int64, files int) ([]string, error) {
		c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd, "seed", strconv.FormatInt(size, 10), strconv.Itoa(files))
		var stderr bytes.Buffer
		c.Stderr = &stderr
		out, err := c.Output()
		if err != nil {
			return nil, fmt.Errorf("cannot seed %d files of %d bytes with %q: %w\n%s", files, size, cmd, err, lastLines(stderr.String(), 5))
		}
		urls := strings.Fields(string(out))
		if len(urls) < files {
			return nil, fmt.Errorf("cannot seed %d files of %d bytes with %q: it printed %d URLs\n%s", files, size, cmd, len(urls), lastLines(stderr.String(), 5))
		}
		return urls, nil
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
