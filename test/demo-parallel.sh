#!/bin/sh
# SPDX-License-Identifier: MIT
# The parallel demo, run as a user would: the CRC-32 of every file of a tree
# (checked against python3's zlib when there is one), a failure that stops the
# walk and names its file, the timeout, its usage and its exit status.
set -eu
demo="${top_builddir:-.}/demo/parallel"
# Built only with zlib (configure says so when it is missing).
[ -x "$demo" ] || { echo "SKIP: demo/parallel was not built (no zlib)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out="$tmp/out" err="$tmp/err"
fail() { echo "FAIL: $*"; cat "$out" "$err" 2>/dev/null || :; exit 1; }

# The usage.
"$demo" --help >"$out" || fail "--help exited $?"
grep -q '^usage: parallel' "$out" || fail "--help printed no usage"
for args in "--bogus $tmp" "-j 0 $tmp" "-j 1025 $tmp" "-j x $tmp" \
	"--timeout 0 $tmp" "--timeout" "-j" "" "$tmp $tmp"; do
	status=0
	# shellcheck disable=SC2086 # split on purpose
	"$demo" $args >"$out" 2>"$err" || status=$?
	[ "$status" -eq 2 ] || fail "'$args' exited $status, not 2"
	grep -q '^usage: parallel' "$err" || fail "'$args' printed no usage"
done

# A tree: nested directories, files of various sizes (empty, a few bytes,
# exactly one 64 KiB chunk, just over it, several chunks), a name with a
# space, a link to a file (read) and a link to a directory (not followed).
tree="$tmp/tree"
mkdir -p "$tree/a/b/c" "$tree/d/e" "$tree/empty dir"
n=0
for size in 0 1 7 100 4095 4096 65535 65536 65537 131072 200000 300001; do
	n=$((n + 1))
	case $((n % 4)) in
	0) where="$tree" ;; 1) where="$tree/a" ;; 2) where="$tree/a/b/c" ;;
	*) where="$tree/d/e" ;;
	esac
	head -c "$size" /dev/urandom >"$where/file$n"
done
for i in 1 2 3 4 5 6 7; do
	n=$((n + 1))
	printf 'line %s\n' "$i" >"$tree/a/b/small$i.txt"
done
printf 'spaced out\n' >"$tree/d/with space"
n=$((n + 1))
ln -s ../a/b/small1.txt "$tree/d/link-to-file"
n=$((n + 1))
ln -s ../a "$tree/d/link-to-dir"

status=0
"$demo" -j 3 "$tree" >"$out" 2>"$err" || status=$?
[ "$status" -eq 0 ] || fail "-j 3 exited $status, not 0"
[ ! -s "$err" ] || fail "-j 3 wrote to stderr"
lines=$(wc -l <"$out")
[ "$lines" -eq "$n" ] || fail "$lines lines for $n files"
grep -qv '^[0-9a-f]\{8\}  ' "$out" && fail "a line is not '<crc>  <path>'"
if command -v python3 >/dev/null 2>&1; then
	python3 -c '
import os, sys, zlib
for top, dirs, names in os.walk(sys.argv[1]):
    for name in names:
        p = os.path.join(top, name)
        if os.path.isfile(p):
            with open(p, "rb") as f:
                print("%08x  %s" % (zlib.crc32(f.read()) & 0xffffffff, p))
' "$tree" | LC_ALL=C sort >"$tmp/expected"
	LC_ALL=C sort "$out" >"$tmp/got"
	cmp -s "$tmp/expected" "$tmp/got" ||
		{ diff "$tmp/expected" "$tmp/got" || :; fail "CRCs differ from zlib.crc32"; }
else
	echo "python3 not found: CRCs not checked, only counted"
fi

# A generous timeout changes nothing, and does not hold the exit up.
status=0
"$demo" -j 2 --timeout 60000 "$tree" >"$out" 2>"$err" || status=$?
[ "$status" -eq 0 ] || fail "--timeout 60000 exited $status, not 0"
lines=$(wc -l <"$out")
[ "$lines" -eq "$n" ] || fail "--timeout 60000: $lines lines for $n files"

# An entry that cannot be opened (a dangling link: root can open anything
# else) fails the run, named on stderr.
ln -s nowhere "$tree/a/b/broken"
status=0
"$demo" -j 2 "$tree" >"$out" 2>"$err" || status=$?
[ "$status" -eq 1 ] || fail "a dangling link: exited $status, not 1"
grep -qxF "parallel: $tree/a/b/broken: No such file or directory" "$err" ||
	fail "a dangling link: stderr does not name it"
status=0
"$demo" "$tmp/nowhere" >"$out" 2>"$err" || status=$?
[ "$status" -eq 1 ] || fail "a missing directory: exited $status, not 1"
grep -qxF "parallel: $tmp/nowhere: No such file or directory" "$err" ||
	fail "a missing directory: stderr does not name it"

# The timeout: 200 MB (sparse) take far longer than 1 ms to read.
mkdir "$tmp/big"
truncate -s 200M "$tmp/big/zeros"
status=0
"$demo" -j 1 --timeout 1 "$tmp/big" >"$out" 2>"$err" || status=$?
[ "$status" -eq 1 ] || fail "--timeout 1 exited $status, not 1"
grep -qxF "parallel: timeout after 1 ms" "$err" ||
	fail "--timeout 1: no 'timeout after 1 ms' on stderr"
[ ! -s "$out" ] || fail "--timeout 1 printed a CRC"
echo "PASS: parallel demo"
