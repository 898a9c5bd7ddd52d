#!/bin/sh
# Drift explorer benchmark, one command: builds the 10M-result store with store_bench once
# (kept in $DRIFTSCOPE_BENCH_DIR, default target/bench-store), then times the TUI's history
# paths against it (benches/explorer_bench.rs). Quiet machine: nothing else building.
#   benches/explorer.sh                    # 3 repetitions, min–max
#   DRIFTSCOPE_BENCH_REPEAT=5 benches/explorer.sh
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DRIFTSCOPE_BENCH_DIR=${DRIFTSCOPE_BENCH_DIR:-$root/target/bench-store}
export DRIFTSCOPE_BENCH_DIR
if [ ! -s "$DRIFTSCOPE_BENCH_DIR/bench-history.db" ]; then
    echo "building the 10M-result store in $DRIFTSCOPE_BENCH_DIR (store_bench, once)…"
    cargo bench --locked --bench store_bench
fi
cargo bench --locked --bench explorer_bench
