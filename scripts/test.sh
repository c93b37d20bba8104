#!/bin/sh
# The README's second command, and what CI runs (.ci/run): installs the dependencies, builds
# with AddressSanitizer and UndefinedBehaviorSanitizer and warnings as errors, and runs every
# test. Set STOCKADE_TEST_JOBS to change parallelism (default: the number of CPUs).
set -eu
cd "$(dirname "$0")/.."
./scripts/deps.sh
JOBS="${STOCKADE_TEST_JOBS:-$(nproc)}"
BUILD="${STOCKADE_TEST_BUILD:-build-test}"

echo "== format (clang-format 14)"
unformatted=$(git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror 2>&1 | grep -c 'error:' || true)
if [ "$unformatted" != "0" ]; then
  git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror 2>&1 | grep 'error:' | head -n 20
  echo "stockade: clang-format differences above; run: git ls-files '*.cc' '*.h' | xargs clang-format -i" >&2
  exit 1
fi

echo "== build ($BUILD: ASan+UBSan, -Werror)"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DSTOCKADE_WERROR=ON \
  -DSTOCKADE_SANITIZE="address;undefined" >/dev/null
cmake --build "$BUILD" -j"$JOBS"

echo "== tests"
export STOCKADE_REQUIRE_SANDBOX_TESTS="${STOCKADE_REQUIRE_SANDBOX_TESTS:-0}"
ctest --test-dir "$BUILD" -j"$JOBS" --output-on-failure
