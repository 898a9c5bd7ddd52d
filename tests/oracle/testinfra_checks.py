"""Ask pytest-testinfra for facts about this machine and write them as driftscope checks.

Usage: python testinfra_checks.py SPEC.json > oracle.toml

SPEC (written by tests/oracle_testinfra.rs): {"tree": dir of odd files the test made,
"process": comm of a process the test started, "closed_port": a tcp port nothing listens on,
"v4_port": a port only 0.0.0.0 listens on}.

Checks with ids `oracle.*` state what testinfra says and must all pass; `control.*` checks
are deliberately wrong and must all fail. Where driftscope means something else than
testinfra on purpose, the mapping is here, marked INTENDED, and listed in the README.
"""

import ipaddress
import json
import os
import re
import sys

import testinfra

host = testinfra.get_host("local://")
spec = json.load(open(sys.argv[1]))
checks = []
skipped = []


def add(kind, title, module, subject, expect, control=False):
    prefix = "control" if control else "oracle"
    checks.append(
        {
            "id": f"{prefix}.{kind}.{len(checks)}",
            "title": title,
            "probe": {module: subject},
            "expect": expect,
        }
    )


# ------------------------------------------------------------------ TOML output
def template(s):
    # driftscope templates: `{name}` is a placeholder, `{{`/`}}` a literal brace.
    return s.replace("{", "{{").replace("}", "}}")


def toml_str(s):
    return json.dumps(template(s), ensure_ascii=False).replace("\x7f", "\\u007f")


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return (
            "{ "
            + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items())
            + " }"
        )
    raise TypeError(f"no TOML for {v!r}")


def regex_literal(line):
    # Rust regex syntax: escape the metacharacters only.
    return re.sub(r"([\\.+*?()|\[\]{}^$#&\-~])", r"\\\1", line)


