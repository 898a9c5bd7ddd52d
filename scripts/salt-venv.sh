#!/usr/bin/env bash
# Installs SaltStack (salt-master, salt-minion, salt) from PyPI into a virtualenv under
# target/venvs/salt, once: the salt transport's tests and bench start real daemons from it.
# Idempotent: a venv whose salt answers --version is left alone. Prints the bin directory.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${DRIFTSCOPE_SALT_VENV:-target/venvs/salt}"
if [ -x "$venv/bin/salt" ] && "$venv/bin/salt" --version >/dev/null 2>&1; then
  echo "$venv/bin"
  exit 0
fi
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
python3 -m venv "$venv" >&2
# 3008.x pins a certifi release the registry does not carry; 3007 is the current line before it.
"$venv/bin/pip" install --quiet --no-input 'salt<3008' >&2
"$venv/bin/salt" --version >&2
echo "$venv/bin"
