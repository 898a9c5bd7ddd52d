#!/usr/bin/env bash
# Drift explorer, the real binary (issue 10's "first frame with the last known state ≤ 150 ms
# after start"): the release build opens in tmux with `--no-run` on the 50k-row stored state of
# the 10M-result bench store (built by benches/explorer.sh) and reports per run, counted from the
# shell's clock just before exec:
#   first part   the log line of the first stored part applied (verdict + the worst 500 rows;
#                the frame that shows it is drawn right after it)
#   first frame  the pane polled every 5 ms until it shows a stored row (includes one poll)
#   all parts    the log line of the last part (all 50k rows in)
#   frames       what the TUI logs at exit: worst settle+draw, frames over 16 ms
#
#   benches/explorer_tmux.sh [RUNS]      (default 5; DRIFTSCOPE_BENCH_DIR as explorer.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
STORE=${DRIFTSCOPE_BENCH_DIR:-$PWD/target/bench-store}/bench-history.db
[ -s "$STORE" ] || { echo "no bench store at $STORE: run benches/explorer.sh first" >&2; exit 2; }
command -v tmux >/dev/null || { echo "tmux is needed" >&2; exit 2; }
cargo build --release --locked --quiet
BIN=$PWD/target/release/driftscope
TMP=$(mktemp -d)
SOCK="$TMP/tmux.sock"
trap 'tmux -S "$SOCK" kill-server 2>/dev/null || true; rm -rf "$TMP"' EXIT
export XDG_CONFIG_HOME="$TMP/config"
unset DRIFTSCOPE_DB DRIFTSCOPE_CONFIG
cat > "$TMP/bench.toml" <<EOF
[environment]
name = "bench"

[defaults]
transport = "local"

[[host]]
name = "h1"
tags = ["linux"]
EOF

now() { date +%s.%N; }
pane() { tmux -S "$SOCK" capture-pane -p -t ex 2>/dev/null || true; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }
# The log's RFC 3339 UTC time stamp of the first line matching $2 in $1, as epoch seconds.
log_time() {
  local stamp
  stamp=$(grep -m1 -- "$2" "$1" | cut -d' ' -f1)
  [ -n "$stamp" ] && date -u -d "$stamp" +%s.%N
}

echo "run first_part_ms first_frame_ms all_parts_ms frames"
for i in $(seq 1 "$RUNS"); do
  log="$TMP/tui-$i.log"
  tmux -S "$SOCK" new-session -d -s ex -x 200 -y 50 \
    "date +%s.%N > $TMP/start; DRIFTSCOPE_LOG=$log DRIFTSCOPE_LOG_LEVEL=debug exec $BIN --no-run \
     --inventory $TMP/bench.toml --db $STORE"
  # The first frame with stored rows: the Results title counts them (`· 500 stored`).
  deadline=$(awk -v t="$(now)" 'BEGIN { printf "%.3f", t + 30 }')
  until pane | grep -Eq '[0-9]+ stored'; do
    awk -v n="$(now)" -v d="$deadline" 'BEGIN { exit !(n > d) }' && { pane >&2; exit 1; }
    sleep 0.005
  done
  shown=$(now)
  until grep -q '(last part)' "$log" 2>/dev/null; do sleep 0.05; done
  tmux -S "$SOCK" send-keys -t ex q
  while tmux -S "$SOCK" has-session -t ex 2>/dev/null; do sleep 0.05; done
  start=$(cat "$TMP/start")
  first=$(log_time "$log" 'results delivered')
  last=$(log_time "$log" '(last part)')
  frames=$(grep -m1 'frames:' "$log" | sed 's/.*frames: //; s/ (settle[^)]*)//; s/, longest gap.*//')
  echo "$i $(ms "$start" "$first") $(ms "$start" "$shown") $(ms "$start" "$last") $frames"
done
