#!/bin/sh
# SPDX-License-Identifier: MIT
# The shared library exports exactly the functions tomb.h declares.
set -eu
lib="${top_builddir:-.}/lib/.libs/libtomb.so"
header="${top_srcdir:-.}/include/tomb.h"
nm_tool="${NM:-nm}"
[ -f "$lib" ] || { echo "SKIP: no shared library"; exit 77; }

declared=$(mktemp)
exported=$(mktemp)
trap 'rm -f "$declared" "$exported"' EXIT
# Every TOMB_EXPORT declaration names a tomb_ function before its '('.
tr '\n' ' ' <"$header" | grep -o 'TOMB_EXPORT [a-z][^;(]*(' |
	sed 's/.*[^a-z0-9_]\(tomb_[a-z0-9_]*\) *($/\1/' | grep "^tomb_" | sort -u >"$declared"
# _init and _fini are the C runtime's (musl-gcc's crti.o exports them).
$nm_tool -D --defined-only "$lib" | awk '{ print $NF }' |
	grep -v -x -e _init -e _fini | sort -u >"$exported"

if ! diff -u "$declared" "$exported"; then
	echo "FAIL: exported symbols differ from tomb.h (- declared, + exported)"
	exit 1
fi
echo "PASS: $(wc -l <"$exported") symbols, all declared in tomb.h"
