#!/bin/sh
# Builds the fuzzers with clang and libFuzzer (STOCKADE_FUZZ=ON, ASan+UBSan) and runs them
# (docs/fuzzing.md). One target at a time, one job each: the build machines have two cores.
#
#   scripts/fuzz.sh [--quick|--full] [--merge] [TARGET...]
#     --quick   (default) STOCKADE_FUZZ_SECONDS per target, default 20: a bounded smoke run
#               for CI and developers, about two minutes for all four targets after the build
#     --full    STOCKADE_FUZZ_SECONDS per target, default 3600: a real campaign
#     --merge   afterwards, minimise fuzz/corpus/TARGET with what the run found (-merge=1);
#               review and commit the result
#     TARGET    policy_load_fuzzer manifest_fuzzer seccomp_diff_fuzzer plan_fuzzer (default:
#               all of them)
#   scripts/fuzz.sh --seed   regenerate the policy seeds and fuzz/dicts/policy.dict from
#                            examples/ and tests/golden/ (fuzz/make_inputs.py)
#
# Each run starts from fuzz/corpus/TARGET and fuzz/regressions/TARGET and writes what it finds
# under $STOCKADE_FUZZ_BUILD (default build-fuzz)/fuzz-work, never into the source tree. A
# crash or a broken property leaves its input in build-fuzz/fuzz-work/TARGET/artifacts and makes
# the script exit 1; fix the cause, then keep the input as fuzz/regressions/TARGET/NAME (what it
# found) next to a unit test (docs/fuzzing.md, "Adding a regression").
set -eu
cd "$(dirname "$0")/.."

MODE=quick
MERGE=0
TARGETS=""
for arg in "$@"; do
  case "$arg" in
    --quick) MODE=quick ;;
    --full) MODE=full ;;
    --merge) MERGE=1 ;;
    --seed)
      python3 fuzz/make_inputs.py seeds fuzz/corpus/policy_load_fuzzer
      python3 fuzz/make_inputs.py plan-seeds fuzz/corpus/plan_fuzzer
      python3 fuzz/make_inputs.py dict fuzz/dicts/policy.dict
      echo "stockade: seeds and dictionary regenerated; minimise with: scripts/fuzz.sh --merge"
      exit 0
      ;;
    -h | --help)
      sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "stockade: unknown option '$arg' (see scripts/fuzz.sh --help)" >&2
      exit 2
      ;;
    *) TARGETS="$TARGETS $arg" ;;
  esac
done
[ -n "$TARGETS" ] || TARGETS="policy_load_fuzzer manifest_fuzzer seccomp_diff_fuzzer plan_fuzzer"
if [ "$MODE" = quick ]; then
  SECONDS_EACH="${STOCKADE_FUZZ_SECONDS:-20}"
else
  SECONDS_EACH="${STOCKADE_FUZZ_SECONDS:-3600}"
fi
BUILD="${STOCKADE_FUZZ_BUILD:-build-fuzz}"

./scripts/deps.sh
for t in $TARGETS; do
  case "$t" in
    policy_load_fuzzer | manifest_fuzzer | seccomp_diff_fuzzer | plan_fuzzer) ;;
    *)
      echo "stockade: unknown fuzz target '$t'" >&2
      exit 2
      ;;
  esac
done

echo "== build ($BUILD: clang, libFuzzer, ASan+UBSan)"
LAUNCHER=""
command -v ccache >/dev/null 2>&1 &&
  LAUNCHER="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache"
# shellcheck disable=SC2086  # LAUNCHER is two words or none
CC=clang CXX=clang++ cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSTOCKADE_FUZZ=ON \
  -DSTOCKADE_BUILD_TESTS=OFF $LAUNCHER >/dev/null
# shellcheck disable=SC2086  # TARGETS is a list
cmake --build "$BUILD" -j"${STOCKADE_FUZZ_JOBS:-2}" --target $TARGETS

failed=""
for t in $TARGETS; do
  work="$BUILD/fuzz-work/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  dict=""
  extra=""
  case "$t" in
    policy_load_fuzzer | plan_fuzzer) dict="-dict=fuzz/dicts/policy.dict" ;;
    manifest_fuzzer) dict="-dict=fuzz/dicts/manifest.dict" ;;
    # A structured input: its size, not its text, decides how many rules and calls it holds,
    # so inputs may be large from the start.
    seccomp_diff_fuzzer) extra="-max_len=512 -len_control=0" ;;
  esac
  echo "== $t: ${SECONDS_EACH}s ($MODE)"
  # New inputs go to $work/corpus (the first directory); the checked-in ones are only read.
  # -timeout: an input slower than 10 s is a hang; -rss_limit_mb bounds memory per process.
  # shellcheck disable=SC2086  # dict and extra are words or none
  if ! "$BUILD/fuzz/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" $dict $extra \
    "$work/corpus" "fuzz/corpus/$t" "fuzz/regressions/$t" >"$work/log" 2>&1; then
    failed="$failed $t"
    grep -E "ERROR|check failed|SUMMARY" "$work/log" | head -n 5 >&2
    echo "stockade: $t found a problem; input in $work/artifacts/, log in $work/log" >&2
  fi
  grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb" "$work/log" || true
  if [ "$MERGE" = 1 ]; then
    # -merge=1 keeps the smallest set of inputs that covers everything the old corpus and
    # this run's inputs cover; the result replaces fuzz/corpus/TARGET.
    rm -rf "$work/merged"
    mkdir -p "$work/merged"
    "$BUILD/fuzz/$t" -merge=1 $dict "$work/merged" "fuzz/corpus/$t" "$work/corpus" \
      >"$work/merge.log" 2>&1
    rm -f "fuzz/corpus/$t"/*
    cp "$work/merged"/* "fuzz/corpus/$t"/
    echo "   corpus: $(find "fuzz/corpus/$t" -type f | wc -l) inputs, $(du -sh "fuzz/corpus/$t" | cut -f1)"
  fi
done

if [ -n "$failed" ]; then
  echo "stockade: fuzzing found problems in:$failed" >&2
  exit 1
fi
echo "stockade: fuzzing found nothing"
