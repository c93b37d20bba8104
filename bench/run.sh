#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh: builds stockade in Release (its own build directory), runs every benchmark of
# issue 7 in one go and writes docs/benchmarks.md with PNG plots (docs/benchmarks/).
#
#   bench/run.sh [--quick] [--out DIR] [--keep-results DIR]
#
#   --quick   fewer runs, every row still measured (under two minutes once built)
#   --out DIR write benchmarks.md and the plots into DIR instead of docs/ (CI uses this)
#   --keep-results DIR   keep the raw JSON results there
#
# Needs root (stockade run and bubblewrap set up namespaces, the harness reads smaps_rollup).
# Everything it creates (the 374 MB template and its copy under /var/tmp/stockade-bench, temp
# files, processes, cgroups stockade could not remove) is removed on exit, on error and on
# SIGINT/SIGTERM. One run at a time.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
OUT="$ROOT/docs"
KEEP=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --out) OUT=$2; shift ;;
    --keep-results) KEEP=$2; shift ;;
    -h|--help) sed -n '3,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh: needs root (namespaces, smaps_rollup)" >&2; exit 2; }

# One run at a time: the lock is on this script itself, so that no lock file is left behind.
exec 9<"$0"
flock -n 9 || { echo "bench/run.sh: another bench/run.sh is running" >&2; exit 2; }

