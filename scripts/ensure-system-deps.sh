#!/bin/sh
# Install the system packages the test suite needs, if missing (idempotent; instant when present):
#   chromium   - headless browser for the Playwright end-to-end test (tests/e2e)
#   postgresql - server binaries; tests/service starts its own throwaway cluster on a free
#                local port in a temporary directory and removes it afterwards
# Debian/Ubuntu only (apt-get). Run as root (CI does); otherwise it prints what to install.
set -eu

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql"

if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-system-deps: missing:$missing" >&2
    echo "  install with: sudo apt-get install -y$missing   (or run this script as root)" >&2
    echo "  the end-to-end test fails and the PostgreSQL tests skip (with this reason) until then" >&2
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-system-deps: no apt-get; install$missing with your package manager" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
