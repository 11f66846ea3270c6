#!/bin/sh
# SPDX-License-Identifier: MIT
# debian/libtomb0.symbols lists exactly the library's exported symbols: after
# adding (or removing) a public function, run
#   debian/symbols.sh > debian/libtomb0.symbols
# from the top of a built tree (debian/symbols.sh BUILDDIR from elsewhere).
# Skipped where there is no debian/ (the release tarball) or no shared
# library.
set -eu
src="${top_srcdir:-.}"
build="${top_builddir:-.}"
[ -f "$src/debian/symbols.sh" ] || { echo "SKIP: no debian/"; exit 77; }
[ -f "$build/lib/.libs/libtomb.so" ] || { echo "SKIP: no shared library"; exit 77; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sh "$src/debian/symbols.sh" "$build" >"$tmp"
if ! diff -u "$src/debian/libtomb0.symbols" "$tmp"; then
	echo "FAIL: debian/libtomb0.symbols is out of date (- in it, + exported):"
	echo "      run: debian/symbols.sh $build > $src/debian/libtomb0.symbols"
	exit 1
fi
echo "PASS: debian/libtomb0.symbols lists the $(grep -c '@Base' "$tmp") exported symbols"
