#!/bin/bash
# SPDX-License-Identifier: MIT
# make demo: the library's point in one run.  Starts demo/http-server, makes
# requests with curl, sends SIGTERM while a slow request is in flight, and
# shows that the server stopped accepting at once, let the request finish,
# and knew when every connection thread had stopped.
set -euo pipefail
build=${1:-.}
server="$build/demo/http-server"
log=$(mktemp)
trap 'kill -KILL "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
say() { printf '\n== %s\n' "$*"; }

say "starting $server --port 0 --grace 3"
"$server" --port 0 --grace 3 >"$log" &
pid=$!
until grep -q '^listening on' "$log"; do sleep 0.05; done
port=$(sed -n 's/^listening on 127\.0\.0\.1://p' "$log")
url="http://127.0.0.1:$port"
cat "$log"

say "curl $url/"
curl -s "$url/"
say "two requests on one keep-alive connection"
curl -sv "$url/" "$url/slow?ms=100" 2>&1 | grep -E '^(< HTTP|\* Re-using)|^hello|^slept'

say "a slow request (1500 ms), and SIGTERM 300 ms into it"
curl -s -w '   -> HTTP %{http_code} after %{time_total} s\n' "$url/slow?ms=1500" &
curl_pid=$!
sleep 0.3
kill -TERM "$pid"
say "a new connection during shutdown is refused:"
curl -s -m 2 "$url/" || echo "   curl: connection refused (exit $?)"
wait "$curl_pid"
status=0
wait "$pid" || status=$?
say "the server's log"
sed 's/^/   /' "$log"
say "exit status $status: the in-flight request finished, every connection"
echo "   thread was joined before main returned, and nothing was left running."
exit "$status"
