#!/usr/bin/env bash
# bench.sh [N] — the same 50 checks per host (benches/fleet/checks) over N hosts, through Salt
# (a real master + N minions on this machine) and through SSH (the shared bench fleet,
# ../shared/bench/fleet.sh), side by side in one run, RUNS rounds each (default 3):
#
#   ssh cold     `driftscope run` over the sshd fleet, new connections
#   ssh warm     a full re-check over kept SSH sessions (examples/fleet_warm.rs)
#   salt         `driftscope run` over the minions; the checks carry per-host vars, so the
#                N scripts differ: N salt jobs, 4 out at a time
#   salt 1-job   the same checks with host01's values for every host: one script, ONE job,
#                at k = 1, 5, 10, N minions — the slope is the per-minion cost of a return
#   drift        the failing (host, check) pairs of every ssh and salt run == expected_drift.tsv
#
# Measured per run: wall, client CPU (driftscope + the salt CLI it waits for), client peak
# RSS (process tree), master CPU and minions' CPU (their process groups).
# Holds /tmp/driftscope-fleet.lock for the whole run (the sshd fleet is shared); brings both
# fleets down at the end. Env: RUNS=3, PROFILE=release|debug, FLEET_BENCH_DIR (default: the repo's ../shared/bench).
set -euo pipefail
if [[ -z ${DS_FLEET_LOCKED:-} ]]; then
  DS_FLEET_LOCKED=1 exec flock /tmp/driftscope-fleet.lock "$0" "$@"
fi
N=${1:-20}
RUNS=${RUNS:-3}
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${DRBENCH_STATE:-/tmp/drbench}"
# shellcheck source=../fleet/harness.sh
source "$REPO/benches/fleet/harness.sh"
export SALT_BENCH_STATE="${SALT_BENCH_STATE:-/tmp/ds-salt-bench}"

TMP=$(mktemp -d /tmp/ds-salt-bench-run.XXXXXX)
cleanup() {
  "$HERE/salt_fleet.sh" down || true
  "$FLEET" down >&2 || true
  rm -rf "$TMP"
}
trap cleanup EXIT

PROFILE=${PROFILE:-release}   # PROFILE=debug: measure the debug build (faster to build, slower client)
echo "building driftscope ($PROFILE) …" >&2
if [[ $PROFILE == release ]]; then
  (cd "$REPO" && cargo build --release --quiet --bin driftscope --example fleet_warm)
else
  (cd "$REPO" && cargo build --quiet --bin driftscope --example fleet_warm)
fi
DS="$REPO/target/$PROFILE/driftscope"
WARM="$REPO/target/$PROFILE/examples/fleet_warm"

"$FLEET" up "$N" 0 >&2
"$HERE/salt_fleet.sh" up "$N"
# shellcheck disable=SC1091
source "$STATE/fleet.env"
# shellcheck disable=SC1090
source <("$HERE/salt_fleet.sh" env)
CHECKS="$REPO/benches/fleet/checks"
CFG="$FLEET_SSH_CONFIG"

# Inventories: the ssh one, the same hosts through salt, and the one-job variants.
"$REPO/benches/fleet/gen_inventory.sh" "$STATE" >"$TMP/ssh.toml"
salt_defaults="salt = { config_dir = \"$SALT_MASTER_CONFIG\", timeout = 30, bin = \"$SALT_BIN/salt\" }"
sed -e "s|^transport = \"ssh\"|transport = \"salt\"\n$salt_defaults|" "$TMP/ssh.toml" >"$TMP/salt.toml"
mkdir -p "$TMP/uniform"
sed -e "s|{vars.hostdir}|$FLEET_SRV/host01|g" -e "s|{vars.port}|2301|g" -e "s|{host}|host01|g" \
  "$CHECKS/fleet.toml" >"$TMP/uniform/fleet.toml"
KS=(1 5 10 "$N")
for k in "${KS[@]}"; do
  {
    printf '[environment]\nname = "fleet"\n[defaults]\ntransport = "salt"\n%s\n' "$salt_defaults"
    for ((i = 1; i <= k; i++)); do printf '[[host]]\nname = "host%02d"\ntags = ["fleet"]\n' "$i"; done
  } >"$TMP/salt-$k.toml"
done

measure() {  # label out.json -- cmd...
  local label=$1 out=$2; shift 2
  local line
  line=$("$HERE/measure.py" "$out" "$@")
  echo "$label $line" >>"$TMP/measures"
  echo "  $label: $line" >&2
}

: >"$TMP/measures"
# The first salt job after the minions started loads their modules: "salt first".
measure salt-first "$TMP/salt-first.json" -- "$DS" run -i "$TMP/salt.toml" -c "$CHECKS" --format json --no-store
for ((r = 1; r <= RUNS; r++)); do
  echo "round $r" >&2
  measure ssh-cold "$TMP/ssh-$r.json" -- "$FLEET" exec "$DS" run -i "$TMP/ssh.toml" -c "$CHECKS" --ssh-config "$CFG" --format json --no-store
  measure salt "$TMP/salt-$r.json" -- "$DS" run -i "$TMP/salt.toml" -c "$CHECKS" --format json --no-store
  for k in "${KS[@]}"; do
    measure "salt1job-$k" "$TMP/one-$k-$r.json" -- "$DS" run -i "$TMP/salt-$k.toml" -c "$TMP/uniform" --format json --no-store
  done
done
"$FLEET" exec "$WARM" "$TMP/ssh.toml" "$CHECKS" "$CFG" "$RUNS" 64 >"$TMP/warm.json"

python3 "$HERE/report.py" "$TMP" "$FLEET_SRV/expected_drift.tsv" "$N" "$RUNS"
