#!/bin/sh
# SPDX-License-Identifier: MIT
# The tomb-timeout demo, run as a user would: its output in order, its status.
set -eu
demo="${top_builddir:-.}/demo/tomb-timeout"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

fail() { echo "FAIL: $*"; cat "$out"; exit 1; }

"$demo" --help >"$out" || fail "--help exited $?"
grep -q '^usage: tomb-timeout' "$out" || fail "--help printed no usage"

status=0
"$demo" --bogus >"$out" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "a bad option exited $status, not 2"

status=0
"$demo" --timeout 200 >"$out" || status=$?
[ "$status" -eq 0 ] || fail "the demo exited $status, not 0"
# The worker says why it stopped before main says everyone has.
awk '
/^main: waiting for workers to finish$/ { w = NR }
/^worker: shutting down because of: timeout after 200 ms$/ { s = NR }
/^main: all workers finished .*: timeout after 200 ms$/ { f = NR }
END { exit !(w && s && f && w < f && s < f) }' "$out" ||
	fail "the output is not in the promised order"
echo "PASS: tomb-timeout demo"
