#!/bin/sh
# Fuzz every target in fuzz/ for SECONDS each (default 60): cargo-fuzz on the nightly
# toolchain (`cargo install cargo-fuzz`). Not part of CI. New inputs go to
# target/fuzz-corpus/<target> (the committed seeds in fuzz/corpus/<target> are only read);
# a crash stops the script and leaves its input in fuzz/artifacts/<target>/ — fix it and keep
# it as a regression test in the normal suite (tests/fuzz_regressions.rs).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -eu
secs=${1:-60}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
targets=${*:-$(cargo +nightly fuzz list)}
total=0
for t in $targets; do
    mkdir -p "target/fuzz-corpus/$t" "fuzz/corpus/$t"
    echo "== $t: ${secs}s"
    nice -n 10 cargo +nightly fuzz run "$t" "target/fuzz-corpus/$t" "fuzz/corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    total=$((total + secs))
done
echo "fuzzed $total s over: $targets"
