#!/usr/bin/env bash
# Install the browser the browser tests drive: Debian's Chromium and its driver.
#
# Idempotent: does nothing when /usr/bin/chromium and /usr/bin/chromedriver are both
# there. Playwright drives this system Chromium (executable_path=/usr/bin/chromium),
# so no browser is ever downloaded at test time.
set -euo pipefail

if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
  echo "chromium and chromedriver are already installed: $(/usr/bin/chromium --version 2>/dev/null || true)"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "error: installing chromium needs root (or sudo), and neither is available" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium chromium-driver
echo "installed: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
