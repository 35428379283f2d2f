#!/usr/bin/env bash
# Prepare this checkout to run (and, with --test, to test) HPI.
#
#   bash scripts/setup.sh           .venv + requirements.txt + a JS runtime Reflex accepts
#   bash scripts/setup.sh --dev     ... plus requirements-dev.txt (pytest, ruff, playwright)
#   bash scripts/setup.sh --test    ... plus a Chromium for the browser tests
#
# Idempotent and fast on re-run: each step is skipped when its result is already there
# (pip installs are keyed on a hash of the requirements files, stored inside .venv).
# Writes .tools/env.sh, which the Makefile sources before running anything.
#
# Environment knobs:
#   HPI_PYTHON    interpreter to build .venv with (default: first of python3,
#                 python3.13, python3.12, python3.11 that is >= 3.11)
#   HPI_CHROMIUM  Chromium/Chrome binary for the browser tests (skips detection)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=$ROOT/.venv
TOOLS=$ROOT/.tools
ENV_FILE=$TOOLS/env.sh
LOGS=$TOOLS/logs      # full output of the noisy steps, shown on failure
BUN_VERSION=1.4.4     # minimum bun Reflex 0.10 accepts, and the one we install
NODE_MIN=22.22.0      # minimum Node Reflex 0.10 accepts for npm

want_dev=0
want_browser=0
for arg in "$@"; do
    case $arg in
        --dev) want_dev=1 ;;
        --test) want_dev=1 want_browser=1 ;;
        -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "setup.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
    esac
done

say() { printf '==> %s\n' "$*"; }
die() { printf 'setup.sh: error: %s\n' "$*" >&2; exit 1; }

# version_ge A B: true when version A >= version B (dotted numbers, leading "v" ignored).
version_ge() {
    local a=${1#v} b=${2#v}
    [ "$(printf '%s\n%s\n' "$a" "$b" | sort -V | head -n1)" = "$b" ]
}

# Prints the version of a program (first dotted number of `prog --version`), or nothing.
prog_version() {
    "$1" --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)+' | head -n1 || true
}

