#!/bin/sh
# SPDX-License-Identifier: MIT
# Every C snippet in doc/porting.md compiles, after the includes it names.
set -eu
src="${top_srcdir:-.}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

awk -v dir="$dir" '
/^```c$/ { n++; file = dir "/snippet" n ".c"; on = 1; next }
/^```$/ { on = 0; next }
on { print > file }' "$src/doc/porting.md"
count=0
for f in "$dir"/snippet*.c; do
	[ -f "$f" ] || break
	{
		printf '#include <errno.h>\n#include <poll.h>\n#include <pthread.h>\n'
		printf '#include <signal.h>\n#include <stdio.h>\n#include <tomb.h>\n'
		cat "$f"
	} >"$f.full.c"
	if ! ${CC:-cc} -std=c11 -Wall -Wextra -Werror -Wno-unused-function \
		-I"$src/include" -c "$f.full.c" -o "$f.o"; then
		echo "FAIL: this snippet of doc/porting.md does not compile:"
		cat "$f"
		exit 1
	fi
	count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "FAIL: no C snippet found"; exit 1; }
echo "PASS: $count snippets of doc/porting.md compile"
