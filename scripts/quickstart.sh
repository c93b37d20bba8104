#!/bin/sh
# The README's first command: installs what stockade needs (Debian 12), builds it, and runs a
# real example: an untrusted Python snippet under examples/python-runner.yaml, one action
# allowed and one denied.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSTOCKADE_BUILD_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target stockade >/dev/null
STOCKADE=build-release/cli/stockade
# The sandbox's resource limits need cgroups, which need root.
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

echo "== stockade check examples/python-runner.yaml"
$STOCKADE check examples/python-runner.yaml
echo
echo "== stockade run examples/python-runner.yaml -- python3 -c \"\$(cat examples/snippets/untrusted.py)\""
status=0
$SUDO $STOCKADE run examples/python-runner.yaml -- python3 -c "$(cat examples/snippets/untrusted.py)" || status=$?
echo "(exit status $status: 128 + SIGSYS, the program was killed by the policy)"
echo
echo "== stockade explain examples/python-runner.yaml (the first clauses)"
$STOCKADE explain examples/python-runner.yaml | head -n 32
