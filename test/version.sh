#!/bin/sh
# SPDX-License-Identifier: MIT
# The version is written once, in configure.ac's AC_INIT (PACKAGE_VERSION);
# include/tomb.h's TOMB_VERSION_* macros, tomb_version() and
# debian/changelog's newest entry must say the same.  tomb.h stays the one
# public C header, edited by hand rather than generated, so this test is
# what keeps the two in step: change the version in AC_INIT, tomb.h and
# debian/changelog together.
set -eu
src="${top_srcdir:-.}"
header="$src/include/tomb.h"
version=${PACKAGE_VERSION:?PACKAGE_VERSION is not set: run this through make check}
status=0
fail() { echo "FAIL: $*"; status=1; }

macro() { sed -n "s/^#define TOMB_VERSION_$1 *\\(.*\\)\$/\\1/p" "$header"; }
major=$(echo "$version" | cut -d. -f1)
minor=$(echo "$version" | cut -d. -f2)
patch=$(echo "$version" | cut -d. -f3)
[ "$(macro MAJOR)" = "$major" ] || fail "TOMB_VERSION_MAJOR is $(macro MAJOR), not $major"
[ "$(macro MINOR)" = "$minor" ] || fail "TOMB_VERSION_MINOR is $(macro MINOR), not $minor"
[ "$(macro PATCH)" = "${patch:-0}" ] || fail "TOMB_VERSION_PATCH is $(macro PATCH), not ${patch:-0}"
[ "$(macro STRING)" = "\"$version\"" ] || fail "TOMB_VERSION_STRING is $(macro STRING), not \"$version\""

# debian/changelog: the newest entry's upstream version (before the last '-').
if [ -f "$src/debian/changelog" ]; then
	deb=$(sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$src/debian/changelog")
	[ "${deb%-*}" = "$version" ] || fail "debian/changelog says ${deb%-*}, not $version"
fi
[ $status -ne 0 ] || echo "PASS: version $version in configure.ac, tomb.h and debian/changelog"
exit $status
