#!/usr/bin/env python3
"""measure.py OUT_JSON -- CMD...: run CMD (stdout to OUT_JSON) and print one JSON line:
wall seconds, the client's CPU (CMD and every process it started, e.g. the salt CLI: counted
in a cgroup v2 of its own when /sys/fs/cgroup(/unified) allows one, which also sees children
nobody waited for; else RUSAGE_CHILDREN, which only sees waited-for children),
the peak summed RSS of CMD's process tree (sampled every 20 ms), and the CPU the Salt
master and the minions spent meanwhile (process groups listed in $SALT_BENCH_STATE/pids)."""
import json, os, resource, subprocess, sys, time

STATE = os.environ.get("SALT_BENCH_STATE", "/tmp/ds-salt-bench")
TICK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rfind(")") + 2:].split()
    # fields after comm: state ppid pgrp ... utime(11) stime(12) ... rss(21)
    return {"ppid": int(rest[1]), "pgrp": int(rest[2]),
            "cpu": (int(rest[11]) + int(rest[12])) / TICK, "rss_kb": int(rest[21]) * 4}


def all_procs():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st:
                out[int(d)] = st
    return out


def group_cpu(procs, pgids):
    return sum(p["cpu"] for p in procs.values() if p["pgrp"] in pgids)


def salt_groups():
    master, minions = set(), set()
    d = os.path.join(STATE, "pids")
    if os.path.isdir(d):
        for f in os.listdir(d):
            with open(os.path.join(d, f)) as fh:
                pid = int(fh.read().strip())
            (master if f == "master.pid" else minions).add(pid)
    return master, minions


def tree_rss(procs, root):
    kids, stack, total = {}, [root], 0
    for pid, p in procs.items():
        kids.setdefault(p["ppid"], []).append(pid)
    seen = set()
    while stack:
        pid = stack.pop()
        if pid in seen or pid not in procs:
            continue
        seen.add(pid)
        total += procs[pid]["rss_kb"]
        stack.extend(kids.get(pid, []))
    return total


def cgroup_root():
    for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(root, "cgroup.procs")) and os.path.exists(
                os.path.join(root, "cgroup.subtree_control")) or os.path.exists(
                os.path.join(root, "cgroup.controllers")):
            return root
    return None


def make_cgroup():
    """A fresh cgroup v2 for the measured command, or None."""
    root = cgroup_root()
    if root is None:
        return None
    path = os.path.join(root, f"ds-measure-{os.getpid()}")
    try:
        os.mkdir(path)
        return path
    except OSError:
        return None


def cgroup_cpu(path):
    with open(os.path.join(path, "cpu.stat")) as f:
        for line in f:
            k, v = line.split()
            if k == "usage_usec":
                return int(v) / 1e6
    return None


def main():
    out_path, cmd = sys.argv[1], sys.argv[3:]
    master, minions = salt_groups()
    before = all_procs()
    m0, n0 = group_cpu(before, master), group_cpu(before, minions)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(out_path, "wb") as out:
        cg = make_cgroup()

        def enter_cgroup():
            if cg:
                with open(os.path.join(cg, "cgroup.procs"), "w") as f:
                    f.write(str(os.getpid()))

        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL,
                                 preexec_fn=enter_cgroup)
        peak = 0
        while child.poll() is None:
            peak = max(peak, tree_rss(all_procs(), child.pid))
            time.sleep(0.02)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = all_procs()
    waited_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    client_cpu, leftover = waited_cpu, []
    if cg:
        client_cpu = cgroup_cpu(cg)
        with open(os.path.join(cg, "cgroup.procs")) as f:
            leftover = [int(p) for p in f.read().split()]
        for pid in leftover:  # not ours to keep: move them out so the cgroup can go
            try:
                with open(os.path.join(os.path.dirname(cg), "cgroup.procs"), "w") as f:
                    f.write(str(pid))
            except OSError:
                pass
        try:
            os.rmdir(cg)
        except OSError:
            pass
    print(json.dumps({
        "rc": child.returncode, "wall": round(wall, 4),
        "client_cpu": round(client_cpu, 4),
        "client_cpu_waited": round(waited_cpu, 4),
        "client_cpu_source": "cgroup" if cg else "rusage",
        "client_leftover_pids": leftover,
        "client_peak_rss_kb": peak,
        "master_cpu": round(group_cpu(after, master) - m0, 3),
        "minions_cpu": round(group_cpu(after, minions) - n0, 3),
    }))


main()
