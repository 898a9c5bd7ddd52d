#!/usr/bin/env bash
# cpu_by_program.sh [N] [DELAY_MS] [WARM] — where the machine's CPU goes during warm full
# re-checks of the bench fleet, by program, so the warm wall time can be compared with the CPU
# the simulated fleet takes from the same cores.
#
# Runs examples/fleet_warm (a cold run, then WARM warm full re-checks, default 8) under
# `perf record -a` (system-wide, 499 Hz) with the events enabled only while a warm re-check
# runs (perf's control fifo; fleet_warm switches it), so the samples are exactly the warm
# windows. Prints, per warm re-check, the CPU by group:
#   driftscope   fleet_warm and its tokio workers (executor, ssh mux, parsing, events)
#   ssh client   the ssh masters
#   delay proxy  the harness's RTT emulation (shared/bench/delayproxy)
#   fleet side   the "hosts": sshd, login shells and every probe program (sh, grep, ss, …)
#   other        anything else on the machine (other users' builds on a shared machine)
# and the lower bound that CPU sets on the wall time with the machine's cores, with and
# without the fleet side. Program names are per process name: a `sh` or `grep` of another
# user counts as fleet side, so read "other" to judge how quiet the machine was.
#
# Needs root, perf, and the fleet harness (like bench.sh). Wrap it like bench.sh:
#   flock /tmp/driftscope-bench.lock flock /tmp/driftscope-fleet.lock benches/fleet/cpu_by_program.sh 50 10
set -euo pipefail
N=${1:-50}
DELAY=${2:-10}
WARM=${3:-8}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${DRBENCH_STATE:-/tmp/drbench}"
source "$REPO/benches/fleet/harness.sh"
command -v perf >/dev/null || { echo "cpu_by_program.sh: perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
HZ=499
CHECKS=${CHECKS:-$HERE/checks}   # another check directory (e.g. without the process checks)

"$FLEET" up "$N" "$DELAY" >&2
TMP=$(mktemp -d /tmp/ds-cpu-by-program.XXXXXX)
cleanup() { rm -rf "$TMP"; [[ ${KEEP_FLEET:-0} == 1 ]] || "$FLEET" down >&2 || true; }
trap cleanup EXIT
(cd "$REPO" && cargo build --release --quiet --example fleet_warm)
"$HERE/gen_inventory.sh" "$STATE" >"$TMP/fleet.toml"
# shellcheck disable=SC1091
source "$STATE/fleet.env"
mkfifo "$TMP/ctl" "$TMP/ack"
PERF_CTL_FIFO="$TMP/ctl" PERF_ACK_FIFO="$TMP/ack" \
  perf record -q -a -F "$HZ" -D -1 --control "fifo:$TMP/ctl,$TMP/ack" -o "$TMP/perf.data" -- \
  "$FLEET" exec "$REPO/target/release/examples/fleet_warm" "$TMP/fleet.toml" "$CHECKS" \
  "$FLEET_SSH_CONFIG" "$WARM" 64 >"$TMP/warm.json" 2>"$TMP/perf.err"
perf report -i "$TMP/perf.data" --stdio --sort comm -F sample,comm 2>/dev/null |
  grep -E '^ +[0-9]' >"$TMP/samples.txt"
python3 - "$TMP" "$WARM" "$HZ" "$(nproc)" <<'PY'
import json, statistics, sys
tmp, warm, hz, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
samples = {}
for line in open(f"{tmp}/samples.txt"):
    n, comm = line.split(None, 1)
    samples[comm.strip()] = samples.get(comm.strip(), 0) + int(n)
per_run = {c: n / hz / warm for c, n in samples.items()}
FLEET = {"sshd", "sh", "bash", "dash", "timeout", "grep", "head", "cat", "ss", "getent",
         "stat", "id", "df", "dpkg-query", "rpm", "ps", "sudo", "sleep"}
def group(c):
    if c == "fleet_warm" or c.startswith("tokio-rt"):
        return "driftscope"
    if c == "ssh":
        return "ssh client"
    if c == "delayproxy":
        return "delay proxy"
    return "fleet side" if c in FLEET else "other"
groups = {}
for c, s in per_run.items():
    groups[group(c)] = groups.get(group(c), 0) + s
walls = [w["seconds"] for w in json.load(open(f"{tmp}/warm.json"))["warm"]]
busy = sum(per_run.values()) / (statistics.mean(walls) * cores)
print(f"{warm} warm full re-checks, {cores} cores: wall median {statistics.median(walls):.3f} s "
      f"[{min(walls):.3f}-{max(walls):.3f}]; the cores were {busy:.0%} busy in those windows")
print("| CPU per warm re-check | seconds |\n|---|---|")
for g in ["driftscope", "ssh client", "delay proxy", "fleet side", "other"]:
    print(f"| {g} | {groups.get(g, 0):.3f} |")
ours = sum(groups.get(g, 0) for g in ["driftscope", "ssh client", "delay proxy", "fleet side"])
client = sum(groups.get(g, 0) for g in ["driftscope", "ssh client"])
print(f"\nCPU floor of the wall on {cores} cores: with the fleet side {ours / cores:.3f} s, "
      f"driftscope + ssh alone {client / cores:.3f} s")
top = sorted(((s, c) for c, s in per_run.items() if group(c) == "fleet side"), reverse=True)[:12]
print("fleet side by program (s per warm re-check): " +
      ", ".join(f"{c} {s:.3f}" for s, c in top))
PY
