#!/bin/sh
# SPDX-License-Identifier: MIT
# tomb.h compiles cleanly on its own as strict C11 and as C++ (the extern "C"
# guards, no C-only constructs in the public types).
set -eu
src="${top_srcdir:-.}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/h.c" <<'C'
#include <tomb.h>
static tomb_cond_t c = TOMB_COND_INIT;
int main(void)
{
#ifdef __cplusplus
	struct tomb_opts o = {};
	tomb_hook_t h = {};
#else
	struct tomb_opts o = {0};
	tomb_hook_t h = {{0}};
#endif
	(void)c;
	(void)o;
	(void)h;
	return tomb_version() == 0;
}
C
${CC:-cc} -std=c11 -Wall -Wextra -pedantic -Werror -I"$src/include" -c "$dir/h.c" -o "$dir/c.o"
echo "PASS: C11"
cxx=${CXX:-c++}
if command -v "$cxx" >/dev/null 2>&1; then
	"$cxx" -x c++ -std=c++11 -Wall -Wextra -pedantic -Werror -I"$src/include" \
		-c "$dir/h.c" -o "$dir/cxx.o"
	echo "PASS: C++11"
else
	echo "no C++ compiler: C++ check skipped"
fi

# Ignoring tomb_wait_dying's result is allowed (no warn_unused_result: see
# tomb_wait_dying(3)), as a statement and with a cast, even with -Werror.
cat >"$dir/wur.c" <<'C'
#include <tomb.h>
void wait_for_stop(tomb_t *t);
void wait_for_stop(tomb_t *t)
{
	tomb_wait_dying(t, NULL);
	(void)tomb_wait_dying(t, NULL);
}
C
${CC:-cc} -std=c11 -Wall -Wextra -Werror -I"$src/include" -c "$dir/wur.c" -o "$dir/wur.o"
echo "PASS: tomb_wait_dying's result may be ignored"
