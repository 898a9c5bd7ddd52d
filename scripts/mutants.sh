#!/bin/sh
# Mutation testing (cargo-mutants, `cargo install cargo-mutants`) of the files where a wrong
# answer hides best, each mutant built as the lib test target only (`--cargo-arg=--lib`: no
# integration test is built) and tested by the unit tests of the scoped modules only (the
# whole suite per mutant is far too slow on 2 cores). Not part of CI.
#
#   scripts/mutants.sh [FILE...]      # default: every file of the scope below
#
# Builds in a copy of the tree (with a copy of target/, so the first build is warm), one job,
# niced; MUTANTS_IN_PLACE=1 mutates this tree itself instead (for a dedicated worktree: do not
# edit it meanwhile). Results: target/mutants/mutants.out/{caught,missed,timeout,unviable}.txt
# and a per-file summary printed at the end. MUTANTS_ARGS adds cargo-mutants options (e.g.
# `--baseline=skip`, or `--iterate` to re-test only what the previous run did not catch);
# MUTANTS_TIMEOUT (default 60 s) is the test run's limit: raise it on a loaded machine, where a
# starved test run of the real-`sh` tests would otherwise count as a (caught) timeout.
# Expect ~5-10 s per mutant on a quiet 2-core box (an incremental lib-test build), much more
# under load.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# file → the module path of its unit tests
scope='src/model/matcher/mod.rs model::matcher
src/model/version.rs model::version
src/probe/quote.rs probe::quote
src/config/template.rs config::template
src/config/expand.rs config::expand
src/store/codec.rs store::codec
src/store/packed.rs store::packed
src/store/queries/readiness.rs store::queries::readiness
src/probe/addr.rs probe::addr
src/probe/command.rs probe::command
src/probe/directory.rs probe::directory
src/probe/dns.rs probe::dns
src/probe/group.rs probe::group
src/probe/http.rs probe::http
src/probe/interface.rs probe::interface
src/probe/kernel_module.rs probe::kernel_module
src/probe/mount.rs probe::mount
src/probe/os.rs probe::os
src/probe/package.rs probe::package
src/probe/port.rs probe::port
src/probe/process.rs probe::process
src/probe/reads.rs probe::reads
src/probe/service.rs probe::service
src/probe/sshd_config.rs probe::sshd_config
src/probe/sysctl.rs probe::sysctl
src/probe/user.rs probe::user
src/probe/x509.rs probe::x509
src/probe/file/mod.rs probe::file
src/probe/file/fragment.rs probe::file
src/probe/file/output.rs probe::file
src/probe/file/content.rs probe::file
src/probe/batch/frames.rs probe::batch'
files=""
filters=""
want=" $* "
while read -r file module; do
    if [ $# -eq 0 ] || [ "${want#* "$file" }" != "$want" ]; then
        files="$files -f $file"
        filters="$filters $module"
    fi
done <<EOF2
$scope
EOF2
[ -n "$files" ] || { echo "no file of the scope matched: $*" >&2; exit 2; }
mkdir -p target/mutants
# shellcheck disable=SC2086 # word splitting of the lists is intended
if [ "${MUTANTS_IN_PLACE:-}" = 1 ]; then where=--in-place; else where="--jobs 1 --copy-target true"; fi
# MUTANTS_BEFORE=<rev> (in place only): also score every mutant against the unit tests that
# existed at <rev>, on the same build (scripts/mutants-before.sh), for a before/after table.
cargo=$(command -v cargo)
if [ -n "${MUTANTS_BEFORE:-}" ]; then
    [ "${MUTANTS_IN_PLACE:-}" = 1 ] || { echo "MUTANTS_BEFORE needs MUTANTS_IN_PLACE=1" >&2; exit 2; }
    : >target/mutants/before.log
    # Every `#[test] fn` of src/ at <rev>, as its full test name, kept when a filter matches.
    git ls-tree -r --name-only "$MUTANTS_BEFORE" -- src | grep '\.rs$' | while read -r f; do
        m=$(printf '%s\n' "$f" | sed 's|^src/||; s|\.rs$||; s|/mod$||; s|^lib$||; s|/|::|g')
        git show "$MUTANTS_BEFORE:$f" | awk -v m="$m" '
            /^mod tests/ { p = "tests::" }
            /#\[test\]/ { t = 1; next }
            t && match($0, /fn [A-Za-z0-9_]+/) {
                print m "::" p substr($0, RSTART + 3, RLENGTH - 3); t = 0 }'
    done | while read -r name; do
        for flt in $filters; do
            case "$name" in *"$flt"*) echo "$name"; break ;; esac
        done
    done >target/mutants/before-tests.txt
    export MUTANTS_REAL_CARGO="$cargo"
    cargo="$root/scripts/mutants-before.sh"
fi
# The test run's limit; with MUTANTS_BEFORE it covers both test runs of a mutant.
limit=${MUTANTS_TIMEOUT:-60}
if [ -n "${MUTANTS_BEFORE:-}" ]; then limit=$((limit * 2)); fi
# shellcheck disable=SC2086
CARGO="$cargo" nice -n 10 cargo-mutants mutants $where --no-shuffle --timeout "$limit" --output target/mutants --cargo-arg=--lib \
    ${MUTANTS_ARGS:-} --exclude-re 'FastHasher' $files -- -- $filters || true
out=target/mutants/mutants.out
echo "file caught missed timeout unviable score before"
for f in $(printf '%s\n' $files | grep -v '^-f$'); do
    n() { if [ -f "$out/$1.txt" ]; then grep -c "^$f:" "$out/$1.txt" || true; else echo 0; fi; }
    c=$(n caught); m=$(n missed); t=$(n timeout); u=$(n unviable)
    total=$((c + m + t))
    if [ "$total" -gt 0 ]; then score=$(((c + t) * 100 / total))%; else score=-; fi
    before=-
    if [ -n "${MUTANTS_BEFORE:-}" ] && [ "$total" -gt 0 ]; then
        b=$(grep -c "^$f caught" target/mutants/before.log || true)
        before="$b/$total=$((b * 100 / total))%"
    fi
    echo "$f $c $m $t $u $score $before"
done
