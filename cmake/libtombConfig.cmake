# SPDX-License-Identifier: MIT
# libtombConfig.cmake: how CMake's find_package(libtomb) finds the installed
# libtomb.  Generated from cmake/libtombConfig.cmake.in by `make`.
#
#   find_package(libtomb 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE libtomb::libtomb)
#
# libtomb::libtomb is the shared library, or the static one when
# libtomb_USE_STATIC_LIBS is true before find_package; libtomb::libtomb_shared
# and libtomb::libtomb_static name each directly (each only if installed).
# All carry the include directory and Threads::Threads.
if(CMAKE_VERSION VERSION_LESS 3.5)
  message(FATAL_ERROR "libtomb's CMake files need CMake 3.5 or later")
endif()

# The directories, found from this file's place when they are under the
# installation prefix, so that a staged (DESTDIR) or moved installation works;
# otherwise absolute.
get_filename_component(_libtomb_prefix "../../.." ABSOLUTE
                       BASE_DIR "${CMAKE_CURRENT_LIST_DIR}")
get_filename_component(_libtomb_libdir "lib" ABSOLUTE
                       BASE_DIR "${_libtomb_prefix}")
get_filename_component(_libtomb_includedir "include" ABSOLUTE
                       BASE_DIR "${_libtomb_prefix}")

include(CMakeFindDependencyMacro)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_dependency(Threads)

if(NOT TARGET libtomb::libtomb)
  if(EXISTS "${_libtomb_libdir}/libtomb.so")
    add_library(libtomb::libtomb_shared SHARED IMPORTED)
    set_target_properties(libtomb::libtomb_shared PROPERTIES
      IMPORTED_LOCATION "${_libtomb_libdir}/libtomb.so"
      IMPORTED_SONAME "libtomb.so.0"
      INTERFACE_INCLUDE_DIRECTORIES "${_libtomb_includedir}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  if(EXISTS "${_libtomb_libdir}/libtomb.a")
    add_library(libtomb::libtomb_static STATIC IMPORTED)
    set_target_properties(libtomb::libtomb_static PROPERTIES
      IMPORTED_LOCATION "${_libtomb_libdir}/libtomb.a"
      IMPORTED_LINK_INTERFACE_LANGUAGES C
      INTERFACE_INCLUDE_DIRECTORIES "${_libtomb_includedir}"
      INTERFACE_LINK_LIBRARIES Threads::Threads)
  endif()
  if(libtomb_USE_STATIC_LIBS)
    set(_libtomb_chosen libtomb::libtomb_static)
  else()
    set(_libtomb_chosen libtomb::libtomb_shared)
  endif()
  if(TARGET ${_libtomb_chosen})
    add_library(libtomb::libtomb INTERFACE IMPORTED)
    set_target_properties(libtomb::libtomb PROPERTIES
      INTERFACE_LINK_LIBRARIES ${_libtomb_chosen})
  endif()
endif()

if(TARGET libtomb::libtomb)
  set(libtomb_INCLUDE_DIRS "${_libtomb_includedir}")
  set(libtomb_LIBRARIES libtomb::libtomb)
else()
  set(libtomb_FOUND FALSE)
  set(libtomb_NOT_FOUND_MESSAGE
      "${_libtomb_chosen} is not installed in ${_libtomb_libdir}")
endif()
unset(_libtomb_chosen)
unset(_libtomb_prefix)
unset(_libtomb_libdir)
unset(_libtomb_includedir)
