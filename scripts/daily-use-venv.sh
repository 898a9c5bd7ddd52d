#!/usr/bin/env bash
# Installs the Python tools the daily-use tests compare against into target/venvs/daily-use,
# once: the real `ansible-inventory` (pip ansible-core; tests/config_ansible.rs) and
# prometheus_client's exposition-format parser (tests/report_prometheus.rs).
# Idempotent: a venv that has both is left alone. Prints the bin directory.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/venvs/daily-use
if [ -x "$venv/bin/ansible-inventory" ] && "$venv/bin/python" -c 'import prometheus_client' 2>/dev/null; then
  echo "$venv/bin"
  exit 0
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --no-input 'ansible-core>=2.16,<2.20' 'prometheus_client>=0.20,<1' >&2
echo "$venv/bin"
