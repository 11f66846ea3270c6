#!/bin/sh
# SPDX-License-Identifier: MIT
# doc/errors.md cannot rot: every test its table names exists in
# test/test_errors.c and is registered, every test there is named in the
# table (once: a row is a test), and every public function of tomb.h has a
# row.
set -eu
src="${top_srcdir:-.}"
doc="$src/doc/errors.md"
tests="$src/test/test_errors.c"
status=0
fail() { echo "FAIL: $*"; status=1; }

# The table rows: | `call` | bad input | result | `test` |
rows=$(grep '^| `tomb_[a-z0-9_]*` |' "$doc" || true)
[ -n "$rows" ] || { echo "FAIL: no row in $doc"; exit 1; }
named=$(echo "$rows" | sed -n 's/.*| `\(test_[a-z0-9_]*\)` |[[:space:]]*$/\1/p')
[ "$(echo "$rows" | wc -l)" -eq "$(echo "$named" | wc -l)" ] ||
	fail "a row of $doc does not end with its test, as | \`test_name\` |"
dups=$(echo "$named" | sort | uniq -d)
[ -z "$dups" ] || fail "tests named by more than one row: $dups"

for t in $named; do
	grep -q "^START_TEST($t)\$" "$tests" || fail "$t (doc/errors.md) is not in test_errors.c"
	grep -q "tcase_add_test(tc, $t);" "$tests" || fail "$t is not registered in make_errors_suite"
done
for t in $(sed -n 's/^START_TEST(\(test_[a-z0-9_]*\))$/\1/p' "$tests"); do
	echo "$named" | grep -qx "$t" || fail "$t (test_errors.c) has no row in doc/errors.md"
done

# The same list of public functions as test/man.sh and test/exports.sh.
funcs=$(tr '\n' ' ' <"$src/include/tomb.h" | grep -o 'TOMB_EXPORT [a-z][^;(]*(' |
	sed 's/.*[^a-z0-9_]\(tomb_[a-z0-9_]*\) *($/\1/' | grep '^tomb_' | sort -u)
called=$(echo "$rows" | sed 's/^| `\(tomb_[a-z0-9_]*\)` |.*/\1/' | sort -u)
for f in $funcs; do
	echo "$called" | grep -qx "$f" || fail "$f (tomb.h) has no row in doc/errors.md"
done
for f in $called; do
	echo "$funcs" | grep -qx "$f" || fail "doc/errors.md has rows for $f, which tomb.h does not declare"
done

[ $status -eq 0 ] &&
	echo "PASS: $(echo "$named" | wc -l) rows, each a test; $(echo "$funcs" | wc -l) functions, each with rows"
exit $status
