#!/bin/sh
# SPDX-License-Identifier: MIT
# The floors of lib/ (doc/architecture.md), from `nm` of the objects: each
# file calls (or reads) only files on its own floor or below, and the calls
# within a floor form no circle.  A new file of lib/ must be given a floor
# here, and in doc/architecture.md.
set -eu
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
NM=${NM:-nm} # may hold options ("nm -B"): used unquoted

# floor: files (lib/NAME.c), bottom first.
floors='
0 sys_linux sys_posix deadline blocked sys_names
1 state
2 join sleep cond fd hook
3 kill kill_from pool
4 chan chan_select poll io socket timer
5 go
6 wait signal report
7 tomb
'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

floor_of() {
	echo "$floors" | awk -v f="$1" '{ for (i = 2; i <= NF; i++) if ($i == f) print $1 }'
}

# The platform floor configure did not choose has no object.
if grep -q '^#define TOMB_BACKEND_POSIX 1' "$top_builddir/config.h"; then
	unbuilt=sys_linux
else
	unbuilt=sys_posix
fi

# Each source must have a floor and an object.
for src in "$top_srcdir"/lib/*.c; do
	name=$(basename "$src" .c)
	[ "$name" != "$unbuilt" ] || continue
	if [ -z "$(floor_of "$name")" ]; then
		echo "FAIL: lib/$name.c has no floor in test/layers.sh" >&2
		status=1
		continue
	fi
	obj=
	for o in "$top_builddir/lib/.libs/libtomb_la-$name.o" \
	         "$top_builddir/lib/libtomb_la-$name.o"; do
		if [ -f "$o" ]; then obj=$o; break; fi
	done
	if [ -z "$obj" ]; then
		echo "FAIL: no object for lib/$name.c (build the library first)" >&2
		status=1
		continue
	fi
	$NM -P "$obj" | awk -v f="$name" '
		$2 == "U" { print f, $1 >> "'"$tmp"'/uses" }
		$2 ~ /^[TDBRVW]$/ { print $1, f >> "'"$tmp"'/defs" }'
done
[ $status -eq 0 ] || exit $status

# file -> file edges through the symbols each uses.
sort -u "$tmp/defs" >"$tmp/defs.s"
sort -k2 "$tmp/uses" | join -1 2 -2 1 - "$tmp/defs.s" |
	awk '$2 != $3 { print $2, $3 }' | sort -u >"$tmp/edges"

while read -r from to; do
	ff=$(floor_of "$from")
	ft=$(floor_of "$to")
	if [ "$ff" -lt "$ft" ]; then
		echo "FAIL: lib/$from.c (floor $ff) calls up into lib/$to.c (floor $ft)" >&2
		status=1
	fi
done <"$tmp/edges"

if ! tsort "$tmp/edges" >/dev/null 2>"$tmp/tsort"; then
	echo "FAIL: the calls between lib/'s files form a circle:" >&2
	cat "$tmp/tsort" >&2
	status=1
fi

echo "$floors" | while read -r f files; do
	[ -n "$f" ] || continue
	for name in $files; do
		calls=$(awk -v n="$name" '$1 == n { printf " %s", $2 }' "$tmp/edges")
		echo "floor $f: $name ->${calls:- (nothing)}"
	done
done
[ $status -eq 0 ] && echo "ok: $(wc -l <"$tmp/edges") calls between files, none upwards, no circle"
exit $status
