# shellcheck shell=bash
# Helpers shared by the smoke and budget scripts; source it, do not run it.
# A proxy is always started in an empty working directory with an empty environment, so no
# .env file or variable of the caller changes what is tested.

SMOKE_FAILURES=0
SMOKE_WORKDIR="$(mktemp -d /tmp/cot-proxy-smoke.XXXXXX)"
chmod 755 "$SMOKE_WORKDIR"
PROXY_PID=""
PROXY_PORT=""
PROXY_LOG=""

pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; SMOKE_FAILURES=$((SMOKE_FAILURES + 1)); }

# check NAME COMMAND...: PASS when COMMAND exits 0, FAIL (with its output) otherwise.
check() {
  local name="$1"
  shift
  local out
  if out="$("$@" 2>&1)"; then
    pass "$name"
  else
    fail "$name: exit $?: $(printf '%s' "$out" | tail -5)"
  fi
}

# run_clean COMMAND...: runs COMMAND in the empty work directory with only PATH set.
run_clean() {
  (cd "$SMOKE_WORKDIR" && env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@")
}

# start_proxy COMMAND...: starts COMMAND (the proxy and its options, which should include
# --port 0) in the background, waits up to 30 s for its "listening on" line, and sets
# PROXY_PID, PROXY_PORT and PROXY_LOG. Returns 1 if it never listens.
start_proxy() {
  PROXY_LOG="$SMOKE_WORKDIR/proxy-$RANDOM.log"
  (cd "$SMOKE_WORKDIR" && exec env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@") >"$PROXY_LOG" 2>&1 &
  PROXY_PID=$!
  PROXY_PORT=""
  local i
  for ((i = 0; i < 300; i++)); do
    PROXY_PORT="$(sed -n 's/.*listening on http:\/\/[^ ]*:\([0-9][0-9]*\) .*/\1/p' "$PROXY_LOG" | head -1)"
    if [ -n "$PROXY_PORT" ]; then
      return 0
    fi
    if ! kill -0 "$PROXY_PID" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  echo "proxy did not start; its output:" >&2
  cat "$PROXY_LOG" >&2
  return 1
}

# stop_proxy_expect_zero [SIGNAL]: SIGNAL (default TERM), then the proxy must exit 0 within 15 s.
stop_proxy_expect_zero() {
  local i status signal="${1:-TERM}"
  kill -"$signal" "$PROXY_PID"
  for ((i = 0; i < 150; i++)); do
    if ! kill -0 "$PROXY_PID" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  if kill -0 "$PROXY_PID" 2>/dev/null; then
    kill -KILL "$PROXY_PID" 2>/dev/null
    wait "$PROXY_PID" 2>/dev/null
    PROXY_PID=""
    fail "SIG$signal: still running after 15 s"
    return
  fi
  wait "$PROXY_PID"
  status=$?
  PROXY_PID=""
  if [ "$status" -eq 0 ]; then
    pass "SIG$signal: exit 0"
  else
    fail "SIG$signal: exit $status; log tail: $(tail -3 "$PROXY_LOG")"
  fi
}

# check_health PORT: GET /health must answer 200 with "healthy".
check_health() {
  local body code
  body="$SMOKE_WORKDIR/health.json"
  code="$(curl -sS --max-time 10 -o "$body" -w '%{http_code}' "http://127.0.0.1:$1/health" 2>&1)"
  if [ "$code" = 200 ] && grep -q '"status":"healthy"' "$body"; then
    pass "GET /health: 200 $(cat "$body")"
  else
    fail "GET /health: $code $(cat "$body" 2>/dev/null)"
  fi
}

# check_stream PORT: a streamed chat completion must come back as text/event-stream with
# chat.completion.chunk data events and end with "data: [DONE]".
check_stream() {
  local out="$SMOKE_WORKDIR/stream.txt" headers="$SMOKE_WORKDIR/stream.headers" events
  if ! curl -sS -N --max-time 30 -D "$headers" -o "$out" "http://127.0.0.1:$1/v1/chat/completions" \
    -H 'Content-Type: application/json' \
    -d '{"model":"demo","messages":[{"role":"user","content":"Hello!"}],"stream":true}' 2>"$SMOKE_WORKDIR/stream.err"; then
    fail "streamed completion: curl: $(cat "$SMOKE_WORKDIR/stream.err")"
    return
  fi
  events="$(grep -c '^data: {.*"object":"chat.completion.chunk"' "$out")"
  if ! head -1 "$headers" | grep -q ' 200'; then
    fail "streamed completion: status $(head -1 "$headers")"
  elif ! grep -qi '^content-type: text/event-stream' "$headers"; then
    fail "streamed completion: content type $(grep -i '^content-type' "$headers")"
  elif [ "$events" -lt 2 ]; then
    fail "streamed completion: $events chunk events"
  elif [ "$(grep '^data: ' "$out" | tail -1 | tr -d '\r')" != 'data: [DONE]' ]; then
    fail "streamed completion: last event is not [DONE]: $(tail -2 "$out")"
  else
    pass "streamed completion: $events data events, then [DONE]"
  fi
}

# smoke_cleanup: kills a proxy still running and removes the work directory.
smoke_cleanup() {
  if [ -n "$PROXY_PID" ] && kill -0 "$PROXY_PID" 2>/dev/null; then
    kill -KILL "$PROXY_PID" 2>/dev/null
    wait "$PROXY_PID" 2>/dev/null
  fi
  rm -rf "$SMOKE_WORKDIR"
}

# smoke_result NAME: prints the summary and returns non-zero when anything failed.
smoke_result() {
  if [ "$SMOKE_FAILURES" -eq 0 ]; then
    echo "PASS $1: all checks passed"
    return 0
  fi
  echo "FAIL $1: $SMOKE_FAILURES check(s) failed"
  return 1
}
