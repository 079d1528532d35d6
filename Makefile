# The two commands of the README, and the chores around them.
GO       ?= go
FUZZTIME ?= 30s

.PHONY: run test build vet fuzz bench seed docker

## run: start the service on the embedded default (SQLite + in-process search and cache under ./data)
run:
	$(GO) run ./cmd/techmarket serve

## seed: load the demo data set into the embedded default
seed:
	$(GO) run ./cmd/techmarket seed --demo

## test: vet and every test with the race detector; MariaDB/Redis/Meilisearch
## integration tests run when TECHMARKET_TEST_MYSQL_DSN, TECHMARKET_TEST_REDIS_URL
## and TECHMARKET_MEILI_URL are set (.ci/run sets the first two)
test: vet
	$(GO) test -race -count=1 -timeout 20m ./...

vet:
	$(GO) vet ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -o bin/techmarket ./cmd/techmarket

## fuzz: run every fuzz target for FUZZTIME each (a duration such as 30s, or
## a count such as 5000x; CI uses a count, as a duration can end a healthy run
## with "context deadline exceeded": golang/go#75804, fixed in Go 1.27).
## Targets are found by their source, so no other test binary is built.
fuzz:
	@set -e; for f in $$(grep -l '^func Fuzz' $$(find . -name '*_test.go' -not -path './data/*')); do \
	  for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$(dirname $$f) $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$(dirname $$f); \
	  done; \
	done

## bench: the HTTP benchmarks (set TECHMARKET_TEST_MYSQL_DSN for the MariaDB runs)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

docker:
	docker build -t techmarket .
