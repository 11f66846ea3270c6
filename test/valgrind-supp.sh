#!/bin/sh
# SPDX-License-Identifier: MIT
# libtomb.supp, the installed valgrind suppressions, hides glibc's own
# reports and nothing else.  test/valgrind_supp does what makes Helgrind
# report inside glibc (a cached thread stack cleared under pthread_create,
# a timed-out condition wait that passes on its wake-up); with --race it
# also has a data race of its own, a worker's write and main's read of one
# variable.
#   1. Helgrind without libtomb.supp: glibc's reports are there (one kind
#      or the other, in one of three runs at most: both depend on timing).
#   2. Helgrind with libtomb.supp, --race: every report left is the race.
#   3. DRD with libtomb.supp, --race: likewise.
# Skipped (77) without valgrind, under a sanitizer, or when the library was
# built without valgrind's headers (it would then tell the tools nothing of
# its atomics, and they would report those too).
set -eu
src="${top_srcdir:-.}"
build="${top_builddir:-.}"
supp="$src/libtomb.supp"
prog="$build/test/valgrind_supp"

if ! command -v valgrind >/dev/null 2>&1; then
	echo "SKIP: valgrind is not installed (./bootstrap installs it)"
	exit 77
fi
if [ -n "${SANITIZER_CFLAGS:-}" ]; then
	echo "SKIP: a sanitizer build does not run under valgrind"
	exit 77
fi
if ! grep -q '^#define HAVE_VALGRIND_HELGRIND_H 1' "$build/config.h"; then
	echo "SKIP: valgrind/helgrind.h was missing when configure ran"
	exit 77
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

# Runs the program under valgrind: $1 the log, then valgrind's options and
# the program's.  No futex_waitv (valgrind 3.19 does not know it).
run() {
	log=$1
	shift
	if ! TOMB_FUTEX_WAITV=0 "$build/libtool" --mode=execute valgrind \
		--vgdb=no --log-file="$log" "$@" >"$dir/out" 2>&1; then
		cat "$dir/out" "$log"
		fail "valgrind $* failed"
	fi
}
# The number of error contexts in a valgrind log.
contexts() {
	sed -n 's/^==[0-9]*== ERROR SUMMARY: [0-9]* errors from \([0-9]*\) contexts.*/\1/p' "$1"
}

# 1. Without the file: glibc's reports, of one kind or the other, in one
# of three runs at most.  Neither is certain in a given run: glibc reuses a
# cached stack only if the joined thread's has reached the cache in time
# (seen missing once in CI's run under `make -j2`), and the timed wait's is
# timing.
stack=0
cond=0
for try in 1 2 3; do
	run "$dir/plain.log" --tool=helgrind "$prog"
	stack=$(awk '/== Possible data race/ { c = 4; next }
		c > 0 { c--; if (/: get_cached_stack /) { n++; c = 0 } }
		END { print n + 0 }' "$dir/plain.log")
	cond=$(grep -c 'associated lock is not held' "$dir/plain.log" || :)
	echo "without libtomb.supp, run $try: $(contexts "$dir/plain.log")" \
		"reports, of which $stack races under pthread_create and $cond" \
		"signals in timed waits"
	[ $((stack + cond)) -eq 0 ] || break
done
[ $((stack + cond)) -gt 0 ] ||
	fail "without libtomb.supp, Helgrind reported nothing of glibc's in 3 runs"

# 2. Helgrind with the file: the race, and nothing else.
run "$dir/helgrind.log" --tool=helgrind --suppressions="$supp" "$prog" --race
n=$(contexts "$dir/helgrind.log")
racy=$(grep -c 'is 0 bytes inside data symbol "racy"' "$dir/helgrind.log" || :)
if [ "$racy" -lt 1 ] || [ "$n" != "$racy" ]; then
	cat "$dir/helgrind.log"
	fail "Helgrind with libtomb.supp: $n reports, $racy of them the race on purpose"
else
	echo "PASS: Helgrind with libtomb.supp reports the race on purpose, and nothing else"
fi

# 3. DRD with the file: likewise (a report's first frame is the access).
run "$dir/drd.log" --tool=drd --suppressions="$supp" "$prog" --race
n=$(contexts "$dir/drd.log")
racy=$(awk '/== Conflicting (load|store) by thread/ { c = 1; next }
	c && /(main|deliberate_race_worker) \(valgrind_supp\.c:/ { n++ }
	{ c = 0 }
	END { print n + 0 }' "$dir/drd.log")
if [ "$racy" -lt 1 ] || [ "$n" != "$racy" ]; then
	cat "$dir/drd.log"
	fail "DRD with libtomb.supp: $n reports, $racy of them the race on purpose"
else
	echo "PASS: DRD with libtomb.supp reports the race on purpose, and nothing else"
fi
exit $status
