#!/usr/bin/env bash
# Smoke test of a published cot-proxy binary (JIT-only tests miss trimming breaks).
#
#   scripts/smoke.sh BINARY
#
# Checks --version, --help (names every setting of .env.example), `config` on .env.example and on
# cot-proxy.example.yaml (and a misspelt YAML key),
# then serves --demo on a free loopback port: GET /health 200, a streamed chat completion with
# data: events and [DONE], `health-check` exit 0 against it, SIGHUP reloading, SIGUSR1/SIGUSR2 logged and
# ignored, that an unreachable upstream's error body and log line hold our own words, not the trimmed
# runtime's resource keys, SIGTERM -> exit 0, and `health-check` exit 1 once it is gone; then a second
# --demo stopped by SIGQUIT -> exit 0. Prints PASS/FAIL lines; exits 1 if any check failed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -eq 1 ] || { echo "usage: $0 BINARY" >&2; exit 2; }
binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
[ -x "$binary" ] || { echo "FAIL not an executable: $1"; exit 1; }
command -v curl >/dev/null || { echo "FAIL curl is needed"; exit 1; }

# shellcheck source=scripts/lib/smoke-lib.sh
. "$root/scripts/lib/smoke-lib.sh"
trap smoke_cleanup EXIT

version="$(run_clean "$binary" --version 2>&1)"
if [[ "$version" =~ ^cot-proxy\ [0-9]+\.[0-9]+\.[0-9]+ ]]; then
  pass "--version: $version"
else
  fail "--version: $version"
fi

help="$(run_clean "$binary" --help 2>&1)"
help_status=$?
missing=""
while read -r key; do
  [ "$key" = HOST_PORT ] && continue # docker compose's, not the binary's
  grep -q "^  $key " <<<"$help" || missing="$missing $key"
done < <(sed -n 's/^\(# \)\{0,1\}\([A-Z_][A-Z0-9_]*\)=.*/\2/p' "$root/.env.example" | sort -u)
if [ "$help_status" -eq 0 ] && [ -z "$missing" ]; then
  pass "--help: exit 0, every setting of .env.example listed"
else
  fail "--help: exit $help_status, missing:$missing"
fi

# The config file's YAML is read by YamlDotNet's parser: the trimmed build must still read the example and its errors.
yaml_config="$(run_clean env COT_CONFIG="$root/cot-proxy.example.yaml" "$binary" config 2>&1)"
if [ $? -eq 0 ] && grep -q '^  qwen3-creative; ' <<<"$yaml_config" && grep -q '^  local  http://localhost:8080/v1/  key \*\*\*' <<<"$yaml_config"; then
  pass "config with COT_CONFIG=cot-proxy.example.yaml: upstream and profiles read"
else
  fail "config with COT_CONFIG=cot-proxy.example.yaml: $yaml_config"
fi
printf 'profiles:\n  m: { temprature: 1 }\n' >"$SMOKE_WORKDIR/bad.yaml"
bad_config="$(run_clean env COT_CONFIG="$SMOKE_WORKDIR/bad.yaml" "$binary" config 2>&1)"
if [ $? -eq 2 ] && grep -q 'bad.yaml:2: profile `m`: unknown key `temprature` — did you mean `temperature`?' <<<"$bad_config"; then
  pass "config with a misspelt key: exit 2, file:line and the suggestion"
else
  fail "config with a misspelt key: $bad_config"
fi

config="$(run_clean "$binary" config --env-file "$root/.env.example" 2>&1)"
config_status=$?
if [ "$config_status" -eq 0 ] && grep -q '^model profiles:' <<<"$config" && ! grep -q '^warning' <<<"$config"; then
  pass "config --env-file .env.example: exit 0, $(grep -c '^  ' <<<"$config") profile(s), no warnings"
else
  fail "config --env-file .env.example: exit $config_status: $config"
fi

# A script's background job starts with SIGINT and SIGQUIT ignored (nohup: SIGHUP), and the runtime keeps a signal
# ignored at start ignored: they are set back to their defaults, as a container or service manager starts the proxy
# (env --default-signal: coreutils 8.31 and later).
launcher=()
if env --default-signal=QUIT true 2>/dev/null; then launcher=(env --default-signal=HUP,INT,QUIT,TERM,USR1,USR2); fi

