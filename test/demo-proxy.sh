#!/bin/bash
# SPDX-License-Identifier: MIT
# The proxy demo, end to end as a user would drive it: curl through the proxy
# to demo/http-server, a transfer of several MiB checked byte for byte, a
# drain within the grace period and one past it (SIGTERM mid-transfer), and
# afterwards no thread or descriptor of a connection left, no port open.
set -euo pipefail
builddir="${top_builddir:-.}"
proxy="$builddir/demo/proxy"
server="$builddir/demo/http-server"
dir=$(mktemp -d)
spid= ppid_= curl_pid=
cleanup() {
	for p in $ppid_ $spid $curl_pid; do kill -KILL "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$dir/proxy.out" 2>/dev/null; exit 1; }
command -v curl >/dev/null || { echo "SKIP: no curl (./bootstrap installs it)"; exit 77; }

# Waits for "listening on 127.0.0.1:PORT" in file $1 of process $2.
port_of() {
	local p
	for _ in $(seq 1 500); do
		p=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$1")
		[ -n "$p" ] && { echo "$p"; return 0; }
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# Waits until file $1 has bytes (a transfer by curl, process $2, is under
# way), for 30 s at most.
await_bytes() {
	for _ in $(seq 1 3000); do
		[ -s "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || fail "curl ended before any byte came"
		sleep 0.01
	done
	fail "no byte came through in 30 s"
}

# The real process behind libtool's wrapper script, if there is one: the
# child whose /proc/PID/exe is the proxy binary, else $1 itself.
real_pid() {
	local kid
	for kid in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		echo "$kid"; return
	done
	echo "$1"
}

start_proxy() { # grace
	"$proxy" --port 0 --upstream "127.0.0.1:$sport" --grace "$1" >"$dir/proxy.out" &
	ppid_=$!
	pport=$(port_of "$dir/proxy.out" "$ppid_") || fail "the proxy did not start"
	rpid=$(real_pid "$ppid_")
}

stop_proxy() {
	status=0
	kill -TERM "$rpid"
	wait "$ppid_" || status=$?
	ppid_=
}

# Threads and descriptors of the proxy, once they have settled at $1 $2.
settled() { # threads fds
	local t f
	for _ in $(seq 1 500); do
		t=$(ls "/proc/$rpid/task" | wc -l)
		f=$(ls "/proc/$rpid/fd" | wc -l)
		[ "$t" -eq "$1" ] && [ "$f" -eq "$2" ] && return 0
		sleep 0.01
	done
	fail "the proxy has $t threads and $f descriptors, not $1 and $2"
}

port_closed() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

"$proxy" --help | grep -q '^usage: proxy' || fail "--help"
status=0
"$proxy" --port 1 >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "no --upstream exited $status, not 2"

"$server" --port 0 >"$dir/server.out" &
spid=$!
sport=$(port_of "$dir/server.out" "$spid") || fail "the server did not start"
size=$((8 * 1024 * 1024))
seq -f %015.0f 0 $((size / 16 - 1)) >"$dir/want"  # size is a multiple of 16

# 1. Requests through the proxy; a big body byte for byte; a clean drain.
start_proxy 5
base_threads=$(ls "/proc/$rpid/task" | wc -l)
# One more descriptor stays once a connection has come: the dying
# descriptor of the tomb of the connections (tomb_dying_fd), which the
# first tomb_connect makes and the tomb keeps until it is freed: an
# eventfd, or a pipe's two ends with the portable backend (lib/sys_posix.c).
event_fds=1
if grep -q '^#define TOMB_BACKEND_POSIX 1' "$builddir/config.h"; then
	event_fds=2
fi
base_fds=$(($(ls "/proc/$rpid/fd" | wc -l) + event_fds))
url="http://127.0.0.1:$pport"
[ "$(curl -s "$url/")" = "hello from libtomb" ] || fail "GET / through the proxy"
curl -s "$url/bytes?n=$size" >"$dir/got" || fail "curl of $size bytes"
cmp -s "$dir/got" "$dir/want" || fail "the $size bytes differ"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/nothing")" = 404 ] || fail "404"
settled "$base_threads" "$base_fds"
# A transfer in flight (the client reads slowly) finishes within the grace.
curl -s --limit-rate 8M "$url/bytes?n=$size" >"$dir/got" &
curl_pid=$!
# Bytes came through: the connection's workers run (a thread count would
# miss them if the transfer ended between two looks, and wait for ever).
await_bytes "$dir/got" "$curl_pid"
stop_proxy
[ "$status" -eq 0 ] || fail "a drain within the grace exited $status, not 0"
wait "$curl_pid" || fail "the drained transfer failed"
curl_pid=
cmp -s "$dir/got" "$dir/want" || fail "the drained transfer's bytes differ"
grep -q '^shutdown: stopped accepting (received SIGTERM)$' "$dir/proxy.out" || fail "no shutdown log"
grep -q '^shutdown: done: 4 connections proxied, 0 cut, 0 failed$' "$dir/proxy.out" || fail "wrong counts"
port_closed "$pport" || fail "the proxy's port is still open"

# 2. SIGTERM mid-transfer past the grace: the transfer is cut, exit 1.
start_proxy 1
rm -f "$dir/got"
# 64 MiB: more than the sockets' buffers on the way can hold, so that the
# cut reaches curl as a short body.
curl -s --limit-rate 1M "http://127.0.0.1:$pport/bytes?n=$((8 * size))" >"$dir/got" &
curl_pid=$!
await_bytes "$dir/got" "$curl_pid"
stop_proxy
[ "$status" -eq 1 ] || fail "a cut transfer exited $status, not 1"
status=0
wait "$curl_pid" || status=$?
curl_pid=
[ "$status" -ne 0 ] || fail "curl did not see the transfer cut"
got=$(wc -c <"$dir/got")
[ "$got" -lt $((8 * size)) ] || fail "the cut transfer was whole"
[ "$got" -le "$size" ] || got=$size
cmp -s <(head -c "$got" "$dir/got") <(head -c "$got" "$dir/want") || fail "the cut transfer's bytes differ"
grep -q '^shutdown: grace period over, cutting transfers$' "$dir/proxy.out" || fail "no grace log"
grep -q '^shutdown: done: 0 connections proxied, 1 cut, 0 failed$' "$dir/proxy.out" || fail "wrong counts"
port_closed "$pport" || fail "the proxy's port is still open"

# The upstream server still serves: the proxy's end did not break it.
[ "$(curl -s "http://127.0.0.1:$sport/")" = "hello from libtomb" ] || fail "the server after the proxy"
kill -TERM "$spid"
wait "$spid" || fail "the server's drain"
spid=
port_closed "$sport" || fail "the server's port is still open"
echo "PASS: proxy demo"
