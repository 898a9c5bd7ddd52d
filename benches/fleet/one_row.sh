#!/usr/bin/env bash
# one_row.sh [N] [DELAY_MS] — a one-row re-check (one check, one host, over its kept
# connection: what `r` on a row does) in round trips, on the shared bench fleet
# (../shared/bench/fleet.sh up N DELAY_MS: DELAY_MS each way, RTT = 2 × DELAY_MS).
#
# In one run, alternated, RUNS times each (median [min–max], ms and × RTT):
#   ssh true     `ssh -S <master> host01 true`: a new session over an open master (OpenSSH's
#                own mux client; the 2-RTT reference: channel open, exec + exit)
#   ssh stdin    `echo true | ssh -S <master> host01 sh -s`: the script on stdin (3 RTT)
#   spare        driftscope's re-check over the spare session waiting on host01 (the TUI's)
#   fresh        the same through a transport without spare sessions (a new session)
# and whether the spare re-check meets issue 15's "≤ 2 RTT + 15 ms".
#
# Env: RUNS=9  THINK_MS=300 (pause before each driftscope re-check, as between key presses)
#      KEEP_FLEET=1  FLEET_BENCH_DIR. Needs root (the fleet uses a netns with a delay).
# Take the locks: flock /tmp/driftscope-bench.lock flock /tmp/driftscope-fleet.lock \
#                   benches/fleet/one_row.sh 5 10
set -euo pipefail
N=${1:-5}
DELAY=${2:-10}
RUNS=${RUNS:-9}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${DRBENCH_STATE:-/tmp/drbench}"
# shellcheck source=../fleet/harness.sh
source "$REPO/benches/fleet/harness.sh"

"$FLEET" up "$N" "$DELAY" >&2
TMP=$(mktemp -d /tmp/ds-one-row.XXXXXX)
cleanup() {
  "$FLEET" exec ssh -F "${CFG:-/dev/null}" -S "$TMP/cm" -O exit host01 2>/dev/null || true
  rm -rf "$TMP"
  [[ ${KEEP_FLEET:-0} == 1 ]] || "$FLEET" down >&2 || true
}
trap cleanup EXIT
# shellcheck disable=SC1091
source "$STATE/fleet.env"
CFG="$FLEET_SSH_CONFIG"

echo "building fleet_warm (release) …" >&2
(cd "$REPO" && cargo build --release --quiet --example fleet_warm)
"$HERE/gen_inventory.sh" "$STATE" >"$TMP/fleet.toml"

# OpenSSH's own mux client over one master: the reference round trips.
"$FLEET" exec ssh -F "$CFG" -M -S "$TMP/cm" -o ControlPersist=300 -f -N host01
"$FLEET" exec bash -c '
  for ((i = 0; i < $1; i++)); do
    t0=$EPOCHREALTIME; ssh -F "$2" -S "$3" host01 true; t1=$EPOCHREALTIME
    echo "ssh_true $t0 $t1"
    t0=$EPOCHREALTIME; echo true | ssh -F "$2" -S "$3" host01 sh -s; t1=$EPOCHREALTIME
    echo "ssh_stdin $t0 $t1"
  done' _ "$RUNS" "$CFG" "$TMP/cm" >"$TMP/ssh.times"

THINK_MS=${THINK_MS:-300} "$FLEET" exec "$REPO/target/release/examples/fleet_warm" \
  "$TMP/fleet.toml" "$HERE/checks" "$CFG" "$RUNS" 64 >"$TMP/warm.json"

python3 - "$TMP/ssh.times" "$TMP/warm.json" "$DELAY" "$N" <<'PY'
import json, statistics, sys
times, warm, delay, n = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3]), sys.argv[4]
rtt = 2 * delay
rows = {"ssh_true": [], "ssh_stdin": []}
for line in open(times):
    k, a, b = line.split()
    rows[k].append((float(b) - float(a)) * 1e3)
rows["spare"] = [r["seconds"] * 1e3 for r in warm["one_row"]]
rows["fresh"] = [r["seconds"] * 1e3 for r in warm["one_row_fresh"]]
bad = [p for r in warm["one_row"] + warm["one_row_fresh"] for p in r["problems"]]
label = {
    "ssh_true": "`ssh -S master host true` (new session, 2-RTT reference)",
    "ssh_stdin": "`echo true | ssh -S master host sh -s` (script on stdin)",
    "fresh": "driftscope one-row re-check, new session (no spare)",
    "spare": "driftscope one-row re-check over the spare session (TUI)",
}
print(f"one-row re-check, {n} hosts up, {delay} ms each way (RTT {rtt} ms), {len(rows['spare'])} runs each")
print("| | median [min–max] | × RTT |")
print("|---|---|---|")
for k in ["ssh_true", "ssh_stdin", "fresh", "spare"]:
    v = rows[k]
    med = statistics.median(v)
    mult = f"{med / rtt:.2f}×" if rtt else "–"
    print(f"| {label[k]} | {med:.1f} ms [{min(v):.1f}–{max(v):.1f}] | {mult} |")
target = 2 * rtt + 15
med = statistics.median(rows["spare"])
print(f"target ≤ 2 RTT + 15 ms = {target} ms: spare median {med:.1f} ms → {'met' if med <= target else 'NOT met'}"
      f" (max {max(rows['spare']):.1f} ms); fresh/spare = {statistics.median(rows['fresh']) / med:.2f}×")
if bad:
    print("problems:", *bad, sep="\n  ")
    sys.exit(1)
PY
