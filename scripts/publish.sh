#!/usr/bin/env bash
# The one publish command: a self-contained, trimmed, native-AOT cot-proxy for one Linux RID.
# Used by the Dockerfile's build stage, by CI and by the smoke/budget scripts.
#
#   scripts/publish.sh [RID] [OUTDIR]
#     RID     linux-x64 (default) or linux-arm64
#     OUTDIR  default out/RID (relative to the repository root)
#
# Any warning fails the publish: TreatWarningsAsErrors (Directory.Build.props) also sets
# IlcTreatWarningsAsErrors (ILC --warnaserror, which covers the trim/AOT analysis warnings
# IL2xxx/IL3xxx), -warnaserror covers every other MSBuild/SDK warning, and the log is grepped
# for warnings afterwards in case a tool reports one in a way neither catches.
# linux-arm64 on an x64 host cross-compiles with clang + lld (packages: clang lld
# gcc-aarch64-linux-gnu libc6-dev-arm64-cross); run as root, the script installs missing ones.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rid="${1:-linux-x64}"
outdir="${2:-$root/out/$rid}"

die() { echo "publish: $*" >&2; exit 1; }

case "$rid" in
  linux-x64) target_machine=x86_64 ;;
  linux-arm64) target_machine=aarch64 ;;
  *) die "unsupported RID '$rid' (linux-x64 or linux-arm64)" ;;
esac

# Installs the Debian/Ubuntu packages named that are not installed yet (only as root).
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "missing packages: ${missing[*]} (install them: apt-get install ${missing[*]})"
  fi
  echo "publish: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

host_machine="$(uname -m)"
extra=()
if [ "$host_machine" = "$target_machine" ]; then
  # The AOT toolchain prefers clang and falls back to gcc; either links a native binary.
  if ! command -v clang >/dev/null && ! command -v gcc >/dev/null; then
    ensure_packages clang
  fi
elif [ "$host_machine" = x86_64 ] && [ "$rid" = linux-arm64 ]; then
  ensure_packages clang lld gcc-aarch64-linux-gnu libc6-dev-arm64-cross binutils-aarch64-linux-gnu
  # clang targets aarch64 (the ILCompiler targets pass --target), lld links it, the cross
  # binutils' objcopy strips it (the host objcopy may not know aarch64 objects).
  extra+=(-p:CppCompilerAndLinker=clang -p:LinkerFlavor=lld -p:ObjCopyName=aarch64-linux-gnu-objcopy)
else
  die "cannot build $rid on a $host_machine host"
fi

command -v dotnet >/dev/null || die "dotnet (the .NET 10 SDK) is not on PATH"

mkdir -p "$outdir"
outdir="$(cd "$outdir" && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT

echo "publish: $rid -> $outdir" >&2
start=$(date +%s)
set +e
dotnet publish "$root/CotProxy.csproj" -c Release -r "$rid" -o "$outdir" \
  -warnaserror -p:TreatWarningsAsErrors=true -nologo -tl:off "${extra[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || die "dotnet publish failed (exit $status)"

# "warning XX1234:" is MSBuild's canonical form; ILC and ILLink report IL2xxx/IL3xxx through it.
if grep -Eq ': warning [A-Z]+[0-9]+|warning IL[0-9]{4}' "$log"; then
  grep -E ': warning [A-Z]+[0-9]+|warning IL[0-9]{4}' "$log" >&2
  die "the publish reported warnings"
fi

binary="$outdir/cot-proxy"
[ -x "$binary" ] || die "no executable at $binary"
# ELF e_machine (offset 18, little-endian): 0x3e x86-64, 0xb7 AArch64.
machine="$(od -An -tx1 -j18 -N2 "$binary" | tr -d ' \n')"
case "$rid:$machine" in
  linux-x64:3e00 | linux-arm64:b700) ;;
  *) die "$binary has ELF machine $machine, not $rid" ;;
esac

size=$(stat -c %s "$binary")
echo "publish: $binary $size bytes ($(( $(date +%s) - start )) s)" >&2
