#!/bin/sh
# The `cargo` that scripts/mutants.sh hands to cargo-mutants when MUTANTS_BEFORE=<git rev> is
# set (with MUTANTS_IN_PLACE=1): before each mutant's test run it runs only the unit tests
# that existed at that revision (listed in target/mutants/before-tests.txt) on the same
# mutant build and logs whether they caught it (target/mutants/before.log: `<file> caught`,
# `<file> missed`, or `<file> timeout` when they ran past MUTANTS_TIMEOUT seconds). One build
# per mutant yields the score before and after new tests.
set -u
real=${MUTANTS_REAL_CARGO:?}
case " $* " in
*" --no-run "*) exec "$real" "$@" ;;
esac
if [ "${1:-}" = test ]; then
    mutated=$(git diff --name-only -- src)
    if [ -n "$mutated" ]; then
        first=""
        for a in "$@"; do
            [ "$a" = -- ] && break
            first="$first $a"
        done
        # shellcheck disable=SC2046,SC2086 # word splitting of the names is intended
        timeout "${MUTANTS_TIMEOUT:-60}" "$real" $first -- --exact \
            $(cat target/mutants/before-tests.txt) >/dev/null 2>&1
        case $? in
        0) echo "$mutated missed" >>target/mutants/before.log ;;
        124) echo "$mutated timeout" >>target/mutants/before.log ;;
        *) echo "$mutated caught" >>target/mutants/before.log ;;
        esac
    fi
fi
exec "$real" "$@"
