#!/bin/sh
# SPDX-License-Identifier: MIT
# <tomb.hpp>'s tests (test/cpp/test_tomb_hpp.cc), built with each C++
# compiler found (CXX, g++, clang++) as C++17 and as C++20, with the warnings
# as errors, against the library just built, and run.  Skipped (77) when
# there is no C++ compiler at all.
set -eu
src="${top_srcdir:-.}"
build="${top_builddir:-.}"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

if [ -f "$build/lib/.libs/libtomb.so" ]; then
	lib="$build/lib/.libs/libtomb.so -Wl,-rpath,$(cd "$build/lib/.libs" && pwd)"
elif [ -f "$build/lib/.libs/libtomb.a" ]; then
	lib="$build/lib/.libs/libtomb.a"
else
	echo "FAIL: no library in $build/lib/.libs"
	exit 1
fi

compilers=
for cxx in ${CXX:-} g++ clang++; do
	command -v "$cxx" >/dev/null 2>&1 || continue
	case " $compilers " in *" $cxx "*) continue ;; esac
	compilers="$compilers $cxx"
done
[ -n "$compilers" ] || { echo "SKIP: no C++ compiler"; exit 77; }

status=0
for cxx in $compilers; do
	for std in c++17 c++20; do
		bin="$dir/test-$(basename "$cxx")-$std"
		# shellcheck disable=SC2086 # lib and SANITIZER_CFLAGS split on purpose
		if ! "$cxx" -std=$std -Wall -Wextra -Wpedantic -Wcast-qual \
			-Werror -pthread -I"$src/include" \
			${SANITIZER_CFLAGS:-} "$src/test/cpp/test_tomb_hpp.cc" $lib \
			-o "$bin"; then
			echo "FAIL: $cxx -std=$std: does not build"
			status=1
			continue
		fi
		printf '%s -std=%s: ' "$cxx" "$std"
		"$bin" || status=1
	done
done
exit $status
