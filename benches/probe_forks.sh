#!/bin/sh
# Issue 3 "Performance": the same 50 checks (the shared/bench/suite/test_fleet.py mix) against
# this host, batched (ONE driftscope probe script) vs one `sh -c` per checked attribute (the
# testinfra way). Prints processes forked per host (strace: clone/clone3/fork/vfork and execve,
# minus the benchmark's own setup) and the median wall time of each way.
#
#   benches/probe_forks.sh [ITERATIONS]     (default 21; needs strace)
set -eu
cd "$(dirname "$0")/.."
iterations=${1:-21}
cargo build --release --quiet --example probe_bench
bin=target/release/examples/probe_bench
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# count MODE → "<forks> <execs>" for one run of MODE.
count() {
    strace -f -c -e trace=execve,clone,clone3,fork,vfork -o "$tmp/$1" \
        "$bin" --mode "$1" --iterations 1 >/dev/null
    # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall
    awk '$NF ~ /^(clone|clone3|fork|vfork)$/ { f += $4 }
         $NF == "execve" { e += $4 - (NF == 6 ? $5 : 0) }
         END { print f + 0, e + 0 }' "$tmp/$1"
}
set -- $(count setup);     base_f=$1 base_e=$2
set -- $(count batched);   bat_f=$(( $1 - base_f )) bat_e=$(( $2 - base_e ))
set -- $(count per-check); per_f=$(( $1 - base_f )) per_e=$(( $2 - base_e ))

echo "## probe forks per host (50 checks)"
echo "| mode | processes forked (incl. the probe sh) | successful execve |"
echo "|---|---|---|"
echo "| batched | $bat_f | $bat_e |"
echo "| per-check | $per_f | $per_e |"
echo
echo "## wall time (median of $iterations runs each, load average: $(cut -d' ' -f1-3 /proc/loadavg))"
"$bin" --mode all --iterations "$iterations"
