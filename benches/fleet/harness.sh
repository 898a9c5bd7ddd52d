# Sourced by the fleet benches (benches/fleet/bench.sh, benches/salt/bench.sh): finds the
# bench harness (fleet.sh, kept outside this repository, see docs/benchmarks.md "The bench
# fleet") relative to the repository root, or where FLEET_BENCH_DIR says, and sets
# FLEET_BENCH_DIR and FLEET. Needs REPO (the repository root).
if [[ -z ${FLEET_BENCH_DIR:-} ]]; then
  for d in "$REPO/../shared/bench" "$REPO/../../shared/bench"; do
    [[ -x $d/fleet.sh ]] && { FLEET_BENCH_DIR="$(cd "$d" && pwd)"; break; }
  done
fi
[[ -x ${FLEET_BENCH_DIR:-}/fleet.sh ]] || {
  echo "${0##*/}: no bench harness: set FLEET_BENCH_DIR to the directory holding fleet.sh (see docs/benchmarks.md)" >&2
  exit 2
}
FLEET="$FLEET_BENCH_DIR/fleet.sh"
