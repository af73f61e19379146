# upedge: `make run` starts the edge on configs/upedge.toml with ./data;
# `make test` runs the whole suite.
GO      ?= go
BIN     := bin/upedge
CONFIG  ?= configs/upedge.toml

.PHONY: all build run test test-unit e2e bench fmt vet clean fuzz-ci deb deb-test

all: build

build:
	$(GO) build -o $(BIN) ./cmd/upedge

run: build
	$(BIN) serve --config $(CONFIG)

# The whole suite, with the race detector. Tests that need real servers
# (nginx, Prosody, an S3 server) install and start them through scripts/.
test:
	$(GO) vet ./...
	scripts/test-deps.sh
	$(GO) test -race -count=1 -timeout 25m ./...
	$(GO) test -count=1 -run 'Alloc' ./...

# Quick unit run without the race detector.
test-unit:
	$(GO) test -count=1 ./...

# Real Prosody (mod_http_upload_external with token v1 and v2, the built-in
# mod_http_file_share with JWTs), ejabberd, go-sendxmpp and slixmpp against
# a freshly built edge (edge/server/xmppe2e). `make test` runs it too, as part of
# ./...; it installs its Debian packages through scripts/e2e-setup.sh when
# root or CI=true, and skips with a message otherwise.
e2e:
	$(GO) test -count=1 -v -timeout 10m ./edge/server/xmppe2e/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf bin dist

# The Debian package, dist/upedge_<version>_<arch>.deb, built with nfpm
# (scripts/deb.sh; nfpm is installed at its pinned version when missing).
deb:
	scripts/deb.sh build

# The package's test (root; CI runs it after `make test`): lintian, then
# install, run as the unit does, upload, download, reload, remove, purge,
# and what each leaves (scripts/deb-test.sh). About a minute.
deb-test:
	scripts/deb.sh test

# Every fuzz target for a bounded time each (CI calls this after `make test`).
# A failure leaves its input under the package's testdata/fuzz/ to commit.
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report a spurious "context deadline exceeded" failure as the time runs out
# (golang/go#75804, fixed in Go 1.27). 200000 inputs take 5-15 s a target
# here.
FUZZTIME ?= 200000x
FUZZ_TARGETS := \
	./edge/token:FuzzVerify \
	./edge/token:FuzzVerifyJWT \
	./edge/token:FuzzVerifyProbe \
	./edge/urlpath:FuzzRelative \
	./backend/httpsem:FuzzParseRange \
	./edge/ops/compress:FuzzPick \
	./backend/longname:FuzzMap \
	./edge:FuzzHeaderReceived \
	./edge:FuzzValidHSTS

fuzz-ci:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; \
	done

# --- bench-peers (issues 4, 10): upedge against nginx, and against Prosody's
# own mod_http_file_share driven with JWTs, on loopback, written to
# bench/RESULTS.md, bench/RESULTS-prosody.md and their results.* files.
# About 5 minutes (BENCH_PEERS=prosody or nginx for one); not part of
# `make test` (the harness's own tests are).
.PHONY: bench-peers
bench-peers:
	scripts/bench-peers.sh
