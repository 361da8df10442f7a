#!/usr/bin/env bash
# Installs what sous needs when it is missing: a PostgreSQL server and pg_cron for it, and
# Chromium for the web app's browser tests (from the distribution's packages, Debian/Ubuntu), the
# cargo-nextest test runner (from crates.io) and the schemathesis API fuzzer (from PyPI, into a
# virtual environment; scripts/tools.env says which version and where). No prebuilt binaries from anywhere else. Safe to run repeatedly: it does
# nothing when everything is there. `sous doctor` checks the server is 15 or newer.
set -euo pipefail

. "$(dirname "$0")/tools.env"

have_pg() {
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ] && return 0
    done
    command -v postgres >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1
}

pg_major() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sed -E 's#.*/postgresql/([0-9]+)/bin#\1#' | sort -n | tail -1
}

have_cron() {
    local major
    major=$(pg_major)
    [ -n "$major" ] && [ -f "/usr/lib/postgresql/$major/lib/pg_cron.so" ]
}

apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "install-deps: no apt-get here; install PostgreSQL >= 15 (and pg_cron) yourself: $*" >&2
        return 1
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root or sudo to install: $*" >&2; return 1; }
        sudo="sudo"
    fi
    if [ -z "${SOUS_APT_UPDATED:-}" ]; then
        $sudo apt-get update -qq
        export SOUS_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}

if ! have_pg; then
    echo "install-deps: installing the PostgreSQL server"
    apt_install postgresql
fi
if ! have_cron; then
    major=$(pg_major)
    echo "install-deps: installing pg_cron for PostgreSQL $major"
    # pg_cron is optional: sous falls back to its in-process scheduler without it.
    apt_install "postgresql-$major-cron" || echo "install-deps: pg_cron unavailable; continuing without it" >&2
fi

if ! command -v chromium >/dev/null 2>&1; then
    echo "install-deps: installing Chromium (the web app's browser tests drive it)"
    apt_install chromium
fi

if ! cargo nextest --version >/dev/null 2>&1; then
    echo "install-deps: installing cargo-nextest (the test runner)"
    cargo install cargo-nextest --locked
fi

if [ ! -x "$SCHEMATHESIS_VENV/bin/st" ]; then
    echo "install-deps: installing schemathesis $SCHEMATHESIS_VERSION into $SCHEMATHESIS_VENV (the API fuzz)"
    command -v python3 >/dev/null 2>&1 || apt_install python3
    rm -rf "$SCHEMATHESIS_VENV"
    # Debian's python3 leaves venv's pip bootstrap to a package of its own.
    if ! python3 -m venv "$SCHEMATHESIS_VENV" >/dev/null 2>&1; then
        rm -rf "$SCHEMATHESIS_VENV"
        apt_install python3-venv
        python3 -m venv "$SCHEMATHESIS_VENV"
    fi
    "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi
