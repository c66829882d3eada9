#!/bin/sh
# The Debian packages the test suite needs besides Python's: Chromium (the live page's browser
# tests drive /usr/bin/chromium through Playwright, which downloads no browser) and ffmpeg (the
# MP4 animation). `make test` calls this first. It installs whichever is missing where it can
# (apt-get, as root or with passwordless sudo); where it cannot, it prints one line saying what
# to install, and the tests that need it skip with that reason (fail under CI=true).
set -u
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

missing=""
[ -x "$CHROMIUM" ] || missing="$missing chromium"
command -v ffmpeg >/dev/null 2>&1 || missing="$missing ffmpeg"
[ -z "$missing" ] && exit 0

as_root=""
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as_root="sudo -n"; else as_root="no"; fi
fi
if [ "$as_root" != no ] && command -v apt-get >/dev/null 2>&1; then
    echo "make test: installing the Debian packages the tests need:$missing"
    # shellcheck disable=SC2086 # $as_root and $missing are word lists
    if $as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
        exit 0
    fi
    echo "make test: could not install$missing with apt-get; install them by hand (sudo apt-get install$missing); the tests needing them are skipped" >&2
    exit 0
fi
echo "make test: missing$missing; install them (Debian: sudo apt-get install --no-install-recommends$missing); the tests needing them are skipped" >&2
exit 0
