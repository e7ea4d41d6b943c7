#!/usr/bin/env bash
# End-to-end test of the dashboard in headless Chromium.
#   .ci/e2e.sh PATH/TO/clv [SCREENSHOT_DIR]
# Installs Debian's chromium and chromium-driver when missing, builds nothing, runs
# tests/e2e/dashboard.py against `clv serve`, and exits non-zero when a check fails.
set -euo pipefail

clv="${1:?usage: .ci/e2e.sh PATH/TO/clv [SCREENSHOT_DIR]}"
shots="${2:-${E2E_SCREENSHOTS:-target/e2e-screenshots}}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ ! -x "$clv" ]; then
    echo "e2e: no executable clv at $clv" >&2
    exit 2
fi

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    echo "e2e: installing chromium and chromium-driver" >&2
    sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium chromium-driver
fi

mkdir -p "$shots"
python3 tests/e2e/dashboard.py --clv "$clv" --screenshots "$shots"
