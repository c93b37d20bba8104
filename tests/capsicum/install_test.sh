#!/bin/sh
# Installs libstockade-capsicum into a temporary prefix with `cmake --install`, then builds
# programs written for FreeBSD's Capsicum API, unchanged, with
# `pkg-config --cflags --libs stockade-capsicum`, dynamically and statically, as C and as C++.
# Run outside any sandbox, they must stop where nothing enforces Capsicum (EOPNOTSUPP), never
# carry on unconfined; the process descriptor program must work.
#
# usage: install_test.sh BUILD_DIR SOURCE_DIR C_COMPILER CXX_COMPILER
set -eu
build=$1
source=$2
cc=$3
cxx=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
fail() { echo "install_test: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" --component capsicum >"$work/install.log" ||
  { cat "$work/install.log"; fail "cmake --install failed"; }
pc=$(find "$work/prefix" -name stockade-capsicum.pc)
[ -n "$pc" ] || fail "no stockade-capsicum.pc installed"
for header in sys/capsicum.h sys/procdesc.h capsicum_helpers.h; do
  find "$work/prefix/include/stockade-capsicum" -path "*/$header" | grep -q . ||
    fail "$header is not installed under include/stockade-capsicum"
done
export PKG_CONFIG_PATH="$(dirname "$pc")"
flags=$(pkg-config --cflags --libs stockade-capsicum) || fail "pkg-config does not know stockade-capsicum"
libdir=$(pkg-config --variable=libdir stockade-capsicum)
cflags=$(pkg-config --cflags stockade-capsicum)
programs="$source/tests/capsicum/programs"

# Dynamic, C, the default GNU dialect (FreeBSD programs use u_int and friends).
for program in limit_and_enter helpers procdesc; do
  # shellcheck disable=SC2086
  "$cc" -Wall -Wextra -Werror -o "$work/$program" "$programs/$program.c" $flags ||
    fail "$program.c does not compile against the installed headers"
done
# C++ and a static link.
# shellcheck disable=SC2086
"$cxx" -x c++ -Wall -Wextra -Werror -o "$work/limit_and_enter_cxx" "$programs/limit_and_enter.c" $flags ||
  fail "limit_and_enter.c does not compile as C++"
# shellcheck disable=SC2086
"$cc" -static -Wall -Werror -o "$work/limit_and_enter_static" "$programs/limit_and_enter.c" \
  $cflags "$libdir/libstockade-capsicum.a" || fail "the static library does not link"

echo "some data" >"$work/data.txt"
export LD_LIBRARY_PATH="$libdir"
for program in limit_and_enter limit_and_enter_cxx limit_and_enter_static; do
  status=0
  "$work/$program" "$work/data.txt" >"$work/out" 2>"$work/err" || status=$?
  [ "$status" -eq 1 ] || { cat "$work/out" "$work/err"; fail "$program exited $status, expected 1"; }
  grep -q "cap_rights_limit: Operation not supported" "$work/err" ||
    { cat "$work/err"; fail "$program did not fail at cap_rights_limit with EOPNOTSUPP"; }
done
status=0
"$work/helpers" >"$work/out" 2>"$work/err" || status=$?
[ "$status" -eq 1 ] && grep -q "caph_limit_stdio: Operation not supported" "$work/err" ||
  { cat "$work/out" "$work/err"; fail "helpers did not fail closed at caph_limit_stdio"; }
"$work/procdesc" >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "procdesc failed"; }
grep -q "pdfork, pdgetpid and pdkill work" "$work/out" || fail "procdesc printed: $(cat "$work/out")"
echo "install_test: installed, built (C, C++, static) and ran the FreeBSD programs"
