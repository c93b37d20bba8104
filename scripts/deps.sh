#!/bin/sh
# Installs the Debian 12 packages stockade needs to build, test and benchmark. Idempotent:
# packages already present are left alone. Runs apt-get through sudo when not root.
set -eu

PACKAGES="build-essential cmake pkg-config git
  libyaml-cpp-dev libseccomp-dev libcap-ng-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang llvm libclang-rt-14-dev
  python3 systemd iproute2 nftables procps util-linux
  bubblewrap gnuplot-nox"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "stockade: installing:$missing" >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