# The policies in bench/policies name these paths.
WORK=/var/tmp/stockade-bench
BUILD=${STOCKADE_BENCH_BUILD:-$ROOT/build-bench}
RESULTS=$(mktemp -d /tmp/stockade-bench-results.XXXXXX)
TEMPLATE_MB=374
CHILD=""  # the pid of the step running now, ended by the trap

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$CHILD" ] && kill -0 -- "-$CHILD" 2>/dev/null; then
    # The step's whole process group: the harness and its launches, or cp and tar. The harness
    # ends its launches (SIGTERM, then SIGKILL after 2 s) before it exits.
    kill -TERM -- "-$CHILD" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 -- "-$CHILD" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$CHILD" 2>/dev/null || true
    wait "$CHILD" 2>/dev/null || true
  fi
  # cgroups of our policies (all named bench-*) that a killed stockade left behind.
  for dir in /sys/fs/cgroup/*/ /sys/fs/cgroup/unified/; do
    find "$dir" -maxdepth 6 -type d -name 'stockade-bench-*' 2>/dev/null | sort -r |
      while read -r cg; do
        while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done < "$cg/cgroup.procs"
        rmdir "$cg" 2>/dev/null || true
      done
  done
  # The run records of the last launches, kept because the kernel was still freeing their veth
  # pairs as they ended (linux-sim/include/stockade/linux_sim/gc.h): stockade gc removes them,
  # and any link of them still there.
  if [ -n "${STOCKADE:-}" ] && [ -x "$STOCKADE" ]; then "$STOCKADE" gc >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
  if [ -n "$KEEP" ] && [ -d "$RESULTS" ]; then
    mkdir -p "$KEEP" && cp -r "$RESULTS"/. "$KEEP"/
  fi
  rm -rf "$RESULTS"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Runs a step in the background, in a process group of its own (set -m), so that a signal
# reaches the trap at once (bash runs traps only between foreground commands) and the trap can
# end everything the step started.
step() {
  set -m
  "$@" &
  CHILD=$!
  set +m
  local rc=0
  wait "$CHILD" || rc=$?
  CHILD=""
  return "$rc"
}

log() { printf '== %s  [load %s]\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }

START=$(date +%s)
log "dependencies"
"$ROOT/scripts/deps.sh"

log "build (Release, $BUILD)"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache
                                          -DCMAKE_C_COMPILER_LAUNCHER=ccache)
# -Wno-restrict: GCC 12's -O2 false positive in std::string (libstdc++ bug 105651).
step cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DSTOCKADE_BUILD_BENCH=ON \
  -DSTOCKADE_BUILD_TESTS=OFF -DCMAKE_CXX_FLAGS=-Wno-restrict "${launcher[@]}" >/dev/null
step cmake --build "$BUILD" -j"$(nproc)" --target stockade stockade_bench filter_cost_bench \
  stockade_launch_bench stockade_rights_bench >/dev/null
STOCKADE=$BUILD/cli/stockade
HARNESS=$BUILD/bench/stockade_launch_bench
BUILT=$(date +%s)

log "machine facts"
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
  echo "cpus=$(nproc)"
  echo "memory_mb=$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)"
  echo "kernel=$(uname -r)"
  echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "stockade=$("$STOCKADE" --version 2>&1 | head -n1)"
  echo "commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')"
  echo "bwrap=$(bwrap --version 2>&1 | head -n1)"
  echo "libseccomp=$(dpkg-query -W -f='${Version}' libseccomp2 2>/dev/null)"
  echo "libbenchmark=$(dpkg-query -W -f='${Version}' libbenchmark1debian 2>/dev/null)"
  echo "compiler=$(c++ --version | head -n1)"
  echo "quick=$QUICK"
  echo "loadavg_start=$(cat /proc/loadavg)"
  echo "bpf_jit=$(cat /proc/sys/net/core/bpf_jit_enable 2>/dev/null || echo unknown)"
  if ! command -v perf >/dev/null; then
    echo "perf_instructions=perf not installed"
  elif perf stat -x, -e instructions true 2>&1 >/dev/null | grep -q '^[0-9]'; then
    echo "perf_instructions=supported"
  else
    echo "perf_instructions=not supported (no hardware counters)"
  fi
} > "$RESULTS/machine.txt"

log "template ($TEMPLATE_MB MB) and its copy in $WORK"
make_template() {
  local t=$WORK/template
  rm -rf "$WORK"
  mkdir -p "$t"/usr/bin "$t"/usr/sbin "$t"/usr/lib64 "$t"/proc "$t"/dev "$t"/tmp "$t"/etc
  ln -s usr/bin "$t"/bin
  ln -s usr/lib "$t"/lib
  ln -s usr/lib64 "$t"/lib64
  ln -s usr/sbin "$t"/sbin
  # A runnable userland: the programs the rows run and their libraries (as real files).
  local files
  files=$(for p in /usr/bin/echo /usr/bin/sleep /usr/bin/true; do
    echo "$p"
    ldd "$p" | awk '/=>/ {print $3} /^\t\// {print $1}'
  done | sort -u)
  for f in $files; do
    case "$f" in /lib64/*|/lib/*) f=/usr$f ;; esac
    mkdir -p "$t$(dirname "$f")"
    cp -L "$f" "$t$f"
  done
  # Then real files of this system, in path order, up to the size of FreeBSD's base template.
  local have limit
  have=$(du -sb "$t" | cut -f1)
  limit=$((TEMPLATE_MB * 1024 * 1024 - have))
  find /usr/lib/x86_64-linux-gnu /usr/share /usr/lib -xdev -type f -size -16M -printf '%s\t%p\n' \
      2>/dev/null | sort -t"$(printf '\t')" -k2,2 -u |
    awk -F'\t' -v limit="$limit" '{ if (sum + $1 > limit) next; sum += $1; print $2 }' \
    > "$WORK/files"
  tar -C / -cf - --no-recursion --verbatim-files-from -T <(sed 's|^/||' "$WORK/files") 2>/dev/null |
    tar -C "$t" -xf -
  rm -f "$WORK/files"
  # The rights benchmark's directory: a file to read and the static program.
  mkdir -p "$WORK/rights"
  head -c 4096 /dev/urandom > "$WORK/rights/file"
  chmod 0644 "$WORK/rights/file"
  cp "$BUILD/bench/stockade_rights_bench" "$WORK/rights/rights"
  local started=$(date +%s%N)
  cp -a "$t" "$WORK/rootcopy"
  local copied=$(date +%s%N)
  sync
  echo "template_bytes=$(find "$t" -type f -printf '%s\n' | awk '{s += $1} END {print s}')" \
    >> "$RESULTS/machine.txt"
  echo "template_files=$(find "$t" -type f | wc -l)" >> "$RESULTS/machine.txt"
  echo "template_copy_ms=$(((copied - started) / 1000000))" >> "$RESULTS/machine.txt"
}
step make_template

if [ "$QUICK" = 1 ]; then
  GB_ARGS=(--benchmark_min_time=0.02 --benchmark_repetitions=1)
  FILTER_ARGS=(--benchmark_min_time=0.05 --benchmark_repetitions=3)
  ROUNDS=(15 3 1)     # rounds at concurrency 1, 10, 50
  TRACE_RUNS=15
  RIGHTS=(3 50000)    # runs, calls per measurement
else
  # Not aggregates only: the memory manager's numbers are on the repetitions' entries.
  GB_ARGS=(--benchmark_min_time=0.1 --benchmark_repetitions=3)
  FILTER_ARGS=(--benchmark_min_time=0.2 --benchmark_repetitions=9)
  ROUNDS=(200 20 4)
  TRACE_RUNS=200
  RIGHTS=(9 200000)
fi
CONCURRENCY=(1 10 50)

log "micro benchmarks: parse + check + compile, BPF evaluation"
COMPILE_CMD=("$BUILD/bench/stockade_bench" "${GB_ARGS[@]}" --benchmark_format=json
             --benchmark_out="$RESULTS/compile.json")
echo "compile_command=STOCKADE_SOURCE_DIR=. ${COMPILE_CMD[*]}" >> "$RESULTS/machine.txt"
step env STOCKADE_SOURCE_DIR="$ROOT" "${COMPILE_CMD[@]}" >/dev/null
log "kernel filter cost (children with the real filters)"
# Repetitions of all benchmarks interleaved at random, so that a burst of load from elsewhere
# spreads over every row instead of spoiling one.
FILTER_CMD=("$BUILD/bench/filter_cost_bench" "${FILTER_ARGS[@]}"
            --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
            --benchmark_format=json --benchmark_out="$RESULTS/filter.json")
echo "filter_command=${FILTER_CMD[*]}" >> "$RESULTS/machine.txt"
step "${FILTER_CMD[@]}" >/dev/null

BWRAP_MIN=(bwrap --unshare-all --die-with-parent --ro-bind /usr /usr --symlink usr/bin /bin
           --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/sbin /sbin
           --proc /proc --dev /dev --tmpfs /tmp)
declare -A COMMANDS EXPECT
ROWS=()
add_row() { ROWS+=("$1"); COMMANDS[$1]=$2; EXPECT[$1]=${3:-ready}; }
add_row floor "/bin/echo ready"
# stockade's own process start and exit, nothing else (its version line is the "ready").
add_row stockade-start "$STOCKADE --version" stockade
add_row netns-alone "unshare --net /bin/echo ready"
add_row bwrap-minimal "${BWRAP_MIN[*]} -- /bin/echo ready"
add_row bwrap-share-net "${BWRAP_MIN[*]} --share-net -- /bin/echo ready"
for policy in minimal copy-none copy-none-filter copy-none-cap copy-none-filter-cap \
    copy-vnet copy-vnet-filter copy-vnet-cap copy-vnet-filter-cap \
    overlay-none overlay-none-filter overlay-none-cap overlay-none-filter-cap \
    overlay-vnet overlay-vnet-filter overlay-vnet-cap overlay-vnet-filter-cap \
    overlay-none-filter-limits full; do
  add_row "stockade-$policy" "$STOCKADE run $ROOT/bench/policies/$policy.yaml -- /bin/echo ready"
done

# A row that fails for another reason than a refusal ends the run (see the probe above).
refused_or_die() {
  if ! grep -Eq 'error\[(approximated|not-enforced)\]' <<< "$2"; then
    printf '%s\n' "$2" >&2
    echo "bench/run.sh: $1 failed, and not because stockade refuses a clause" >&2
    exit 1
  fi
  printf '%s\n' "$2" > "$RESULTS/refused-$1.txt"
  log "  $1: refused"
}

log "launch latency: ${#ROWS[@]} rows at concurrency ${CONCURRENCY[*]}"
for row in "${ROWS[@]}"; do
  read -r -a cmd <<< "${COMMANDS[$row]}"
  # One probe first: a row stockade refuses today (a feature another branch is building) is
  # reported with stockade's own words; any other failure is a broken harness or stockade.
  if ! probe=$("${cmd[@]}" 2>&1); then
    refused_or_die "$row" "$probe"
    continue
  fi
  for i in 0 1 2; do
    cc=${CONCURRENCY[$i]}
    step "$HARNESS" -c "$cc" -r "${ROUNDS[$i]}" -w 1 -e "${EXPECT[$row]}" -l "$row" -- "${cmd[@]}" \
      > "$RESULTS/launch-$row-$cc.json"
  done
  log "  $row: $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("cc=1 p50 %.2f ms" % d["p50_ms"])' "$RESULTS/launch-$row-1.json")"
done

log "capability mode and rights: pread, openat beneath, open (${RIGHTS[0]} runs)"
echo "rights_runs=${RIGHTS[0]}" >> "$RESULTS/machine.txt"
echo "rights_calls=${RIGHTS[1]}" >> "$RESULTS/machine.txt"
for policy in rights-plain rights-capmode; do
  out="$RESULTS/rights-$policy.jsonl"
  : > "$out"
  for _ in $(seq "${RIGHTS[0]}"); do
    if ! line=$("$STOCKADE" run "$ROOT/bench/policies/$policy.yaml" -- /data/rights \
        "${RIGHTS[1]}" 2> "$RESULTS/rights.err"); then
      rm -f "$out"
      refused_or_die "$policy" "$(cat "$RESULTS/rights.err")"
      break
    fi
    printf '%s\n' "$line" >> "$out"
  done
done

log "setup breakdown (--trace-setup, $TRACE_RUNS runs each)"
for policy in minimal copy-none overlay-none overlay-none-filter overlay-none-filter-limits \
    overlay-vnet full; do
  out="$RESULTS/trace-$policy.jsonl"
  : > "$out"
  for _ in $(seq "$TRACE_RUNS"); do
    "$STOCKADE" run --trace-setup --report json "$ROOT/bench/policies/$policy.yaml" \
      -- /bin/echo ready 2>> "$out" >/dev/null
  done
done

log "idle memory: 32 sandboxes running sleep"
step "$HARNESS" --idle 32 -p sleep -l stockade-minimal -- \
  "$STOCKADE" run "$ROOT/bench/policies/minimal.yaml" -- /bin/sleep 600 > "$RESULTS/idle-stockade-minimal.json"
step "$HARNESS" --idle 32 -p sleep -l stockade-overlay-none-filter-limits -- \
  "$STOCKADE" run "$ROOT/bench/policies/overlay-none-filter-limits.yaml" -- /bin/sleep 600 \
  > "$RESULTS/idle-stockade-overlay-none-filter-limits.json"
step "$HARNESS" --idle 32 -p sleep -l stockade-full -- \
  "$STOCKADE" run "$ROOT/bench/policies/full.yaml" -- /bin/sleep 600 > "$RESULTS/idle-stockade-full.json"
step "$HARNESS" --idle 32 -p sleep -l bwrap-minimal -- "${BWRAP_MIN[@]}" -- /bin/sleep 600 \
  > "$RESULTS/idle-bwrap-minimal.json"

END=$(date +%s)
echo "seconds_build=$((BUILT - START))" >> "$RESULTS/machine.txt"
echo "seconds_measure=$((END - BUILT))" >> "$RESULTS/machine.txt"
echo "loadavg_end=$(cat /proc/loadavg)" >> "$RESULTS/machine.txt"

log "report: $OUT/benchmarks.md"
mkdir -p "$OUT/benchmarks"
step python3 "$ROOT/bench/report.py" --results "$RESULTS" --out "$OUT/benchmarks.md" \
  --plots "$OUT/benchmarks" --root "$ROOT" --stockade "$STOCKADE"
log "done in $((END - START)) s"
