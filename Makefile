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

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

## bench: the HTTP benchmarks (set TECHMARKET_TEST_MYSQL_DSN for the MariaDB runs)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

docker:
	docker build -t techmarket .
