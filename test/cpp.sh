#!/bin/sh
# SPDX-License-Identifier: MIT
# <tomb.hpp>'s tests (test/cpp/test_tomb_hpp.cc), built with each C++
# compiler found (CXX, g++, clang++) as C++17 and as C++20, with the warnings
# as errors, against the library just built, and run; and doc/cpp.md's C++
# snippets (```cpp: C++17 and C++20; ```cpp20: C++20) compiled.  Skipped
# (77) when there is no C++ compiler at all.
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

# The snippets, in one file per standard (their names do not clash).
for std in 17 20; do
	{
		printf '#include <tomb.hpp>\n'
		for h in cerrno csignal cstdio optional string system_error vector; do
			printf '#include <%s>\n' "$h"
		done
		[ $std = 17 ] || printf '#include <stop_token>\n#include <thread>\n'
		awk -v std=$std '
		/^```cpp$/ || (std == 20 && /^```cpp20$/) { on = 1; n++; next }
		/^```/ { on = 0; next }
		on { print }
		END { if (n == 0) exit 1 }' "$src/doc/cpp.md"
	} >"$dir/snippets$std.cc" || { echo "FAIL: no C++ snippet in doc/cpp.md"; exit 1; }
done

status=0
snippets=0
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
		f="$dir/snippets${std#c++}.cc"
		if ! "$cxx" -std=$std -Wall -Wextra -Wpedantic -Werror \
			-I"$src/include" -c "$f" -o "$f.o"; then
			echo "FAIL: doc/cpp.md's snippets do not compile ($cxx -std=$std)"
			status=1
		fi
		snippets=$((snippets + 1))
	done
done
echo "doc/cpp.md: its snippets compiled $snippets times"
exit $status