if ! start_proxy "${launcher[@]}" "$binary" --demo --host 127.0.0.1 --port 0; then
  fail "--demo: did not start listening"
  smoke_result "smoke $binary"
  exit 1
fi
pass "--demo: listening on 127.0.0.1:$PROXY_PORT"

check_health "$PROXY_PORT"
check_stream "$PROXY_PORT"
check "health-check --port $PROXY_PORT: exit 0" run_clean "$binary" health-check --host 127.0.0.1 --port "$PROXY_PORT"

kill -HUP "$PROXY_PID"
for ((i = 0; i < 50; i++)); do grep -q "info configuration reloaded" "$PROXY_LOG" && break; sleep 0.1; done
if kill -0 "$PROXY_PID" 2>/dev/null && grep -q "info SIGHUP received: reloading the configuration" "$PROXY_LOG" && grep -q "info configuration reloaded" "$PROXY_LOG"; then
  pass "SIGHUP: configuration reloaded"
else
  fail "SIGHUP: $(tail -3 "$PROXY_LOG")"
fi
for signal in USR1 USR2; do
  kill -"$signal" "$PROXY_PID"
  for ((i = 0; i < 50; i++)); do grep -q "info SIG$signal received: ignored" "$PROXY_LOG" && break; sleep 0.1; done
  if kill -0 "$PROXY_PID" 2>/dev/null && grep -q "info SIG$signal received: ignored" "$PROXY_LOG"; then
    pass "SIG$signal: logged and ignored"
  else
    fail "SIG$signal: $(tail -3 "$PROXY_LOG")"
  fi
done
check_health "$PROXY_PORT"

# Unreachable upstreams, answered in the binary's own words: the trimmed build's exception messages are resource keys
# (UseSystemResourceKeys), such as net_http_client_execution_error; none may reach the error body or the log. One
# upstream refuses the connection; the other is the demo proxy above, spoken to in TLS it does not speak.
demo_pid="$PROXY_PID" demo_port="$PROXY_PORT" demo_log="$PROXY_LOG"
for upstream in "http://127.0.0.1:1/v1" "https://127.0.0.1:$demo_port/v1"; do
  if ! start_proxy "$binary" --target "$upstream" --host 127.0.0.1 --port 0; then
    fail "--target $upstream: did not start listening"
    continue
  fi
  body="$(curl -s -m 30 -H 'Content-Type: application/json' -d '{"model":"m","messages":[]}' "http://127.0.0.1:$PROXY_PORT/v1/chat/completions")"
  message="$(sed -n 's/^{"error":{"message":"\(.*\)","type":.*/\1/p' <<<"$body")"
  # request_id=… is the proxy's own field on every log line of a request (README, "Metrics"), not a resource key.
  keys="$( (printf '%s\n' "$message"; grep -v ' access ' "$PROXY_LOG" | sed 's/ request_id=[^ ]*//') | grep -Eo '\b[a-z]+_[a-z_]+\b' | sort -u | tr '\n' ' ')"
  if [ -n "$message" ] && [ -z "$keys" ]; then
    pass "--target $upstream: error in our own words: $message"
  else
    fail "--target $upstream: resource keys [${keys}] or no error message in: $body"
  fi
  kill -TERM "$PROXY_PID"
  wait "$PROXY_PID" 2>/dev/null
done
PROXY_PID="$demo_pid" PROXY_PORT="$demo_port" PROXY_LOG="$demo_log"

port="$PROXY_PORT"
stop_proxy_expect_zero
if grep -q 'info stopped' "$PROXY_LOG"; then pass "shutdown logged"; else fail "shutdown not logged: $(tail -3 "$PROXY_LOG")"; fi

run_clean "$binary" health-check --host 127.0.0.1 --port "$port" >/dev/null 2>&1
status=$?
if [ "$status" -eq 1 ]; then pass "health-check with no proxy: exit 1"; else fail "health-check with no proxy: exit $status"; fi

if start_proxy "${launcher[@]}" "$binary" --demo --host 127.0.0.1 --port 0; then
  stop_proxy_expect_zero QUIT
  if grep -q 'info SIGQUIT received' "$PROXY_LOG" && grep -q 'info stopped' "$PROXY_LOG"; then pass "SIGQUIT: graceful stop logged"; else fail "SIGQUIT: $(tail -3 "$PROXY_LOG")"; fi
else
  fail "--demo (second start, for SIGQUIT): did not start listening"
fi

smoke_result "smoke $binary"
