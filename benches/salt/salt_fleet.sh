#!/usr/bin/env bash
# salt_fleet.sh up N | down | env — a Salt master and N minions (host01..hostNN) on
# 127.0.0.1 for the salt bench, from the virtualenv scripts/salt-venv.sh installs. Every
# daemon has its own root_dir (pki, sockets, cache, logs) under $SALT_BENCH_STATE, the
# master listens on two free ports (never Salt's defaults 4505/4506), keys are
# auto-accepted. `up` waits until every minion answers test.ping; `down` kills each
# daemon's process group (Salt daemons ignore SIGTERM for seconds) by its recorded pid.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
STATE="${SALT_BENCH_STATE:-/tmp/ds-salt-bench}"

down() {
  [[ -d $STATE ]] || return 0
  for pidf in "$STATE"/pids/*.pid; do
    [[ -f $pidf ]] || continue
    kill -KILL -- "-$(cat "$pidf")" 2>/dev/null || true
  done
  sleep 0.5
  rm -rf "$STATE"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

up() {
  local n=$1 bin user pub ret
  bin="$(cd "$REPO" && scripts/salt-venv.sh)"
  bin="$(cd "$REPO" && cd "$bin" && pwd)"
  down
  mkdir -p "$STATE/master" "$STATE/pids"
  user="$(id -un)"
  pub=$(free_port); ret=$(free_port)
  cat >"$STATE/master/master" <<YAML
root_dir: $STATE/master/root
interface: 127.0.0.1
publish_port: $pub
ret_port: $ret
auto_accept: True
user: $user
worker_threads: 4
gather_job_timeout: 5
log_file: $STATE/master/master.log
log_level_logfile: warning
YAML
  setsid "$bin/salt-master" --config-dir="$STATE/master" --log-level=quiet </dev/null >"$STATE/master/console.log" 2>&1 &
  echo $! >"$STATE/pids/master.pid"
  for ((i = 1; i <= n; i++)); do
    local id; id=$(printf 'host%02d' "$i")
    mkdir -p "$STATE/$id"
    cat >"$STATE/$id/minion" <<YAML
id: $id
root_dir: $STATE/$id/root
master: 127.0.0.1
master_port: $ret
publish_port: $pub
user: $user
multiprocessing: False
acceptance_wait_time: 1
log_file: $STATE/$id/minion.log
log_level_logfile: warning
YAML
    setsid "$bin/salt-minion" --config-dir="$STATE/$id" --log-level=quiet </dev/null >"$STATE/$id/console.log" 2>&1 &
    echo $! >"$STATE/pids/$id.pid"
  done
  cat >"$STATE/env" <<ENV
SALT_BIN=$bin
SALT_MASTER_CONFIG=$STATE/master
SALT_N=$n
ENV
  local ids deadline=$((SECONDS + 600)) up=0
  ids=$(for ((i = 1; i <= n; i++)); do printf 'host%02d,' "$i"; done)
  while ((SECONDS < deadline)); do
    up=$("$bin/salt" --config-dir="$STATE/master" --out=json --out-indent=-1 --timeout=10 \
      --list "${ids%,}" test.ping 2>/dev/null | grep -c ': true}' || true)
    ((up == n)) && { echo "salt_fleet.sh: master + $n minions up" >&2; return 0; }
    sleep 2
  done
  echo "salt_fleet.sh: only $up of $n minions answered" >&2
  return 1
}

case "${1:-}" in
  up) up "${2:-20}" ;;
  down) down ;;
  env) cat "$STATE/env" ;;
  *) echo "usage: salt_fleet.sh up N | down | env" >&2; exit 2 ;;
esac
