#!/bin/bash
# SPDX-License-Identifier: MIT
# The services demo, driven from outside: the three services answer, the
# metrics count, and each way of stopping gives its exit status.
set -euo pipefail
demo="${top_builddir:-.}/demo/services"
dir=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; cat "$dir/out" 2>/dev/null; exit 1; }
command -v curl >/dev/null || { echo "SKIP: no curl (./bootstrap installs it)"; exit 77; }

start() {
	"$demo" >"$dir/out" &
	pid=$!
	for _ in $(seq 1 500); do
		grep -q '^metrics listening' "$dir/out" && break
		sleep 0.01
	done
	http=$(sed -n 's/^http listening on 127\.0\.0\.1://p' "$dir/out")
	echo_port=$(sed -n 's/^echo listening on 127\.0\.0\.1://p' "$dir/out")
	metrics=$(sed -n 's/^metrics listening on 127\.0\.0\.1://p' "$dir/out")
	[ -n "$metrics" ] || fail "the services did not start"
}

finish() {
	status=0
	wait "$pid" || status=$?
	pid=
	for p in "$http" "$echo_port" "$metrics"; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			fail "port $p still open"
		fi
	done
}

"$demo" --help | grep -q '^usage: services' || fail "--help"
status=0
"$demo" --echo-port x >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "a bad port exited $status, not 2"

# 1. Every service answers; SIGTERM stops them all gracefully: exit 0.
start
[ "$(curl -s "http://127.0.0.1:$http/")" = "hello from the http service" ] || fail "http"
exec 3<>"/dev/tcp/127.0.0.1/$echo_port"
printf 'one\ntwo\n' >&3
read -r a <&3
read -r b <&3
[ "$a $b" = "one two" ] || fail "echo said: $a $b"
# An open echo connection must not keep the group from stopping.
curl -s "http://127.0.0.1:$metrics/" >"$dir/metrics"
grep -qx 'http_requests 1' "$dir/metrics" || fail "metrics: $(cat "$dir/metrics")"
grep -qx 'echo_lines 2' "$dir/metrics" || fail "metrics: $(cat "$dir/metrics")"
kill -TERM "$pid"
finish
exec 3<&-
[ "$status" -eq 0 ] || fail "SIGTERM exited $status, not 0"
grep -qx 'services stopped: received SIGTERM' "$dir/out" || fail "no stop log"

# 2. A service that returns stops the others: exit 0.
start
[ "$(curl -s "http://127.0.0.1:$http/quit")" = "quitting" ] || fail "/quit"
finish
[ "$status" -eq 0 ] || fail "/quit exited $status, not 0"
grep -qx 'services stopped: a service returned' "$dir/out" || fail "no stop log"

# 3. A service that fails stops the others with its reason: exit 1.
start
curl -s "http://127.0.0.1:$http/fail" >/dev/null
finish
[ "$status" -eq 1 ] || fail "/fail exited $status, not 1"
# EIO's text: glibc's, or musl's.
grep -qxE 'services stopped: (Input/output|I/O) error' "$dir/out" || fail "no failure log"
echo "PASS: services demo"
