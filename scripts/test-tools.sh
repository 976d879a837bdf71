#!/usr/bin/env bash
# Installs the real third-party clients the integration tests talk to (Debian packages):
# Alertmanager, and Chromium, which Playwright drives for the NOC page test
# (tests/integration/test_noc_page.py launches /usr/bin/chromium; no browser is downloaded).
set -euo pipefail
need=()
command -v prometheus-alertmanager >/dev/null 2>&1 || need+=(prometheus-alertmanager)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -eq 0 ]; then
  echo "[test-tools] all present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "[test-tools] installing ${need[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# Debian's package may start a system service; the tests run their own instance.
$sudo systemctl stop prometheus-alertmanager >/dev/null 2>&1 || true
echo "[test-tools] done"
