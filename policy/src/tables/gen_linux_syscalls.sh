#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Regenerates linux_syscalls.inc from the installed libseccomp (needs libseccomp-dev and a C
# compiler). Run from anywhere: sh policy/src/tables/gen_linux_syscalls.sh
# tests/policy/linux_syscalls_test.cc fails when the committed table and libseccomp disagree.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$tmp/gen" "$here/gen_linux_syscalls.c" \
  $(pkg-config --cflags --libs libseccomp)
"$tmp/gen" > "$tmp/linux_syscalls.inc"
mv "$tmp/linux_syscalls.inc" "$here/linux_syscalls.inc"
echo "wrote $here/linux_syscalls.inc ($(grep -c '^STOCKADE_LINUX_SYSCALL' "$here/linux_syscalls.inc") syscalls)"
