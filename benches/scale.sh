#!/usr/bin/env bash
# Scale bench (issue 3, second benchmark): N hosts with transport `local` (each its own
# `sh` process) × M checks through the executor and the JSON reporter to /dev/null.
# Prints wall time, results/s and peak RSS for a few fleet sizes, so one can see whether
# memory grows with the results (it must not: the reporter streams) or only with the plan.
#
#   benches/scale.sh [HOSTS] [CHECKS] [JOBS]      (defaults: 1000 100 64)
#
# Needs a release build (cargo build --release) and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-1000}
CHECKS=${2:-100}
JOBS=${3:-64}
BIN=target/release/driftscope
[ -x "$BIN" ] || cargo build --release
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# CHECKS distinct sysctl keys readable on this machine (one logical check per key).
mkdir -p "$TMP/checks"
benches/sysctl_checks.sh "$CHECKS" > "$TMP/checks/scale.toml"

inventory() { # $1 = host count
  echo '[environment]'
  echo 'name = "scale"'
  echo '[defaults]'
  echo 'transport = "local"'
  for i in $(seq 1 "$1"); do
    echo '[[host]]'
    echo "name = \"h$i\""
  done
}

measure() { # $1 = host count
  inventory "$1" > "$TMP/inv.toml"
  /usr/bin/time -f '%e %M' -o "$TMP/time" \
    "$BIN" run --inventory "$TMP/inv.toml" --checks "$TMP/checks" --format json \
    --no-store --jobs "$JOBS" > "$TMP/out.json" || true
  read -r wall rss_kb < "$TMP/time"
  results=$(grep -c '"outcome"' "$TMP/out.json" || true)
  bytes=$(stat -c %s "$TMP/out.json")
  # The same configuration loaded and planned only (`driftscope checks`): the memory the
  # plan itself takes, which a run cannot go below.
  /usr/bin/time -f '%M' -o "$TMP/time2" \
    "$BIN" checks --inventory "$TMP/inv.toml" --checks "$TMP/checks" > /dev/null || true
  read -r plan_kb < "$TMP/time2"
  awk -v h="$1" -v r="$results" -v w="$wall" -v m="$rss_kb" -v p="$plan_kb" -v b="$bytes" 'BEGIN {
    printf "%6d hosts  %7d results  %6.2f s  %7.0f results/s  peak RSS %6.1f MiB  (plan alone %6.1f MiB; run - plan = %5.1f MiB)  JSON %.0f MiB\n",
      h, r, w, r / (w > 0 ? w : 0.001), m / 1024, p / 1024, (m - p) / 1024, b / 1048576 }'
}

echo "scale bench: $CHECKS checks per host, --jobs $JOBS, $(nproc) CPUs, $(uname -r)"
for h in $((HOSTS / 4)) $((HOSTS / 2)) "$HOSTS"; do
  measure "$h"
done