files_hash() { cat "$@" | sha256sum | cut -d' ' -f1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------- Python venv

py_ok() {  # true when "$1" runs and is Python >= 3.11
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

find_python() {
    local c
    for c in ${HPI_PYTHON:-} python3 python3.13 python3.12 python3.11; do
        if command -v "$c" >/dev/null 2>&1 && py_ok "$c"; then
            command -v "$c"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ] && py_ok "$VENV/bin/python" \
        && "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
        return 0
    fi
    local py
    py=$(find_python) || die "Python >= 3.11 is required (found: $(python3 --version 2>&1 || echo none)). Install it, or point HPI_PYTHON at one."
    [ -e "$VENV" ] && { say "Removing unusable .venv"; rm -rf "$VENV"; }
    say "Creating .venv with $py ($("$py" --version 2>&1))"
    if ! "$py" -m venv "$VENV" 2>"$LOGS/venv.log"; then
        rm -rf "$VENV"
        # Debian ships venv/ensurepip separately (python3-venv / python3.X-venv).
        if is_root && command -v apt-get >/dev/null 2>&1; then
            local minor
            minor=$("$py" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
            say "python -m venv failed; installing python3-venv with apt-get"
            apt_install python3-venv "python$minor-venv" || die "could not install python3-venv"
            "$py" -m venv "$VENV" || { rm -rf "$VENV"; die "python -m venv failed"; }
        else
            cat "$LOGS/venv.log" >&2
            die "python -m venv failed (on Debian: apt-get install python3-venv)"
        fi
    fi
}

# pip_sync STAMP_NAME FILE...: pip install -r the first FILE unless the hash of all FILEs
# (plus the venv's Python version) matches the stamp left by the last successful install.
pip_sync() {
    local name=$1; shift
    local f stamp="$VENV/.hpi-$name.stamp" want
    for f in "$@"; do [ -f "$f" ] || die "$f is missing"; done
    want="$(files_hash "$@") $("$VENV/bin/python" -c 'import sys; print(sys.version)' | head -n1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        say "$1 up to date"
        return 0
    fi
    say "Installing $1 (pip)"
    if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        -r "$1" >"$LOGS/pip-$name.log" 2>&1; then
        grep -v "^WARNING: Location 'file:" "$LOGS/pip-$name.log" | tail -n 30 >&2
        die "pip install -r $1 failed (full log: .tools/logs/pip-$name.log)"
    fi
    printf '%s\n' "$want" >"$stamp"
}

# ---------------------------------------------------------------- apt helper

APT_UPDATED=0
apt_install() {  # apt_install PKG...: install, running apt-get update only if needed
    export DEBIAN_FRONTEND=noninteractive
    if apt-get install -y -qq "$@" >"$LOGS/apt.log" 2>&1; then
        return 0
    fi
    if [ $APT_UPDATED -eq 0 ]; then
        say "apt-get install failed; running apt-get update and retrying"
        apt-get update -qq >>"$LOGS/apt.log" 2>&1 || true
        APT_UPDATED=1
        apt-get install -y -qq "$@" >>"$LOGS/apt.log" 2>&1 && return 0
    fi
    tail -n 20 "$LOGS/apt.log" >&2
    return 1
}

# ---------------------------------------------------------------- JS runtime
# Reflex 0.10 needs bun >= 1.4.4 or Node >= 22.22 (for npm). Its own bun download needs
# the open internet, so when neither is on PATH we install bun from the npm registry
# into .tools/ (git-ignored). Sets JS_ENV: lines for .tools/env.sh.

JS_ENV=""
ensure_js_runtime() {
    local v sysbun
    # A bun on PATH counts, unless it is our own (PATH set by an earlier `. .tools/env.sh`).
    sysbun=$(command -v bun 2>/dev/null || true)
    case $sysbun in "$TOOLS"/*) sysbun="" ;; esac
    if [ -n "$sysbun" ] && v=$(prog_version "$sysbun") && [ -n "$v" ] \
        && version_ge "$v" "$BUN_VERSION"; then
        say "JS runtime: system bun $v ($sysbun)"
        # Make Reflex use this bun rather than a (possibly stale) one in its own data dir.
        JS_ENV="export REFLEX_USE_SYSTEM_BUN=1"
        return 0
    fi
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
        && v=$(prog_version node) && [ -n "$v" ] && version_ge "$v" "$NODE_MIN"; then
        say "JS runtime: system Node $v with npm"
        # Without this Reflex tries to download bun (no internet) before falling back to npm.
        JS_ENV="export REFLEX_USE_NPM=1"
        return 0
    fi

    local bin=$TOOLS/node_modules/.bin
    v=$( [ -x "$bin/bun" ] && prog_version "$bin/bun" || true)
    if [ -z "$v" ] || ! version_ge "$v" "$BUN_VERSION"; then
        command -v npm >/dev/null 2>&1 \
            || die "need bun >= $BUN_VERSION or Node >= $NODE_MIN on PATH, or npm to install bun into .tools/"
        say "Installing bun@$BUN_VERSION into .tools/ (npm)"
        mkdir -p "$TOOLS"
        # npm says bun's postinstall was skipped; the binary works anyway (checked below).
        npm install --prefix "$TOOLS" --no-audit --no-fund --save-exact --loglevel=error \
            "bun@$BUN_VERSION" >/dev/null
        v=$(prog_version "$bin/bun")
        if [ -z "$v" ] || ! version_ge "$v" "$BUN_VERSION"; then
            die "bun from the npm registry does not run ($bin/bun --version failed)"
        fi
    fi
    say "JS runtime: bun $v (.tools/node_modules/.bin)"
    JS_ENV="case \":\$PATH:\" in *\":$bin:\"*) ;; *) export PATH=\"$bin:\$PATH\" ;; esac
export REFLEX_USE_SYSTEM_BUN=1"
}

# ---------------------------------------------------------------- Chromium
# Sets CHROMIUM to a working Chromium/Chrome binary for the Playwright tests.

CHROMIUM=""
chromium_runs() { [ -n "$1" ] && [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

playwright_chromium() {  # path of Playwright's own Chromium, when it is installed
    "$VENV/bin/python" - <<'EOF' 2>/dev/null || true
import os
from playwright.sync_api import sync_playwright
with sync_playwright() as p:
    path = p.chromium.executable_path
if os.path.exists(path):
    print(path)
EOF
}

ensure_chromium() {
    local c
    if [ -n "${HPI_CHROMIUM:-}" ]; then
        chromium_runs "$HPI_CHROMIUM" || die "HPI_CHROMIUM=$HPI_CHROMIUM does not run"
        CHROMIUM=$HPI_CHROMIUM
    else
        for c in /usr/bin/chromium chromium chromium-browser google-chrome; do
            c=$(command -v "$c" 2>/dev/null) || continue
            if chromium_runs "$c"; then CHROMIUM=$c; break; fi
        done
        if [ -z "$CHROMIUM" ]; then
            c=$(playwright_chromium)
            chromium_runs "$c" && CHROMIUM=$c
        fi
        if [ -z "$CHROMIUM" ]; then
            say "No Chromium found; trying 'playwright install chromium'"
            if timeout 300 "$VENV/bin/python" -m playwright install chromium >"$LOGS/playwright.log" 2>&1; then
                c=$(playwright_chromium)
                chromium_runs "$c" && CHROMIUM=$c
            else
                say "playwright install failed (no internet?); see .tools/logs/playwright.log"
            fi
        fi
        if [ -z "$CHROMIUM" ] && is_root && command -v apt-get >/dev/null 2>&1; then
            say "Installing Debian's chromium (apt-get)"
            if apt_install chromium && chromium_runs /usr/bin/chromium; then
                CHROMIUM=/usr/bin/chromium
            fi
        fi
        [ -n "$CHROMIUM" ] \
            || die "no Chromium for the browser tests: install one (Debian: apt-get install chromium) or set HPI_CHROMIUM=/path/to/chrome"
    fi
    say "Chromium: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null | head -n1))"
}

# ---------------------------------------------------------------- env file

write_env() {
    local chromium_line="" tmp c
    if [ -n "$CHROMIUM" ]; then
        chromium_line="export HPI_CHROMIUM=\"$CHROMIUM\""
    elif [ -f "$ENV_FILE" ]; then
        # A base setup keeps the Chromium found by an earlier --test setup.
        chromium_line=$(grep -E '^export HPI_CHROMIUM=' "$ENV_FILE" || true)
        c=$(printf '%s' "$chromium_line" | sed -E 's/^export HPI_CHROMIUM="?([^"]*)"?$/\1/')
        [ -n "$c" ] && [ -x "$c" ] || chromium_line=""
    fi
    mkdir -p "$TOOLS"
    tmp=$(mktemp "$TOOLS/env.sh.XXXXXX")
    {
        echo "# Generated by scripts/setup.sh; do not edit. Source it: . .tools/env.sh"
        [ -n "$JS_ENV" ] && printf '%s\n' "$JS_ENV"
        [ -n "$chromium_line" ] && printf '%s\n' "$chromium_line"
        true
    } >"$tmp"
    if cmp -s "$tmp" "$ENV_FILE" 2>/dev/null; then
        rm -f "$tmp"
    else
        mv "$tmp" "$ENV_FILE"
    fi
}

# ---------------------------------------------------------------- main

mkdir -p "$LOGS"
ensure_venv
pip_sync req requirements.txt
if [ $want_dev -eq 1 ]; then
    pip_sync dev requirements-dev.txt requirements.txt
fi
ensure_js_runtime
if [ $want_browser -eq 1 ]; then
    ensure_chromium
fi
write_env
say "Setup done"
