#!/bin/sh
# The README's first command: installs what stockade needs (Debian 12), builds it, and runs a
# real example: checks and explains the Python runner policy.
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DSTOCKADE_BUILD_TESTS=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target stockade >/dev/null
STOCKADE=build-release/cli/stockade

echo "== stockade check examples/python-runner.yaml"
$STOCKADE check examples/python-runner.yaml
echo
echo "== stockade explain examples/python-runner.yaml (first clauses)"
$STOCKADE explain examples/python-runner.yaml | head -n 24
