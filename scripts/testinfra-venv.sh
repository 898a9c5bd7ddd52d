#!/usr/bin/env bash
# The virtualenv of the testinfra oracle (tests/oracle_testinfra.rs): pytest-testinfra pinned
# by tests/oracle/requirements.txt, in target/venvs/testinfra. Created once; re-created when
# the pins change. Needs python3 with venv (installed with apt when missing and root).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/venvs/testinfra
pins=tests/oracle/requirements.txt
if [ -x "$venv/bin/python" ] && cmp -s "$pins" "$venv/requirements.txt"; then
  exit 0
fi
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "testinfra-venv.sh: installing python3-venv"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null
  else
    echo "testinfra-venv.sh: python3 with venv is missing (apt-get install python3-venv)" >&2
    exit 1
  fi
fi
echo "testinfra-venv.sh: creating $venv"
rm -rf "$venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check -r "$pins"
cp "$pins" "$venv/requirements.txt"
