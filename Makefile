# sous — the two commands: `make run` and `make test`. `make bench` runs the benchmarks.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
# Where cargo puts binaries (honours CARGO_TARGET_DIR).
TARGET := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run test bench deps web-deps build build-debug lint fmt clean-data

## Install what is missing on this machine (PostgreSQL server, pg_cron, web packages).
deps:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory web-deps

web-deps:
	@if [ -f web/package-lock.json ] && [ ! -d web/node_modules ]; then npm ci --prefix web --no-audit --no-fund; fi

build:
	$(CARGO) build --release -p sous

build-debug:
	$(CARGO) build -p sous

## Build, start the embedded PostgreSQL, migrate, seed the demo brand and serve on :8080.
run: deps build
	$(TARGET)/release/sous serve

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets -- -D warnings

## Every test on a throwaway PostgreSQL cluster.
test: deps lint build-debug
	$(TARGET)/debug/sous test-cluster -- $(CARGO) nextest run --workspace --no-fail-fast

## Benchmarks, each reported as a ratio to a baseline measured in the same run.
bench: deps build
	@if [ ! -d bench/graphile/node_modules ]; then npm ci --prefix bench/graphile --no-audit --no-fund; fi
	$(CARGO) build --release -p bench
	$(TARGET)/release/bench

## Remove the local embedded cluster and generated secrets (the demo data goes with them).
clean-data:
	rm -rf .data