# ------------------------------------------------------------------ packages
listed = host.run("dpkg-query -W -f '${Package}\\n'").stdout.split()
names = sorted(set(listed))
sample = names[:: max(1, len(names) // 40)] + ["bash", "coreutils", "libc6", "dpkg"]
for name in sorted(set(sample)):
    p = host.package(name)
    if p.is_installed:
        add("package", f"{name} installed", "package", name,
            {"installed": True, "version": p.version})
        add("package", f"{name} version range", "package", name,
            {"version": {"version": f">= {p.version}, < {p.version}.ds-after || = 0:0"}})
    else:
        add("package", f"{name} not installed", "package", name, {"installed": False})
for name in ["ds-oracle-absent", "nginx", "apache2", "postgresql", "emacs"]:
    if not host.package(name).is_installed:
        add("package", f"{name} absent", "package", name, {"installed": False})
add("package", "bash version wrong", "package", "bash",
    {"version": host.package("bash").version + "ds"}, control=True)
add("package", "bash newer than it is", "package", "bash",
    {"version": {"version": f"> {host.package('bash').version}"}}, control=True)
add("package", "absent installed", "package", "ds-oracle-absent", {"installed": True},
    control=True)


# ------------------------------------------------------------------ files and directories
def file_type(f):
    for attr, name in [
        ("is_symlink", "symlink"),  # lstat: the path itself, as driftscope's `type`
        ("is_directory", "directory"),
        ("is_file", "file"),
        ("is_pipe", "fifo"),
        ("is_socket", "socket"),
    ]:
        if getattr(f, attr):
            return name
    # testinfra's File has no device predicates: ask `test` through it.
    for flag, name in [("-c", "char_device"), ("-b", "block_device")]:
        if host.run(f"test {flag} %s", f.path).rc == 0:
            return name
    return None


def name_or_number(name, number):
    # INTENDED: `stat %U` prints UNKNOWN for a uid without a name; driftscope shows the number.
    return str(number) if name == "UNKNOWN" else name


def file_facts(path, deep):
    f = host.file(path)
    if not f.exists:
        if f.is_symlink:
            # A dangling link: testinfra's exists is `test -e`, like driftscope's.
            add("file", f"{path} dangles", "file", path,
                {"exists": False, "type": "symlink", "link_target": os.readlink(path)})
        else:
            add("file", f"{path} absent", "file", path, {"exists": False})
            add("directory", f"{path} absent", "directory", path, {"exists": False})
        return
    expect = {"exists": True, "type": file_type(f)}
    if f.is_symlink:
        # INTENDED: link_target is readlink (what the link says), testinfra's linked_to is
        # realpath; the path must still resolve where testinfra says.
        expect["link_target"] = os.readlink(path)
        assert os.path.realpath(path) == f.linked_to, path
    # testinfra's stat -L: the file the path resolves to, as driftscope's attributes.
    expect.update(
        {
            "mode": "%04o" % f.mode,
            "owner": name_or_number(f.user, f.uid),
            "group": name_or_number(f.group, f.gid),
            "uid": f.uid,
            "gid": f.gid,
        }
    )
    if not f.is_directory:
        expect["size"] = f.size
    if deep and f.is_file and os.access(path, os.R_OK) and f.size < 1 << 20:
        expect["sha256"] = f.sha256sum
        try:
            lines = [l for l in f.content_string.split("\n") if l.strip()]
        except UnicodeDecodeError:
            lines = []
        if lines:
            wanted = {lines[0], lines[-1]}
            expect["contains"] = ["^" + regex_literal(l) + "$" for l in sorted(wanted)]
        expect["not_contains"] = ["ds-oracle-absent-[0-9]{7}"]
    add("file", f"{path} as testinfra sees it", "file", path, expect)
    directory = {"exists": f.is_directory}
    if f.is_directory:
        directory.update({k: expect[k] for k in ["mode", "owner", "group", "uid", "gid"]})
    add("directory", f"{path} as a directory", "directory", path, directory)
    return expect


system_paths = [
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/hostname", "/etc/hosts",
    "/etc/os-release", "/etc/localtime", "/etc/debian_version", "/etc/ssh/sshd_config",
    "/bin", "/sbin", "/lib", "/usr/bin/passwd", "/usr/bin/sudo", "/usr/bin/su",
    "/usr/bin/chage", "/tmp", "/var/tmp", "/dev/null", "/dev/zero", "/dev/urandom",
    "/root", "/etc", "/usr/share/doc", "/run", "/proc/self", "/etc/ds-oracle-absent",
]
system_paths += sorted(
    os.path.join("/etc/alternatives", n) for n in os.listdir("/etc/alternatives")
)[:8]
system_paths += sorted(os.path.join("/usr/bin", n) for n in os.listdir("/usr/bin"))[::60]
for path in system_paths:
    if path != "/proc/self":  # changes with every process: only its existence
        file_facts(path, deep=path.startswith("/etc/"))
    else:
        add("file", "/proc/self exists", "file", path, {"exists": True, "type": "symlink"})
tree = spec["tree"]
for name in sorted(os.listdir(tree)):
    file_facts(os.path.join(tree, name), deep=True)
first = file_facts("/etc/hostname", deep=False)
add("file", "hostname mode wrong", "file", "/etc/hostname",
    {"mode": "%04o" % (int(first["mode"], 8) ^ 0o002)}, control=True)
add("file", "hostname owner wrong", "file", "/etc/hostname", {"owner": "ds-oracle-nobody"},
    control=True)
add("file", "passwd contains a line it has not", "file", "/etc/passwd",
    {"contains": ["^ds-oracle-absent:"]}, control=True)
add("directory", "a file is a directory", "directory", "/etc/passwd", {"exists": True},
    control=True)
add("file", "a directory is a file", "file", "/etc", {"type": "file"}, control=True)


# ------------------------------------------------------------------ users and groups
for line in host.run("getent passwd").stdout.splitlines():
    name = line.split(":")[0]
    u = host.user(name)
    expect = {"exists": True, "uid": u.uid, "gid": u.gid, "home": u.home, "shell": u.shell}
    groups = host.run("id -nG %s", name)
    if groups.rc == 0:
        # INTENDED: testinfra's `id -nG` order is not /etc/group's; compare as a set.
        members = groups.stdout.split()
        expect["groups"] = {"set": members}
        expect_len = {"len": len(members)}
        add("user", f"{name} has {len(members)} groups", "user", name, {"groups": expect_len})
    else:
        skipped.append(f"user {name}: id -nG failed: {groups.stderr.strip()}")
    add("user", f"user {name}", "user", name, expect)
add("user", "absent user", "user", "ds-oracle-nobody", {"exists": False})
root = host.user("root")
add("user", "root uid wrong", "user", "root", {"uid": root.uid + 1}, control=True)
add("user", "root in one more group", "user", "root",
    {"groups": {"set": root.groups + ["ds-oracle-group"]}}, control=True)
for line in host.run("getent group").stdout.splitlines():
    name = line.split(":")[0]
    g = host.group(name)
    add("group", f"group {name}", "group", name,
        {"exists": True, "gid": g.gid, "members": g.members})
add("group", "absent group", "group", "ds-oracle-group", {"exists": False})
add("group", "root gid wrong", "group", "root", {"gid": host.group("root").gid + 1},
    control=True)


# ------------------------------------------------------------------ sysctls
VOLATILE = re.compile(
    r"^(fs\.(dentry-state|inode-nr|inode-state|file-nr|aio-nr|quota\.)|kernel\.(random\.|"
    r"ns_last_pid|pty\.nr|tainted|sched_domain)|net\.netfilter\.nf_conntrack_count|"
    r"vm\.(stat_refresh|compact_memory|drop_caches)|net\.ipv4\.route\.flush|"
    r"net\.ipv6\.route\.flush|.*stable_secret)"
)
keys = host.run("sysctl -a -N").stdout.split()
picked = [k for k in keys if not VOLATILE.match(k)]
picked = picked[:: max(1, len(picked) // 250)] + ["kernel.ostype", "kernel.core_modes",
                                                   "net.ipv4.tcp_rmem", "vm.swappiness"]
first_read = {}
for key in sorted(set(picked)):
    if not re.fullmatch(r"[A-Za-z0-9_./-]+", key):
        skipped.append(f"sysctl {key}: not a key driftscope takes")
        continue
    try:
        first_read[key] = host.sysctl(key)
    except Exception as e:  # write-only or failing read: testinfra has no value
        skipped.append(f"sysctl {key}: {str(e).splitlines()[0][:80]}")
for n, (key, value) in enumerate(sorted(first_read.items())):
    try:
        again = host.sysctl(key)
    except Exception:
        continue
    if again != value:
        skipped.append(f"sysctl {key}: changed between two reads")
        continue
    if isinstance(value, str):
        # INTENDED: runs of tabs/spaces within a line become one space (multi-value keys).
        value = "\n".join(" ".join(line.split()) for line in value.split("\n"))
    # (testinfra turns numbers into ints: `007` is 7; driftscope compares them as numbers.)
    subject = key
    if n % 7 == 0 and "/" not in key:
        # procps's slash form of the same key: dots and slashes swap.
        subject = key.translate(str.maketrans("./", "/."))
    add("sysctl", f"{subject} = {str(value)[:40]}", "sysctl", subject,
        {"exists": True, "value": value})
add("sysctl", "ostype wrong", "sysctl", "kernel.ostype", {"value": "Plan9"}, control=True)
add("sysctl", "absent key exists", "sysctl", "kernel.ds_oracle_absent", {"exists": True},
    control=True)
add("sysctl", "absent key", "sysctl", "kernel.ds_oracle_absent", {"exists": False})


# ------------------------------------------------------------------ mounts
mounts = host.mount_point.get_mountpoints()
counts = {}
for m in mounts:
    counts[m.path] = counts.get(m.path, 0) + 1
for m in mounts:
    if counts[m.path] > 1 or "\\" in m.path:
        skipped.append(f"mount {m.path}: mounted {counts[m.path]} times or escaped")
        continue
    add("mount", f"{m.path} mounted", "mount", m.path,
        {"mounted": True, "fstype": m.filesystem, "device": m.device, "options": m.options})
add("mount", "absent mount point", "mount", "/ds-oracle-absent", {"mounted": False})
add("mount", "/ is tmpfs-ext9", "mount", "/", {"fstype": "ext9"}, control=True)


# ------------------------------------------------------------------ listening sockets
for sock in sorted(set(host.socket.get_listening_sockets())):
    proto, rest = sock.split("://")
    if proto not in ("tcp", "udp"):
        continue
    addr, port = rest.rsplit(":", 1)
    # INTENDED: testinfra's is_listening counts `::` for IPv4 addresses even when v6-only
    # and `0.0.0.0` as no answer for `tcp://PORT`; driftscope follows what connecting
    # does. So only what testinfra lists is mapped: that address and port are bound.
    try:
        ipaddress.ip_address(addr)
    except ValueError:  # e.g. `127.0.0.53%lo`: a scope driftscope's subjects do not take
        skipped.append(f"socket {sock}: not a plain address")
        continue
    shown = f"[{addr}]" if ":" in addr else addr
    add("port", f"{sock} listening", "port", f"{proto}/{shown}:{port}", {"listening": True})
    expect = {"listening": True}
    if addr != "0.0.0.0":
        # INTENDED: for a dual-stack socket (ss `*`) testinfra lists both `::` and
        # `0.0.0.0`; driftscope lists the one address bound, `::`.
        expect["addresses"] = {"contains": [addr]}
    add("port", f"{proto} port {port} listening", "port", f"{proto}/{port}", expect)
closed = spec["closed_port"]
assert not host.socket(f"tcp://127.0.0.1:{closed}").is_listening
add("port", "closed port", "port", f"tcp/{closed}", {"listening": False})
add("port", "closed port listening", "port", f"tcp/127.0.0.1:{closed}", {"listening": True},
    control=True)
v4 = spec["v4_port"]
add("port", "0.0.0.0 does not serve ::1", "port", f"tcp/[::1]:{v4}", {"listening": True},
    control=True)


# ------------------------------------------------------------------ processes
mine = host.process.filter(comm=spec["process"])
add("process", "the test's process", "process", spec["process"],
    {"running": True, "count": len(mine), "users": {"set": sorted({p.user for p in mine})}})
add("process", "pid 1", "process", host.process.get(pid=1).comm, {"running": True})
add("process", "absent process", "process", "ds-oracle-absent", {"running": False, "count": 0})
add("process", "one process too many", "process", spec["process"],
    {"count": len(mine) + 1}, control=True)


# ------------------------------------------------------------------ commands
commands = [
    "uname -s",
    "id -u",
    "echo out; echo err >&2; exit 3",
    "ds-oracle-absent-program",
    "printf 'a\\n\\n'",
    "awk '{print $1}' /etc/hostname",
    "cat /etc/os-release",
    "test -d /etc",
    "false",
    "echo \"$0\"",
]
for cmd in commands:
    r = host.run(cmd)
    # INTENDED: driftscope strips trailing newlines (as `$(…)` does); testinfra's local
    # backend runs `/bin/sh -c`, driftscope `sh -c` (PATH's sh): `$0` and the "not found"
    # prefix name it so.
    out = r.stdout.rstrip("\n")
    err = re.sub(r"^/bin/sh: ", "sh: ", r.stderr.rstrip("\n"))
    if out == "/bin/sh":
        out = "sh"
    add("command", f"{cmd} as testinfra ran it", "command", cmd,
        {"exit_status": r.rc, "stdout": out, "stderr": err})
    if out:
        add("command", f"{cmd} stdout first line", "command", cmd,
            {"stdout": {"all": [{"matches": "^" + regex_literal(out.split("\n")[0])},
                                {"not": {"matches": "ds-oracle-absent"}}]}})
add("command", "uname exit status wrong", "command", "uname -s", {"exit_status": 1},
    control=True)
add("command", "uname stdout wrong", "command", "uname -s",
    {"stdout": {"any": ["Plan9", {"matches": "^BSD"}]}}, control=True)

# ------------------------------------------------------------------ write
print('category = "oracle"\nkind = "static"\ndescription = "facts from pytest-testinfra"\n')
for c in checks:
    print("[[check]]")
    for k in ["id", "title", "probe", "expect"]:
        print(f"{k} = {toml_value(c[k])}")
    print()
summary = {}
for c in checks:
    key = c["id"].rsplit(".", 1)[0]
    summary[key] = summary.get(key, 0) + 1
print(json.dumps({"checks": summary, "skipped": skipped}), file=sys.stderr)
