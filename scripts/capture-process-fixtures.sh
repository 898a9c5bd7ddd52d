#!/bin/sh
# Re-capture the process module's fixtures (src/probe/testdata/process/*.out) so that they hold
# only the processes the tests start: everything runs in a fresh PID namespace (with its own
# /proc) and a mount namespace whose /etc/passwd lists only root and nobody. Needs root and
# util-linux (unshare, runuser, setpriv). `tests/fixture_hygiene.rs` fails on any capture line
# that is not one of these processes.
#
#   scripts/capture-process-fixtures.sh        # rewrites the three files
#
# Processes captured (the tests name them): as nobody, `sh -c 'printf "we ird" >
# /proc/$$/comm; sleep 300'` and `sh -c 'sleep 301; :' "line<newline>break"`; as uid 4242 (not
# in /etc/passwd) `sleep 302`; as root a zombie named `ds-zombie` (empty cmdline, like a
# kernel thread) whose parent is `tail -f /dev/null`.
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "needs root (unshare, runuser, setpriv)" >&2; exit 2; }
cargo build --quiet --example probe_fragment
fragment=$PWD/target/debug/examples/probe_fragment
out=$PWD/src/probe/testdata/process
work=/tmp/ds-process-capture
rm -rf "$work" && mkdir -m 0755 "$work"
trap 'rm -rf "$work"' EXIT
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$work/passwd"
# Each capture script starts with the probe's own environment line, as the batch's prologue.
prologue='LC_ALL=C; export LC_ALL; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH'
{ echo "$prologue"; "$fragment" process 'we ird' sleep 'args:^sleep 30[01]$' ds-zombie nosuchproc 'args:we ird' \
  | sed 's|\[ -r /proc/self/cmdline \]|false|'; } >"$work/ps.sh"
{ echo "$prologue"; "$fragment" process 'we ird' sleep 'args:^sleep 300$' ds-zombie; } >"$work/proc.sh"
{ echo "$prologue"; "$fragment" process 'we ird#users' sleep; } >"$work/proc-users.sh"
cat >"$work/init.sh" <<'INIT'
set -eu
mount --bind "$work/passwd" /etc/passwd
runuser -u nobody -- sh -c 'printf "we ird" > /proc/$$/comm; sleep 300' &
runuser -u nobody -- sh -c 'sleep 301; :' "line
break" &
sh -c '(printf ds-zombie > /proc/self/comm) & exec tail -f /dev/null' </dev/null &
sleep 0.5
capture() { runuser -u nobody -- sh "$work/$1.sh" >"$out/$1.out"; }
capture ps
capture proc
setpriv --reuid=4242 sleep 302 &
sleep 0.3
capture proc-users
kill $(jobs -p) 2>/dev/null || true
INIT
chmod 0644 "$work"/*
export work out
env -i PATH="$PATH" work="$work" out="$out" unshare --pid --fork --mount-proc --mount sh "$work/init.sh"
echo "captured: $(ls "$out"/*.out | tr '\n' ' ')"
