#!/bin/sh
# SPDX-License-Identifier: MIT
# The README's example compiles against the library and runs as it says.
set -eu
src="${top_srcdir:-.}"
build="${top_builddir:-.}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

awk '/^```c$/ { on = 1; next } /^```$/ { if (on) exit } on' \
	"$src/README.md" >"$dir/example.c"
[ -s "$dir/example.c" ] || { echo "FAIL: no C example in README.md"; exit 1; }
# shellcheck disable=SC2086
${CC:-cc} -std=c11 -Wall -Wextra -Werror ${SANITIZER_CFLAGS:-} -I"$src/include" \
	"$dir/example.c" "$build/lib/.libs/libtomb.a" -pthread -o "$dir/example"
out=$("$dir/example")
[ "$out" = "all workers finished: deadline exceeded" ] ||
	{ echo "FAIL: the example printed: $out"; exit 1; }
echo "PASS: README example"
