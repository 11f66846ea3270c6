#!/bin/sh
# SPDX-License-Identifier: MIT
# The man pages: every exported function has a page, every page a function,
# each page has the same sections, and mandoc finds nothing to warn about.
set -eu
src="${top_srcdir:-.}"
status=0
fail() { echo "FAIL: $*"; status=1; }

funcs=$(tr '\n' ' ' <"$src/include/tomb.h" | grep -o 'TOMB_EXPORT [a-z][^;(]*(' |
	sed 's/.*[^a-z0-9_]\(tomb_[a-z0-9_]*\) *($/\1/' | grep '^tomb_' | sort -u)
for f in $funcs; do
	[ -f "$src/man/$f.3" ] || fail "$f has no man page"
done
for page in "$src"/man/*.3; do
	name=$(basename "$page" .3)
	echo "$funcs" | grep -qx "$name" || fail "$page documents no exported function"
	sections=$(grep '^\.Sh ' "$page" | sed 's/^\.Sh //' | tr '\n' '|')
	[ "$sections" = "NAME|LIBRARY|SYNOPSIS|DESCRIPTION|RETURN VALUE|ERRORS|EXAMPLE|SEE ALSO|" ] ||
		fail "$page has sections $sections"
done
[ -f "$src/man/tomb.7" ] || fail "no tomb(7)"

if command -v mandoc >/dev/null 2>&1; then
	out=$(mandoc -Tlint -W warning "$src"/man/*.3 "$src"/man/*.7 2>&1) ||
		fail "mandoc -Tlint: $out"
	[ -z "$out" ] || fail "mandoc -Tlint: $out"
else
	echo "mandoc not installed: lint skipped (./bootstrap installs it)"
fi
[ $status -eq 0 ] && echo "PASS: $(echo "$funcs" | wc -l) functions, each with its page"
exit $status
