#!/usr/bin/env bash
# Cross-publishes cot-proxy for linux-arm64 (Raspberry Pi class boxes) and runs it under qemu.
#
#   scripts/arm64-smoke.sh [BINARY]
#
# Without BINARY it first runs `scripts/publish.sh linux-arm64 out/linux-arm64` (as root it
# installs clang, lld and the aarch64 cross toolchain itself). Then, under
# `qemu-aarch64 -L /usr/aarch64-linux-gnu` (package qemu-user, installed when missing and root):
# --version, --demo with GET /health 200 and a streamed completion, `health-check` exit 0 and
# SIGTERM -> exit 0. Prints PASS/FAIL lines and the time each phase took; exits 1 on failure.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -le 1 ] || { echo "usage: $0 [BINARY]" >&2; exit 2; }
sysroot=/usr/aarch64-linux-gnu

ensure_package() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed' && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "FAIL package $1 is missing (apt-get install $1)"
    exit 1
  fi
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1"; } >/tmp/cot-proxy-apt.log 2>&1; then
    cat /tmp/cot-proxy-apt.log
    echo "FAIL apt-get install $1"
    exit 1
  fi
}

started=$(date +%s)
if [ $# -eq 1 ]; then
  binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
else
  binary="$root/out/linux-arm64/cot-proxy"
  publish_start=$(date +%s)
  mkdir -p "$root/out"
  if ! "$root/scripts/publish.sh" linux-arm64 "$root/out/linux-arm64" >"$root/out/arm64-publish.log" 2>&1; then
    tail -20 "$root/out/arm64-publish.log"
    echo "FAIL publish linux-arm64 (log: out/arm64-publish.log)"
    exit 1
  fi
  echo "PASS publish linux-arm64: $(stat -c %s "$binary") bytes in $(($(date +%s) - publish_start)) s"
fi
[ -x "$binary" ] || { echo "FAIL not an executable: $binary"; exit 1; }
ensure_package qemu-user
ensure_package libc6-arm64-cross
command -v curl >/dev/null || { echo "FAIL curl is needed"; exit 1; }

# shellcheck source=scripts/lib/smoke-lib.sh
. "$root/scripts/lib/smoke-lib.sh"
trap smoke_cleanup EXIT
qemu=(qemu-aarch64 -L "$sysroot")

machine="$(od -An -tx1 -j18 -N2 "$binary" | tr -d ' \n')"
if [ "$machine" = b700 ]; then pass "ELF machine AArch64"; else fail "ELF machine $machine is not AArch64 (b700)"; fi

version="$(run_clean "${qemu[@]}" "$binary" --version 2>&1)"
if [[ "$version" =~ ^cot-proxy\ [0-9]+\.[0-9]+\.[0-9]+ ]]; then pass "--version under qemu: $version"; else fail "--version under qemu: $version"; fi

run_start=$(date +%s)
if ! start_proxy "${qemu[@]}" "$binary" --demo --host 127.0.0.1 --port 0; then
  fail "--demo under qemu: did not start listening"
  smoke_result "arm64 smoke"
  exit 1
fi
pass "--demo under qemu: listening on 127.0.0.1:$PROXY_PORT"
check_health "$PROXY_PORT"
check_stream "$PROXY_PORT"
check "health-check under qemu: exit 0" run_clean "${qemu[@]}" "$binary" health-check --host 127.0.0.1 --port "$PROXY_PORT"
stop_proxy_expect_zero
echo "time: $(($(date +%s) - run_start)) s under qemu, $(($(date +%s) - started)) s in all"

smoke_result "arm64 smoke"
