#!/usr/bin/env bash
# TUI scale bench (issue 15, part 1): the real binary in tmux over HOSTS local hosts × CHECKS
# sysctl checks (1000 × 1000 = 1,000,000 results; the setup of benches/scale.sh), against the
# headless run of the same configuration in the same script. Per run it reports:
#   headless: wall time, peak RSS (VmHWM), results/s, and where the CPU went: driftscope
#             itself vs the probe processes it waited for (benches/cpu_split.py)
#   TUI:      run time (launch → header says finished), its CPU (itself, its probes, and the
#             tmux server drawing its frames) to the end of the run, VmHWM and VmRSS after the run,
#             filter keystroke latency (`/`, then `k`, `e`, `r`: key sent → footer shows it and
#             the table is filtered, one frame), failures-only toggle and sort latency, quit
#             time (q → process gone), and the frame times the TUI logs (worst settle+draw,
#             frames over 16 ms, longest gap between frames while streaming)
# Latencies are measured by polling the tmux pane (every 5 ms), so they include up to one
# poll and one frame interval.
#
#   benches/tui_scale.sh [HOSTS] [CHECKS] [RUNS]      (defaults: 1000 1000 3)
#
# Needs a release build (built if missing), tmux and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-1000}
CHECKS=${2:-1000}
RUNS=${3:-3}
BIN=$PWD/target/release/driftscope
# always: cargo rebuilds only what changed, and a stale binary would measure old code
cargo build --release --locked --quiet
command -v tmux >/dev/null || { echo "tmux is needed" >&2; exit 2; }
TMP=$(mktemp -d)
SOCK="$TMP/tmux.sock"
SESSION=tui-scale
cleanup() {
  tmux -S "$SOCK" kill-server 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export XDG_CONFIG_HOME="$TMP/config" DRIFTSCOPE_LOG="$TMP/tui.log"
unset DRIFTSCOPE_DB DRIFTSCOPE_CONFIG

# CHECKS distinct sysctl keys readable on this machine (as benches/scale.sh).
mkdir -p "$TMP/checks"
benches/sysctl_checks.sh "$CHECKS" > "$TMP/checks/scale.toml"
{
  echo '[environment]'
  echo 'name = "scale"'
  echo '[defaults]'
  echo 'transport = "local"'
  for i in $(seq 1 "$HOSTS"); do
    echo '[[host]]'
    echo "name = \"h$i\""
  done
} > "$TMP/inv.toml"
ARGS=(--inventory "$TMP/inv.toml" --checks "$TMP/checks" --no-store)

now() { date +%s.%N; }
pane() { tmux -S "$SOCK" capture-pane -p -t "$SESSION" 2>/dev/null || true; }
# Wait (polling every 5 ms, at most $2 s) until the pane shows the extended regex $1.
wait_for() {
  local deadline
  deadline=$(awk -v t="$(now)" -v d="${2:-600}" 'BEGIN { printf "%.3f", t + d }')
  while ! pane | grep -Eq -- "$1"; do
    if awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n > d) }'; then
      echo "timed out waiting for /$1/; the pane:" >&2
      pane >&2
      return 1
    fi
    sleep 0.005
  done
}
ms_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
# CPU seconds of a live process: "own children" (children = the probes it waited for).
cpu_of() {
  local tick
  tick=$(getconf CLK_TCK)
  sed 's/.*) //' "/proc/$1/stat" | awk -v t="$tick" '{ printf "%.2f %.2f\n", ($12 + $13) / t, ($14 + $15) / t }'
}
# Send keys and time until the pane matches $2.
key_latency() {
  local t
  t=$(now)
  tmux -S "$SOCK" send-keys -t "$SESSION" -l -- "$1"
  wait_for "$2" 30
  ms_since "$t"
}

headless() {
  python3 benches/cpu_split.py "$TMP/time" -- "$BIN" run "${ARGS[@]}" --format json --quiet \
    > "$TMP/out.json" || true
  read -r H_WALL H_SELF H_CHILD H_RSS < "$TMP/time"
  H_RESULTS=$(grep -c '"outcome"' "$TMP/out.json" || true)
}

tui() {
  rm -f "$DRIFTSCOPE_LOG"
  local t0 pid
  t0=$(now)
  tmux -S "$SOCK" new-session -d -s "$SESSION" -x 200 -y 50 \
    "exec $BIN ${ARGS[*]}"
  pid=$(tmux -S "$SOCK" display -p -t "$SESSION" '#{pane_pid}')
  local server tmux0
  server=$(tmux -S "$SOCK" display -p '#{pid}')
  tmux0=$(cpu_of "$server" | cut -d' ' -f1)
  wait_for 'finished in' 1200
  T_RUN=$(ms_since "$t0")
  read -r T_SELF T_CHILD < <(cpu_of "$pid")
  T_TMUX=$(awk -v a="$tmux0" -v b="$(cpu_of "$server" | cut -d' ' -f1)" 'BEGIN { printf "%.2f", b - a }')
  sleep 1 # let the history-less session finish its bookkeeping
  T_HWM=$(status_kb "$pid" VmHWM)
  T_RSS=$(status_kb "$pid" VmRSS)
  K_SLASH=$(key_latency "/" '^/[^a-z]')
  K_1=$(key_latency "k" '^/k[^a-z]')
  K_2=$(key_latency "e" '^/ke[^a-z]')
  K_3=$(key_latency "r" '^/ker[^a-z]')
  tmux -S "$SOCK" send-keys -t "$SESSION" Escape
  sleep 0.2
  tmux -S "$SOCK" send-keys -t "$SESSION" Escape
  wait_for 'Results [0-9]+ ' 30
  T_F1=$(key_latency "f" 'failures only')
  T_F2=$(key_latency "f" 'all results')
  T_S1=$(key_latency "s" 'sort: severity')
  T_S2=$(key_latency "s" 'sort: host')
  local t
  t=$(now)
  tmux -S "$SOCK" send-keys -t "$SESSION" q
  while [ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
    sleep 0.005
  done
  T_QUIT=$(ms_since "$t")
  tmux -S "$SOCK" kill-server 2>/dev/null || true
  FRAMES=$(grep -o 'frames: .*' "$DRIFTSCOPE_LOG" | tail -1 || true)
}

echo "tui scale bench: $HOSTS hosts × $CHECKS checks, $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$RUNS"); do
  headless
  tui
  awk -v r="$r" -v hw="$H_WALL" -v hr="$H_RSS" -v n="$H_RESULTS" -v tr="$T_RUN" \
    -v th="$T_HWM" -v ts="$T_RSS" 'BEGIN {
    printf "run %d: headless %.1f s, %.0f results/s, peak RSS %.0f MiB | TUI run %.1f s = %.2f× headless, VmHWM %.0f MiB, VmRSS after the run %.0f MiB\n",
      r, hw, n / (hw > 0 ? hw : 0.001), hr / 1024, tr / 1000, (tr / 1000) / (hw > 0 ? hw : 0.001), th / 1024, ts / 1024 }'
  echo "       CPU: headless driftscope itself ${H_SELF} s, its probes ${H_CHILD} s | TUI itself ${T_SELF} s, its probes ${T_CHILD} s, the tmux server ${T_TMUX} s (to the end of the run)"
  echo "       keys: / ${K_SLASH} ms, k ${K_1} ms, e ${K_2} ms, r ${K_3} ms | f ${T_F1} ms, f ${T_F2} ms | s ${T_S1} ms, s ${T_S2} ms | quit ${T_QUIT} ms"
  echo "       ${FRAMES:-no frame stats in the log}"
done
