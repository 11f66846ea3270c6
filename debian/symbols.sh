#!/bin/sh
# SPDX-License-Identifier: MIT
# Prints debian/libtomb0.symbols from a built library:
#   make && debian/symbols.sh > debian/libtomb0.symbols
# (from the top of a built tree; or debian/symbols.sh BUILDDIR).  Each
# exported symbol keeps the version the current file gives it; a new one
# gets the version of debian/changelog's newest entry (its upstream part),
# which is the release that brings it.  test/symbols.sh fails while the
# file is not what this prints, and so does the package build
# (DPKG_GENSYMBOLS_CHECK_LEVEL=4 in debian/rules).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-.}
lib="$build/lib/.libs/libtomb.so"
[ -f "$lib" ] || { echo "symbols.sh: no $lib: run make first" >&2; exit 1; }
soname=$(${OBJDUMP:-objdump} -p "$lib" | awk '$1 == "SONAME" { print $2 }')
version=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$here/changelog")
version=${version%-*}
old="$here/libtomb0.symbols"
[ -f "$old" ] || old=/dev/null

echo "${soname} libtomb${soname#libtomb.so.} #MINVER#"
echo "* Build-Depends-Package: libtomb-dev"
${NM:-nm} -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ { print $3 }' |
	LC_ALL=C sort -u |
	while read -r sym; do
		v=$(awk -v s="$sym@Base" '$1 == s { print $2; exit }' "$old")
		echo " $sym@Base ${v:-$version}"
	done
