#!/usr/bin/env bash
# Print a check file of N sysctl checks (one logical check per key readable on this machine;
# `exists = true`, so the probe is cheap and what is measured is driftscope): the check set
# of benches/scale.sh and benches/tui_scale.sh.
#
#   benches/sysctl_checks.sh N > checks/scale.toml
set -euo pipefail
N=${1:?usage: sysctl_checks.sh N}
echo 'category = "scale"'
echo 'kind = "runtime"'
n=0
while IFS= read -r f; do
  key=${f#/proc/sys/}; key=${key//\//.}
  case "$key" in *[!A-Za-z0-9_.-]*) continue ;; esac
  echo "[[check]]"
  echo "id = \"scale.k$n\""
  echo "title = \"sysctl $key is readable\""
  echo "probe = { sysctl = \"$key\" }"
  echo "expect = { exists = true }"
  n=$((n + 1))
  [ "$n" -ge "$N" ] && break
done < <(find /proc/sys -type f -perm -0444 2>/dev/null | sort)
