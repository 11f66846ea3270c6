#!/bin/bash
# SPDX-License-Identifier: MIT
# The http-server demo, driven from outside as a user would: curl, raw
# sockets, SIGTERM with kill(1); checks statuses, output, and that no process
# or port is left behind.
set -euo pipefail
demo="${top_builddir:-.}/demo/http-server"
dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$dir/out" 2>/dev/null; exit 1; }
command -v curl >/dev/null || { echo "SKIP: no curl (./bootstrap installs it)"; exit 77; }

# Starts the server with the given grace; sets pid and port.
start() {
	"$demo" --port 0 --grace "$1" >"$dir/out" &
	pid=$!
	for _ in $(seq 1 500); do
		port=$(sed -n 's/^listening on 127\.0\.0\.1://p' "$dir/out")
		[ -n "$port" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "the server died at start"
		sleep 0.01
	done
	fail "no 'listening on' line"
}

# Stops it with SIGTERM; sets status to its exit status.
stop() {
	status=0
	kill -TERM "$pid"
	wait "$pid" || status=$?
	pid=
}

# Waits until the server has logged the request line $1.
logged() {
	for _ in $(seq 1 500); do
		grep -qxF "request: $1" "$dir/out" && return 0
		sleep 0.01
	done
	fail "the server never logged: $1"
}

port_closed() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

"$demo" --help | grep -q '^usage: http-server' || fail "--help"
status=0
"$demo" --port 70000 >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "a bad port exited $status, not 2"

# 1. Requests, keep-alive, a malformed request, a clean drain.
start 5
url="http://127.0.0.1:$port"
[ "$(curl -s "$url/")" = "hello from libtomb" ] || fail "GET /"
curl -sv "$url/" "$url/slow?ms=20" 2>"$dir/curl" >/dev/null
grep -q 'Re-using existing connection' "$dir/curl" || fail "no keep-alive"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/nothing")" = 404 ] || fail "404"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'this is not http\r\n\r\n' >&3
read -r line <&3
exec 3<&-
case "$line" in "HTTP/1.1 400"*) ;; *) fail "malformed request got: $line" ;; esac
[ "$(curl -s "$url/")" = "hello from libtomb" ] || fail "not serving after a 400"
# A client that connects and sends nothing must not hold the shutdown.
exec 4<>"/dev/tcp/127.0.0.1/$port"
stop
[ "$status" -eq 0 ] || fail "a clean drain exited $status, not 0"
exec 4<&-
grep -q '^shutdown: stopped accepting (received SIGTERM)$' "$dir/out" || fail "no shutdown log"
grep -q '^shutdown: done: 4 requests served, 0 interrupted$' "$dir/out" || fail "wrong counts"
port_closed || fail "the port is still open"

# 2. A slow request within the grace period finishes: 200, exit 0.
start 5
curl -s -o "$dir/body" -w '%{http_code}' "http://127.0.0.1:$port/slow?ms=400" >"$dir/code" &
curl_pid=$!
logged "GET /slow?ms=400"
stop
[ "$status" -eq 0 ] || fail "a drain within the grace exited $status, not 0"
wait "$curl_pid"
[ "$(cat "$dir/code")" = 200 ] || fail "the slow request got $(cat "$dir/code")"

# 3. A request past the grace period is interrupted: 503, exit 1.
start 1
curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/slow?ms=60000" >"$dir/code" &
curl_pid=$!
logged "GET /slow?ms=60000"
stop
[ "$status" -eq 1 ] || fail "an interrupted drain exited $status, not 1"
wait "$curl_pid"
[ "$(cat "$dir/code")" = 503 ] || fail "the interrupted request got $(cat "$dir/code")"
grep -q '^shutdown: grace period over, interrupting$' "$dir/out" || fail "no grace log"
grep -q 'requests served, 1 interrupted$' "$dir/out" || fail "wrong counts"
port_closed || fail "the port is still open"
echo "PASS: http-server demo"
