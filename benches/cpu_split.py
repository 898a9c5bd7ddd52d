#!/usr/bin/env python3
"""cpu_split.py OUT -- CMD ARGS...

Runs CMD (stdout/stderr pass through) and writes one line to OUT:
  wall_s self_cpu_s children_cpu_s maxrss_kb
where self is CMD's own user+system time (driftscope: executor, parsing, events, reporter)
and children the time of the processes it started and waited for (the probes' `sh`,
`grep` …). Read from CMD's /proc stat while it is a zombie (waitid WNOWAIT), then reaped.
Exit status: CMD's.
"""
import os
import resource
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def main():
    out, cmd = sys.argv[1], sys.argv[sys.argv.index("--") + 1:]
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    wall = time.monotonic() - start
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime..cstime are fields 14..17
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    _, status, rusage = os.wait4(pid, 0)
    with open(out, "w") as f:
        f.write(
            f"{wall:.3f} {(utime + stime) / TICK:.2f} {(cutime + cstime) / TICK:.2f} "
            f"{rusage.ru_maxrss}\n"
        )
    sys.exit(os.waitstatus_to_exitcode(status))


main()
