#!/usr/bin/env bash
# Makes the example transcripts of this folder: seven unattended nightly runs
# of runbooks/health-check.md, with the cache warming slower on some nights and
# the API check failing on one, for `runsheet history` to show.
#
#   runbooks/history/generate.sh            # from the top of the repository
#   runsheet history runbooks/history/
#   runsheet history --html history.html runbooks/history/
#
# RUNSHEET names the binary (default: target/release/runsheet, built if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
runsheet=${RUNSHEET:-target/release/runsheet}
[ -x "$runsheet" ] || cargo build --release --quiet
rm -f runbooks/history/night-*.run.md
night=0
# Seconds the cache takes to warm each night; the API is down on night 5.
for warm in 0.2 0.3 0.25 0.9 1.4 0.35 0.3; do
  night=$((night + 1))
  api_down=""
  [ "$night" -eq 5 ] && api_down=1
  CACHE_WARM_SECONDS=$warm API_DOWN=$api_down "$runsheet" run --yes --keep-going \
    runbooks/health-check.md -o "runbooks/history/night-$night.run.md" >/dev/null 2>&1 || true
done
ls runbooks/history/night-*.run.md
