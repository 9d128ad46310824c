#!/usr/bin/env bash
# Proves the distroless image's promise without a Docker engine: the binary runs in a root file
# system that holds only what such an image holds, as a non-root user.
#
#   scripts/rootfs-smoke.sh BINARY        (as root: mknod, mount and chroot need it)
#
# The root holds /app/cot-proxy (where the Dockerfile puts it), the shared libraries `ldd` names,
# /dev/{null,zero,random,urandom}, a mounted /proc and /etc/ssl/certs/ca-certificates.crt; it is
# world-readable and the proxy runs under `chroot --userspec=65532:65532` (the chiseled images'
# "app" user) in --demo mode. From the host: GET /health 200 and a streamed completion; inside
# the root: `cot-proxy health-check` exit 0 (the image's HEALTHCHECK); SIGTERM -> exit 0.
# Everything is unmounted and removed on exit. Prints PASS/FAIL lines; exits 1 on any failure.
set -uo pipefail

script_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 BINARY" >&2; exit 2; }
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$binary" ] || { echo "FAIL not an executable: $1"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "FAIL $0 must run as root (mknod, mount, chroot)"; exit 1; }
for tool in curl ldd chroot mknod mount umount; do
  command -v "$tool" >/dev/null || { echo "FAIL $tool is needed"; exit 1; }
done
ca_bundle=/etc/ssl/certs/ca-certificates.crt
[ -r "$ca_bundle" ] || { echo "FAIL no CA bundle at $ca_bundle (apt-get install ca-certificates)"; exit 1; }

# shellcheck source=scripts/lib/smoke-lib.sh
. "$script_root/scripts/lib/smoke-lib.sh"

rootfs="$(mktemp -d /tmp/cot-proxy-rootfs.XXXXXX)"
cleanup() {
  smoke_cleanup
  if mountpoint -q "$rootfs/proc" 2>/dev/null; then
    umount "$rootfs/proc" || umount -l "$rootfs/proc"
  fi
  # Never recurse into a file system still mounted below the root.
  if ! mountpoint -q "$rootfs/proc" 2>/dev/null; then
    rm -rf --one-file-system "$rootfs"
  else
    echo "FAIL could not unmount $rootfs/proc; left $rootfs in place"
  fi
}
trap cleanup EXIT

mkdir -p "$rootfs/app" "$rootfs/dev" "$rootfs/proc" "$rootfs/etc/ssl/certs"
cp "$binary" "$rootfs/app/cot-proxy"

# ldd lines: "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)";
# each library is copied (symlinks resolved) to the path the loader looks for it at.
libs="$(ldd "$binary" | sed -n 's/.*=> \(\/[^ ]*\) (.*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p')"
[ -n "$libs" ] || { echo "FAIL ldd named no libraries: $(ldd "$binary" 2>&1)"; exit 1; }
for lib in $libs; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done

mknod -m 666 "$rootfs/dev/null" c 1 3
mknod -m 666 "$rootfs/dev/zero" c 1 5
mknod -m 666 "$rootfs/dev/random" c 1 8
mknod -m 666 "$rootfs/dev/urandom" c 1 9
cp "$ca_bundle" "$rootfs$ca_bundle"
# 65532 owns nothing in the root: it only needs to read and execute. (Before /proc is mounted.)
chmod -R a+rX "$rootfs"
mount -t proc proc "$rootfs/proc"

files="$(cd "$rootfs" && find . -path ./proc -prune -o \( -type f -o -type c \) -print | sort | tr '\n' ' ')"
pass "root file system: $files+ /proc"


if ! start_proxy chroot --userspec=65532:65532 "$rootfs" /app/cot-proxy --demo --host 127.0.0.1 --port 0; then
  fail "--demo in the root file system: did not start listening"
  smoke_result "rootfs smoke"
  exit 1
fi
pass "--demo in the root file system: listening on 127.0.0.1:$PROXY_PORT"

uid="$(awk '/^Uid:/ { print $2 }' "/proc/$PROXY_PID/status")"
if [ "$uid" = 65532 ]; then pass "runs as uid 65532"; else fail "runs as uid $uid, not 65532"; fi

check_health "$PROXY_PORT"
check_stream "$PROXY_PORT"
check "health-check inside the root (the image's HEALTHCHECK): exit 0" \
  run_clean chroot --userspec=65532:65532 "$rootfs" /app/cot-proxy health-check --host 127.0.0.1 --port "$PROXY_PORT"
check "--version inside the root" run_clean chroot --userspec=65532:65532 "$rootfs" /app/cot-proxy --version
stop_proxy_expect_zero

smoke_result "rootfs smoke"
