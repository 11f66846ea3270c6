#!/bin/sh
# SPDX-License-Identifier: MIT
# The stop-work demo, run as a user would: asking, then each worker's stop,
# then knowing; its usage and its exit status.
set -eu
demo="${top_builddir:-.}/demo/stop-work"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out"; exit 1; }

"$demo" --help >"$out" || fail "--help exited $?"
grep -q '^usage: stop-work' "$out" || fail "--help printed no usage"
status=0
"$demo" --workers 0 >"$out" 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "--workers 0 exited $status, not 2"

status=0
"$demo" --workers 3 --ms 100 >"$out" || status=$?
[ "$status" -eq 0 ] || fail "the demo exited $status, not 0"
awk '
/^main: asked to stop$/ { asked = NR }
/^worker [0-9]+: stopped after [0-9]+ items$/ { n++; if (!asked || NR < asked) bad = 1; last = NR }
/^main: all stopped$/ { all = NR }
END { exit !(asked && n == 3 && !bad && all > last) }' "$out" ||
	fail "not: asked, then 3 workers stopped, then all stopped"
echo "PASS: stop-work demo"
