#!/bin/sh
# SPDX-License-Identifier: MIT
# The pipeline demo (channels), run as a user would: the CRC-32 of every
# file of a tree (checked against gzip's trailer), --first N, an error in
# the walker that stops every stage, SIGINT while the digesters work, and
# its usage.
set -eu
demo="${top_builddir:-.}/demo/pipeline"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out" err="$tmp/err"
fail() { echo "FAIL: $*"; cat "$out" "$err" 2>/dev/null || :; exit 1; }

for args in "" "-j 0 $tmp" "-j x $tmp" "--first 0 $tmp" "--bogus $tmp" "$tmp $tmp"; do
	status=0
	# shellcheck disable=SC2086 # split on purpose
	"$demo" $args >"$out" 2>"$err" || status=$?
	[ "$status" -eq 2 ] || fail "'$args' exited $status, not 2"
	grep -q '^usage: pipeline' "$err" || fail "'$args' printed no usage"
done

tree="$tmp/tree"
mkdir -p "$tree/a/b" "$tree/c"
n=0
for size in 0 1 100 65536 65537 200000; do
	for where in "$tree" "$tree/a/b" "$tree/c"; do
		n=$((n + 1))
		head -c "$size" /dev/urandom >"$where/f$n"
	done
done
# The expected lines: gzip's trailer holds the CRC-32, little-endian.
find "$tree" -type f | sort | while read -r f; do
	crc=$(gzip -c <"$f" | tail -c 8 | od -An -tx1 -N4 |
		awk '{ print $4 $3 $2 $1 }')
	printf '%s  %s\n' "$crc" "$f"
done >"$tmp/want"

for j in 1 3 8; do
	"$demo" -j "$j" "$tree" >"$out" 2>"$err" || fail "-j $j exited $?"
	cmp -s "$out" "$tmp/want" || { diff "$tmp/want" "$out" || :; fail "-j $j: wrong CRCs"; }
done

"$demo" --first 4 "$tree" >"$out" 2>"$err" || fail "--first 4 exited $?"
[ "$(wc -l <"$out")" -eq 4 ] || fail "--first 4 printed $(wc -l <"$out") lines"
grep -F -x -f "$out" "$tmp/want" >/dev/null || fail "--first 4: wrong lines"

# A link that leads nowhere: the walker fails, every stage stops.
ln -s "$tmp/nowhere" "$tree/a/broken"
status=0
"$demo" -j 2 "$tree" >"$out" 2>"$err" || status=$?
[ "$status" -ne 0 ] || fail "a broken link did not fail"
grep -q 'broken: No such file' "$err" || fail "the error does not name the link"
[ ! -s "$out" ] || fail "results printed after an error"
rm "$tree/a/broken"

# SIGTERM (SIGINT is ignored in background jobs of a script) while the
# digesters sleep: exit 143 at once, not after 18 s.
"$demo" -j 1 --slow 1000 "$tree" >"$out" 2>"$err" &
pid=$!
# Once a digester runs, the handler is in place (it is installed first).
i=0
until grep -qx digester /proc/"$pid"/task/*/comm 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -le 200 ] || fail "no digester thread after 10 s"
	sleep 0.05
done
kill -TERM "$pid"
start=$(date +%s)
status=0
wait "$pid" || status=$?
[ "$status" -eq 143 ] || fail "SIGTERM: exit $status, not 143"
[ $(($(date +%s) - start)) -le 5 ] || fail "SIGTERM took too long"
grep -q "received SIGTERM" "$err" || fail "SIGTERM: no message"
echo "PASS: pipeline: CRCs, --first, an error, SIGTERM"
