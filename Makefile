# sous — the two commands: `make run` and `make test`. `make bench` runs the benchmarks.
SHELL := /bin/bash
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
# Where cargo puts binaries (honours CARGO_TARGET_DIR).
TARGET := $(or $(CARGO_TARGET_DIR),target)

.PHONY: run test api-fuzz bench deps web-deps web-build web-test web-check screenshots build build-debug lint fmt clean-data

## Install what is missing on this machine (PostgreSQL server, pg_cron, web packages).
deps:
	@scripts/install-deps.sh
	@$(MAKE) --no-print-directory web-deps

# npm ci again when package-lock.json changed since the last install. Playwright drives Debian's
# Chromium (scripts/install-deps.sh), so its own browser download is skipped.
web-deps:
	@if [ -f web/package-lock.json ] && { [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; }; then \
		PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix web --no-audit --no-fund; fi

## Build the web app (Astro SSR) when a source file is newer than the last build.
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/astro.config.mjs web/package-lock.json
web/dist/server/entry.mjs: $(WEB_SRC)
	cd web && npm run build
	@touch $@
web-build: web-deps web/dist/server/entry.mjs

## Web type check, unit tests (vitest) and browser tests (Playwright + Chromium against a real
## `sous serve`, the debug binary).
web-test: web-build build-debug
	@$(MAKE) --no-print-directory web-check

# The checks alone: `make test` has built the binary already (a second `cargo build -p sous`
# after the workspace test build would relink it for nothing).
web-check: web-build
	cd web && npx tsc --noEmit -p .
	cd web && npx vitest run
	cd web && SOUS_BIN=$(abspath $(TARGET))/debug/sous npx playwright test

## Screenshots of every surface in both languages into docs/screenshots/.
screenshots: web-build build-debug
	cd web && SOUS_SCREENSHOTS=1 SOUS_BIN=$(abspath $(TARGET))/debug/sous npx playwright test

build:
	$(CARGO) build --release -p sous

build-debug:
	$(CARGO) build -p sous

## Build, start the embedded PostgreSQL, migrate, seed the demo brand and serve on :8080
## (the API under /api, the web app on every other path).
run: deps build web-build
	$(TARGET)/release/sous serve --demo

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all --check
	python3 scripts/module-cycles.py
	$(CARGO) clippy --all-targets -- -D warnings

## Every test on a throwaway PostgreSQL cluster, the API fuzz (schemathesis against a
## `sous serve --demo` of its own, about two minutes) and the web checks.
test: deps lint build-debug
	$(TARGET)/debug/sous test-cluster -- $(CARGO) nextest run --workspace --no-fail-fast
	scripts/api-fuzz.sh
	@$(MAKE) --no-print-directory web-check

## The API fuzz: schemathesis, every check, against a `sous serve --demo` of its own
## (scripts/api-fuzz.sh; the report goes to target/api-fuzz/).
api-fuzz: deps build-debug
	scripts/api-fuzz.sh

## Benchmarks, each reported as a ratio to a baseline measured in the same run.
bench: deps build web-build
	@if [ ! -d bench/graphile/node_modules ]; then npm ci --prefix bench/graphile --no-audit --no-fund; fi
	$(CARGO) build --release -p bench
	$(TARGET)/release/bench

## Remove the local embedded cluster and generated secrets (the demo data goes with them). As
## root the cluster may live under /var/lib/sous, linked from .data/pg (docs/operations.md §2).
clean-data:
	@if [ -L .data/pg ]; then rm -rf "$$(readlink .data/pg)"; fi
	rm -rf .data
