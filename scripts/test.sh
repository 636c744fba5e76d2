#!/usr/bin/env bash
# The one test command: installs what the suite needs when it is missing (Debian's prometheus package for promtool
# and prometheus, prometheus-alertmanager for amtool and alertmanager, docker-compose for `docker-compose config`,
# chromium for the headless browser tests, postgresql for the PostgreSQL store and replica tests),
# builds the solution and runs every test. Ends with a plain "N passed, N failed" line; exits non-zero when anything
# failed.
#
# --fast: the quick loop. Only the unit and in-process tests of tests/KpiCollector.Tests (filter
# Category!=Integration: no child process, no browser, no Prometheus or Alertmanager binaries), no Debian packages
# installed, same final line.
set -euo pipefail
cd "$(dirname "$0")/.."

fast=false
if [ "${1:-}" = "--fast" ]; then
  fast=true
elif [ $# -gt 0 ]; then
  echo "usage: bash scripts/test.sh [--fast]" >&2
  exit 2
fi

missing=()
if ! $fast; then
  { command -v promtool && command -v prometheus; } >/dev/null 2>&1 || missing+=(prometheus)
  { command -v amtool && command -v prometheus-alertmanager; } >/dev/null 2>&1 || missing+=(prometheus-alertmanager)
  command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
  # Headless browser tests (the landing page during a backfill, the drill-down page) render pages in Debian's Chromium.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The PostgreSQL store's tests and the replica tests start a throwaway cluster (initdb, pg_ctl) on loopback.
  { command -v initdb || ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> Installing Debian packages: ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    # The packages' services are not started here (no init system); the tests run the binaries themselves.
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

set +e
if $fast; then
  echo "==> dotnet test tests/KpiCollector.Tests --filter Category!=Integration"
  dotnet test tests/KpiCollector.Tests --filter "Category!=Integration" --logger "trx" --results-directory "$results" --blame-hang-timeout 5m
else
  echo "==> dotnet test KpiCollector.sln"
  dotnet test KpiCollector.sln --logger "trx" --results-directory "$results" --blame-hang-timeout 15m
fi
status=$?
set -e

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  field() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(field passed)))
  failed=$((failed + $(field failed) + $(field error) + $(field timeout) + $(field aborted)))
  skipped=$((skipped + $(field notExecuted)))
done

if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "dotnet test exited with $status before any test failed (build error or crashed test host): see above."
fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
exit "$status"
