#!/bin/sh
# SPDX-License-Identifier: MIT
# After `make install`: build small programs against the installed library,
# in C and in C++ (with <tomb.hpp>), and run them:
#   - with pkg-config on the command line, linked shared and static;
#   - with CMake's find_package(libtomb 0.1 REQUIRED) and libtomb::libtomb,
#     shared and (libtomb_USE_STATIC_LIBS) static;
#   - with CMake's pkg_check_modules(... IMPORTED_TARGET libtomb);
#   - with Meson's dependency('libtomb').
# A missing tool (CMake, Meson and Ninja, a C++ compiler) skips its part and
# says so; ./bootstrap installs them all.
#   test/installcheck.sh DESTDIR LIBDIR [INCLUDEDIR]
# DESTDIR may be empty; when it is not (a staging directory), pkg-config's
# paths are moved under it with PKG_CONFIG_SYSROOT_DIR, and CMake finds the
# staged files from their own place.  Debian's CI (.ci/deb) runs it on the
# installed packages: test/installcheck.sh '' /usr/lib/<multiarch>.
set -eu
destdir=$1
libdir=$destdir$2
includedir=$destdir${3:-$(dirname "$2")/include}
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

# The valgrind suppressions for glibc's own reports (libtomb.supp), where
# libtomb.pc says they are (pkg-config puts a sysroot in front, or not,
# depending on its version).
supp=$(pkg-config --variable=valgrind_suppressions libtomb)
[ -n "$supp" ] || { echo "FAIL: libtomb.pc names no valgrind_suppressions"; exit 1; }
[ -f "$supp" ] || supp=$destdir$supp
grep -q '^   Helgrind:Race$' "$supp" 2>/dev/null ||
	{ echo "FAIL: no valgrind suppressions at $supp"; exit 1; }
echo "PASS: valgrind suppressions at $supp"

# C++: <tomb.hpp> over the same library, a lambda as a worker whose
# exception kills the tomb with its message.
cat >"$dir/prog.cc" <<'CXX'
#include <cstdio>
#include <stdexcept>
#include <string>
#include <tomb.hpp>

int main()
{
	libtomb::tomb t;
	t.go([](libtomb::tomb_ref w) { w.wait_dying(); });
	t.go([] {
		throw std::runtime_error(std::string("installed C++ ") +
		                         tomb_version() + " works");
	});
	if (t.wait() != libtomb::exception_reason)
		return 2;
	std::puts(t.errmsg());
	return 0;
}
CXX
cxx=${CXX:-c++}
have_cxx=no
if [ -f "$includedir/tomb.hpp" ] && command -v "$cxx" >/dev/null 2>&1; then
	have_cxx=yes
	# shellcheck disable=SC2046
	$cxx -std=c++17 -Wall -Werror "$dir/prog.cc" \
		$(pkg-config --cflags --libs libtomb) -o "$dir/shared-cxx"
	out=$(LD_LIBRARY_PATH="$libdir" "$dir/shared-cxx")
	[ "$out" = "installed C++ $version works" ] ||
		{ echo "FAIL: C++: $out"; exit 1; }
	echo "PASS: C++17 with <tomb.hpp>, with pkg-config --libs libtomb"
else
	echo "SKIP: no C++ compiler ($cxx) or no tomb.hpp: the C++ consumers are not built"
fi

# Runs "$1" (a program built by CMake or Meson) and checks its output;
# $2 says which, $3 is "shared" or "static", as the program must link.
check_run() {
	prog=$1 what=$2 how=$3
	case $prog in
	*cxx) want="installed C++ $version works" ;;
	*) want="installed $version works" ;;
	esac
	out=$(LD_LIBRARY_PATH="$libdir" "$prog")
	[ "$out" = "$want" ] || { echo "FAIL: $what: $out"; exit 1; }
	if LD_LIBRARY_PATH="$libdir" ldd "$prog" | grep -q 'libtomb\.so'; then
		linked=shared
	else
		linked=static
	fi
	[ "$linked" = "$how" ] ||
		{ echo "FAIL: $what: linked $linked, not $how"; exit 1; }
	echo "PASS: $what ($(basename "$prog"), $how)"
}

