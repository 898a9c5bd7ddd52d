#!/bin/sh
# Re-capture the user, group and mount fixtures (src/probe/testdata/{user,group}/getent.out,
# mount/mounts.out) so that they hold only test-owned content: the fragments run chrooted in a
# fresh mount namespace, in a tmpfs root holding only the programs they start (sh, getent,
# grep, head, cat, with their libraries), an /etc/passwd, /etc/group and nsswitch.conf written
# here, /proc and a tmpfs at '/mnt/with space' (the kernel prints the space as `\040`). A
# chrooted process's /proc/self/mounts lists only the mounts under its root, so the machine's
# mount table, accounts and groups never reach a fixture. Needs root and util-linux
# (unshare). `tests/fixture_hygiene.rs` fails on any account, group or mount that is not
# one of these.
#
#   scripts/capture-account-mount-fixtures.sh        # rewrites the three files
set -eu
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "needs root (unshare, mount, chroot)" >&2; exit 2; }
cargo build --quiet --example probe_fragment
fragment=$PWD/target/debug/examples/probe_fragment
data=$PWD/src/probe/testdata
work=$(mktemp -d /tmp/ds-account-capture.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
prologue='LC_ALL=C; export LC_ALL; PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH'
{ echo "$prologue"; "$fragment" user root nobody sshd nosuchuser 0 'daemon#uid,groups'; } >"$work/user.sh"
{ echo "$prologue"; "$fragment" group root shadow nosuchgroup ssl-cert '0#gid'; } >"$work/group.sh"
{ echo "$prologue"; "$fragment" mount /proc / /nope /proc/ '/mnt/with space#mounted'; } >"$work/mount.sh"
cat >"$work/init.sh" <<'INIT'
set -eu
root=$work/root
mkdir "$root"
mount -t tmpfs -o mode=0755 ds-root "$root"
for p in sh getent grep head cat; do
    bin=$(command -v "$p")
    for f in "$bin" $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$f")"
        cp -L "$f" "$root$f"
    done
done
mkdir -p "$root/etc" "$root/proc" "$root/mnt/with space" "$root/capture" "$root/dev"
mknod -m 0666 "$root/dev/null" c 1 3
printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' 'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin' \
    'sshd:x:102:65534::/run/sshd:/usr/sbin/nologin' 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' \
    >"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'daemon:x:1:' 'shadow:x:42:' 'ssl-cert:x:103:postgres' 'postgres:x:104:' \
    'nogroup:x:65534:' >"$root/etc/group"
printf '%s\n' 'passwd: files' 'group: files' >"$root/etc/nsswitch.conf"
cp "$work"/user.sh "$work"/group.sh "$work"/mount.sh "$root/capture/"
mount -t proc proc "$root/proc"
mount -t tmpfs none "$root/mnt/with space"
chroot "$root" /usr/bin/sh /capture/user.sh >"$data/user/getent.out"
chroot "$root" /usr/bin/sh /capture/group.sh >"$data/group/getent.out"
chroot "$root" /usr/bin/sh /capture/mount.sh >"$data/mount/mounts.out"
INIT
export work data
env -i PATH="$PATH" work="$work" data="$data" unshare --mount --propagation private sh "$work/init.sh"
echo "captured: $data/user/getent.out $data/group/getent.out $data/mount/mounts.out"
