#!/usr/bin/env bash
# The README's test command: install what the tests need (when missing and running as
# root), then format check, clippy with -D warnings, and the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh-keygen >/dev/null || need+=(openssh-client)
command -v sudo >/dev/null || need+=(sudo)
command -v tmux >/dev/null || need+=(tmux)
# tui_oncall: `o` hands the SOP to the default pager.
command -v less >/dev/null || need+=(less)
command -v groff >/dev/null || need+=(groff-base)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
# probe_goss_modules and the check library tests: certificates, curl, ip.
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
command -v ip >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "test.sh: missing ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
  fi
fi

# Salt (master, minions, CLI) for tests/salt_fleet.rs: a virtualenv under target/, once.
scripts/salt-venv.sh >/dev/null
# ansible-inventory and prometheus_client for the daily-use tests, a virtualenv under target/, once.
scripts/daily-use-venv.sh >/dev/null
# The testinfra oracle's virtualenv (issue 16; tests/oracle_testinfra.rs), created once.
scripts/testinfra-venv.sh

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
# The shipped check library and its SOPs agree (file:line problems, exit 2).
cargo run --locked --quiet -- checks --lint