if command -v cmake >/dev/null 2>&1; then
	langs=C
	[ $have_cxx = no ] || langs="C CXX"
	generator=
	! command -v ninja >/dev/null 2>&1 || generator="-G Ninja"
	# The prefix of the installation, for CMAKE_PREFIX_PATH: the libdir's
	# parent, or its grandparent for a multiarch libdir (lib/<triplet>).
	prefix=$(dirname "$libdir")
	case $prefix in */lib) prefix=$(dirname "$prefix") ;; esac
	mkdir "$dir/cmake"
	cp "$dir/prog.c" "$dir/cmake/"
	[ $have_cxx = no ] || cp "$dir/prog.cc" "$dir/cmake/"
	cat >"$dir/cmake/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.13)
project(consumer LANGUAGES $langs)
set(CMAKE_C_STANDARD 11)
set(CMAKE_CXX_STANDARD 17)
# The version file refuses what libtomb $version cannot be.
function(refused version)
  find_package(libtomb \${version} QUIET)
  if(libtomb_FOUND)
    message(FATAL_ERROR "find_package(libtomb \${version}) accepted \${libtomb_VERSION}")
  endif()
endfunction()
refused(99.0)
refused(0.99)
refused("0.0.1...<0.1")
if(USE_PKG_CONFIG)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(TOMB REQUIRED IMPORTED_TARGET libtomb>=0.1)
  set(target PkgConfig::TOMB)
else()
  find_package(libtomb 0.1 REQUIRED)
  set(target libtomb::libtomb)
  if(NOT libtomb_VERSION STREQUAL "$version")
    message(FATAL_ERROR "libtomb_VERSION is \${libtomb_VERSION}, not $version")
  endif()
endif()
add_executable(prog-c prog.c)
target_link_libraries(prog-c PRIVATE \${target})
if(CMAKE_CXX_COMPILER)
  add_executable(prog-cxx prog.cc)
  target_link_libraries(prog-cxx PRIVATE \${target})
endif()
CMAKE
	for variant in shared static pkg-config; do
		build="$dir/cmake-$variant"
		case $variant in
		shared) flags= what="CMake find_package" how=shared ;;
		static) flags=-Dlibtomb_USE_STATIC_LIBS=ON how=static
			what="CMake find_package, libtomb_USE_STATIC_LIBS" ;;
		pkg-config) flags=-DUSE_PKG_CONFIG=ON how=shared
			what="CMake pkg_check_modules IMPORTED_TARGET" ;;
		esac
		# shellcheck disable=SC2086
		if ! cmake -S "$dir/cmake" -B "$build" $generator $flags \
			-DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
			-DCMAKE_CXX_COMPILER="$cxx" >"$dir/log" 2>&1 ||
		   ! cmake --build "$build" >>"$dir/log" 2>&1; then
			cat "$dir/log"
			echo "FAIL: $what: the build failed"
			exit 1
		fi
		check_run "$build/prog-c" "$what" $how
		[ $have_cxx = no ] || check_run "$build/prog-cxx" "$what" $how
	done
else
	echo "SKIP: no cmake: the CMake consumers are not built"
fi

if command -v meson >/dev/null 2>&1 && command -v ninja >/dev/null 2>&1; then
	langs="'c'"
	[ $have_cxx = no ] || langs="'c', 'cpp'"
	mkdir "$dir/meson"
	cp "$dir/prog.c" "$dir/meson/"
	[ $have_cxx = no ] || cp "$dir/prog.cc" "$dir/meson/"
	cat >"$dir/meson/meson.build" <<MESON
project('consumer', $langs, default_options: ['c_std=c11', 'cpp_std=c++17'])
tomb = dependency('libtomb', version: '>=0.1')
if tomb.version() != '$version'
  error('libtomb ' + tomb.version() + ', not $version')
endif
executable('prog-c', 'prog.c', dependencies: tomb)
if '$have_cxx' == 'yes'
  executable('prog-cxx', 'prog.cc', dependencies: tomb)
endif
MESON
	if ! CC=$cc CXX=$cxx meson setup "$dir/meson-build" "$dir/meson" >"$dir/log" 2>&1 ||
	   ! ninja -C "$dir/meson-build" >>"$dir/log" 2>&1; then
		cat "$dir/log"
		echo "FAIL: Meson: the build failed"
		exit 1
	fi
	check_run "$dir/meson-build/prog-c" "Meson dependency('libtomb')" shared
	[ $have_cxx = no ] ||
		check_run "$dir/meson-build/prog-cxx" "Meson dependency('libtomb')" shared
else
	echo "SKIP: no meson or ninja: the Meson consumer is not built"
fi
