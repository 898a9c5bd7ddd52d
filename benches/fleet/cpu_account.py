#!/usr/bin/env python3
"""cpu_account.py OUT.json SSHD_PIDFILE_GLOB -- CMD ARGS...

Runs CMD and writes where the CPU of that one command went, split the way the fleet bench
reports it (benches/fleet/bench.sh):

  client_self_s    CMD itself (driftscope: executor, mux handling, events, store, report)
  client_ssh_s     every ssh process CMD started (the handshakes run in the `ssh` driftscope
                   waits for), ControlMasters included: this wrapper is a
                   child subreaper, so masters that `ssh -f` daemonized are reparented to it and
                   reaped here (kept masters, still running at the end, are not counted)
  host_s           the fleet's side: every sshd listener named by SSHD_PIDFILE_GLOB, with the
                   per-connection sshd, login shell and probe processes it reaped (cutime)
  client_maxrss_kb peak RSS of CMD (VmHWM, from wait4)
  wall_s           CMD's wall time

Stdout/stderr of CMD pass through; the exit status of CMD is this script's exit status.
"""
import ctypes
import glob
import json
import os
import resource
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
TICK = os.sysconf("SC_CLK_TCK")


def proc_table():
    """pid -> (ppid, utime+stime+cutime+cstime in ticks) for every live process."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # fields[0] is stat field 3 (state): ppid is field 4, utime..cstime fields 14..17
        table[int(d)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    return table


def cpu_of(pid):
    """(self, waited children) CPU seconds of a process that is a zombie or alive."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK, (int(fields[13]) + int(fields[14])) / TICK


def host_cpu(pattern):
    """CPU seconds of the sshd listeners and everything below them, live or reaped: the
    per-connection sshd, login shells and probe processes."""
    roots = set()
    for f in glob.glob(pattern):
        try:
            roots.add(int(open(f).read().strip()))
        except (OSError, ValueError):
            continue
    table = proc_table()
    children = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [r for r in roots if r in table]
    while todo:
        pid = todo.pop()
        total += table[pid][1]
        todo.extend(children.get(pid, []))
    return total / TICK


def main():
    out, pattern = sys.argv[1], sys.argv[2]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    h0 = host_cpu(pattern)
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)  # a zombie: /proc still has its times
    wall = time.monotonic() - t0
    self_s, waited_s = cpu_of(pid)
    _, status, ru = os.wait4(pid, 0)
    # Reap masters that exit after CMD (they close on CMD's exit) for up to 5 s.
    until = time.monotonic() + 5
    while time.monotonic() < until:
        try:
            p, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if p == 0:
            time.sleep(0.05)
    time.sleep(0.3)  # the sshd side reaps its connection processes
    h1 = host_cpu(pattern)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    json.dump(
        {
            "wall_s": round(wall, 4),
            "client_self_s": round(self_s, 3),
            "client_ssh_s": round(children.ru_utime + children.ru_stime - self_s, 3),
            "host_s": round(h1 - h0, 3),
            "client_maxrss_kb": ru.ru_maxrss,
        },
        open(out, "w"),
    )
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
