#!/usr/bin/env bash
# Measures the binary's budgets and prints them as a markdown table.
#
#   scripts/budgets.sh BINARY [--runs N] [--write FILE]
#
#   size            the file, at most 12 MiB
#   idle RSS        VmRSS from /proc/PID/status 1 s after the proxy listens (no traffic), at most 20 MiB
#   exec->accepting from just before the fork to the first TCP connect that succeeds, polled in a
#                   tight loop with bash's /dev/tcp (no process per attempt); the median of N runs
#                   (default 21) must be at most 50 ms; min and max are shown too
#   RSS after a streamed demo completion is shown for information (no budget).
# Exits 1 when a budget is exceeded. --write FILE also writes the table, the command, the commit
# and the machine into FILE (CI: --write bench/BUDGETS.md).
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command_line="scripts/budgets.sh $*"
usage() { echo "usage: $0 BINARY [--runs N] [--write FILE]" >&2; exit 2; }
[ $# -ge 1 ] || usage
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
runs=21
write=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) [ $# -ge 2 ] || usage; runs="$2"; shift 2 ;;
    --write) [ $# -ge 2 ] || usage; write="$2"; shift 2
      [[ "$write" = /* ]] || write="$PWD/$write" ;;
    *) usage ;;
  esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || usage
[ -x "$binary" ] || { echo "FAIL not an executable: $binary"; exit 1; }
[ -n "${EPOCHREALTIME:-}" ] || { echo "FAIL bash 5 is needed (EPOCHREALTIME)"; exit 1; }

size_budget=$((12 * 1024 * 1024))
rss_budget_kib=$((20 * 1024))
startup_budget_ms=50

# shellcheck source=scripts/lib/smoke-lib.sh
. "$root/scripts/lib/smoke-lib.sh"
trap smoke_cleanup EXIT
cd "$SMOKE_WORKDIR" || exit 1

can_connect() { { : >"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; }

# A port nothing listens on, below the kernel's ephemeral range so no outgoing connection holds it.
ephemeral_low="$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
free_port() {
  local p
  while :; do
    p=$((10000 + RANDOM % (ephemeral_low - 10000)))
    can_connect "$p" || { echo "$p"; return; }
  done
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# One start: prints the milliseconds from before the fork to the first accepted connect.
startup_ms() {
  local port pid t0 t1 tries=0
  port="$(free_port)"
  t0=$EPOCHREALTIME
  (exec -c "$binary" --host 127.0.0.1 --port "$port" >"$SMOKE_WORKDIR/startup.log" 2>&1) &
  pid=$!
  until can_connect "$port"; do
    tries=$((tries + 1))
    if ((tries % 1000 == 0)) && ! kill -0 "$pid" 2>/dev/null; then
      echo "proxy exited before listening on $port: $(cat "$SMOKE_WORKDIR/startup.log")" >&2
      return 1
    fi
  done
  t1=$EPOCHREALTIME
  kill -TERM "$pid"
  wait "$pid"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", (b - a) * 1000 }'
}

size=$(stat -c %s "$binary")
load="$(cut -d' ' -f1-3 /proc/loadavg)"

samples=()
for ((i = 0; i < runs; i++)); do
  # A port taken between the check and the bind fails that start only: try another port.
  ms="$(startup_ms)" || ms="$(startup_ms)" || { echo "FAIL startup run $i"; exit 1; }
  samples+=("$ms")
done
read -r median min max < <(printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END { printf "%s %s %s\n", v[int((NR + 1) / 2)], v[1], v[NR] }')

# Idle: the plain server (no --demo), nothing connected after the readiness probe.
port="$(free_port)"
(exec -c "$binary" --host 127.0.0.1 --port "$port" >/dev/null 2>&1) &
pid=$!
until can_connect "$port"; do kill -0 "$pid" 2>/dev/null || { echo "FAIL idle proxy exited"; exit 1; }; done
sleep 1
idle_kib="$(rss_kib "$pid")"
kill -TERM "$pid"
wait "$pid"

mib() { awk -v k="$1" -v d="$2" 'BEGIN { printf "%.2f MiB", k / d }'; }

# For information: the demo after one streamed completion.
if start_proxy "$binary" --demo --host 127.0.0.1 --port 0; then
  check_stream "$PROXY_PORT" >/dev/null
  sleep 0.5
  demo_text="$(mib "$(rss_kib "$PROXY_PID")" 1024)"
  stop_proxy_expect_zero >/dev/null
else
  demo_text="? (the demo did not start)"
fi

verdict() { if [ "$1" = 1 ]; then echo ok; else echo OVER; fi; }
size_ok=$((size <= size_budget ? 1 : 0))
rss_ok=$((idle_kib <= rss_budget_kib ? 1 : 0))
start_ok=$(awk -v m="$median" -v b="$startup_budget_ms" 'BEGIN { print (m <= b) ? 1 : 0 }')

table="| measure | value | budget | |
|---|---|---|---|
| binary size | $(mib "$size" 1048576) ($size bytes) | 12 MiB | $(verdict "$size_ok") |
| idle RSS, 1 s after start | $(mib "$idle_kib" 1024) | 20 MiB | $(verdict "$rss_ok") |
| exec to accepting, median of $runs | $median ms (min $min, max $max) | 50 ms | $(verdict "$start_ok") |
| RSS after one streamed demo completion | $demo_text | none | |"
echo "$table"

if [ -n "$write" ]; then
  cd "$root" || exit 1
  {
    echo "# Budgets of the native binary"
    echo
    echo "Measured by \`$command_line\`"
    echo "(published by \`scripts/publish.sh linux-x64\`); budgets from issue 5. MiB = 1024 KiB;"
    echo "RSS is VmRSS from /proc; startup is from just before the fork to the first successful TCP connect."
    echo
    echo "$table"
    echo
    echo "- commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%d)"
    echo "- $(uname -sm), kernel $(uname -r), $(nproc) cores shared with other work, $(awk '/^MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
    echo "- load average when measured: $load (startup times grow with it; min is the unloaded figure)"
  } >"$write"
fi

[ "$size_ok" = 1 ] && [ "$rss_ok" = 1 ] && [ "$start_ok" = 1 ]
