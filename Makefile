# upedge: `make run` starts the edge on configs/upedge.toml with ./data;
# `make test` runs the whole suite.
GO      ?= go
BIN     := bin/upedge
CONFIG  ?= configs/upedge.toml

.PHONY: all build run test test-unit bench fmt vet clean fuzz-ci

all: build

build:
	$(GO) build -o $(BIN) ./cmd/upedge

run: build
	$(BIN) serve --config $(CONFIG)

# The whole suite, with the race detector. Tests that need real servers
# (nginx, Prosody, an S3 server) install and start them through scripts/.
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 25m ./...
	$(GO) test -count=1 -run 'Alloc' ./...

# Quick unit run without the race detector.
test-unit:
	$(GO) test -count=1 ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fmt:
	gofmt -w $$(git ls-files '*.go')

vet:
	$(GO) vet ./...

clean:
	rm -rf bin

# Every fuzz target for a bounded time each (CI calls this after `make test`).
# A failure leaves its input under the package's testdata/fuzz/ to commit.
FUZZTIME ?= 10s
FUZZ_TARGETS := \
	./edge/token:FuzzVerify \
	./edge/urlpath:FuzzRelative \
	./edge:FuzzParseRange \
	./edge/compress:FuzzPick

fuzz-ci:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "fuzz $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) $$pkg; \
	done
