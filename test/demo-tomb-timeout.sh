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
/^worker: the deadline is in [0-9]+ ms$/ { d = NR }
/^worker: shutting down because of: deadline exceeded$/ { s = NR }
/^main: all workers finished .*: deadline exceeded$/ { f = NR }
END { exit !(w && d && s && f && w < f && d < s && s < f) }' "$out" ||
	fail "the output is not in the promised order"

# A job that ends first ends the run then, with its own reason: the
# deadline, an hour away, keeps nothing alive.
status=0
"$demo" --timeout 3600000 --work 100 >"$out" || status=$?
[ "$status" -eq 0 ] || fail "the early job exited $status, not 0"
awk '
/^worker: job done$/ { s = NR }
/^main: all workers finished .*: job done$/ { f = NR }
END { exit !(s && f && s < f) }' "$out" ||
	fail "the early job did not end with its own reason"
echo "PASS: tomb-timeout demo"
