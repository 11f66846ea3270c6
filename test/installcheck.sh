#!/bin/sh
# SPDX-License-Identifier: MIT
# After `make install`: build a small program against the installed library
# with pkg-config, linked shared and static, and run both.
#   test/installcheck.sh DESTDIR LIBDIR
# DESTDIR may be empty; when it is not (a staging directory), pkg-config's
# paths are moved under it with PKG_CONFIG_SYSROOT_DIR.
set -eu
destdir=$1
libdir=$destdir$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
PKG_CONFIG_PATH="$libdir/pkgconfig"
export PKG_CONFIG_PATH
if [ -n "$destdir" ]; then
	PKG_CONFIG_SYSROOT_DIR=$destdir
	export PKG_CONFIG_SYSROOT_DIR
fi

cat >"$dir/prog.c" <<'C'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <tomb.h>

static int work(tomb_t *t, void *arg)
{
	(void)arg;
	return tomb_sleep(t, NULL) == ECANCELED ? TOMB_EDYING : EPROTO;
}

int main(void)
{
	tomb_t *t = tomb_new();

	if (t == NULL || tomb_go(t, work, NULL) != 0)
		return 1;
	tomb_killf(t, ESHUTDOWN, "installed %s works", tomb_version());
	if (tomb_wait(t) != ESHUTDOWN)
		return 2;
	puts(tomb_errmsg(t));
	return tomb_free(t);
}
C
cc=${CC:-cc}
version=$(pkg-config --modversion libtomb)
# shellcheck disable=SC2046
$cc -std=c11 -Wall -Werror "$dir/prog.c" $(pkg-config --cflags --libs libtomb) \
	-o "$dir/shared"
out=$(LD_LIBRARY_PATH="$libdir" "$dir/shared")
[ "$out" = "installed $version works" ] || { echo "FAIL: shared: $out"; exit 1; }
LD_LIBRARY_PATH="$libdir" ldd "$dir/shared" | grep -q 'libtomb\.so' ||
	{ echo "FAIL: the shared build does not use libtomb.so"; exit 1; }
echo "PASS: shared, with pkg-config --libs libtomb"

# shellcheck disable=SC2046
$cc -std=c11 -Wall -Werror "$dir/prog.c" $(pkg-config --cflags libtomb) \
	-Wl,-Bstatic $(pkg-config --static --libs libtomb) -Wl,-Bdynamic \
	-o "$dir/static"
out=$("$dir/static")
[ "$out" = "installed $version works" ] || { echo "FAIL: static: $out"; exit 1; }
if ldd "$dir/static" | grep -q 'libtomb\.so'; then
	echo "FAIL: the static build still needs libtomb.so"
	exit 1
fi
echo "PASS: static, with pkg-config --static --libs libtomb"
