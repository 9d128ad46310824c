#!/usr/bin/env bash
# Proves that scripts/publish.sh fails when the native AOT compiler reports a trim warning.
#
#   scripts/publish-fails-on-warnings.sh
#
# Copies the project (without tests/ and bench/) to a temporary folder, adds one file whose
# module initializer calls Type.GetType(string) with an unknown name (trim warning IL2057), hides
# the warning from the Roslyn analyzer with #pragma so only ILC can report it, and runs
# scripts/publish.sh there. PASS when the publish fails and names IL2057; the temporary folder is
# removed. Takes about as long as one publish.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d /tmp/cot-proxy-warncheck.XXXXXX)"
trap 'rm -rf "$work"' EXIT

(cd "$root" && git ls-files --cached --others --exclude-standard | grep -Ev '^(tests|bench)/' | tar cf - -T -) | tar xf - -C "$work"
cat >"$work/TrimWarningProbe.cs" <<'EOF'
using System.Runtime.CompilerServices;

namespace CotProxy;

internal static class TrimWarningProbe
{
    // Module initializers always run, so ILC analyses this method.
#pragma warning disable CA2255, IL2057 // hidden from Roslyn: only the AOT compiler may report it
    [ModuleInitializer]
    internal static void Probe() => _ = System.Type.GetType(System.Environment.GetEnvironmentVariable("COT_PROXY_PROBE") ?? "x")?.GetMethods();
#pragma warning restore CA2255, IL2057
}
EOF

"$work/scripts/publish.sh" linux-x64 "$work/out" >"$work/publish.log" 2>&1
status=$?
if [ "$status" -ne 0 ] && grep -q 'Trim analysis [a-z]* IL2057' "$work/publish.log"; then
  echo "PASS publish.sh fails on a trim warning reported by ILC: $(grep -m1 -o 'Trim analysis [a-z]* IL2057' "$work/publish.log")"
  exit 0
fi
tail -20 "$work/publish.log"
echo "FAIL publish.sh exited $status on a project with a trim warning"
exit 1
