// SPDX-License-Identifier: BSD-2-Clause
// Counts the heap of the whole benchmark process (malloc, and so operator new, yaml-cpp and
// libseccomp too) and reports it to Google Benchmark as its memory manager.

#ifndef STOCKADE_BENCH_ALLOC_COUNTER_H_
#define STOCKADE_BENCH_ALLOC_COUNTER_H_

#include <benchmark/benchmark.h>

#include <cstdint>

extern "C" {
// Maintained by alloc_hooks.c, which replaces malloc and friends for this executable only.
// Bytes are malloc_usable_size() bytes: what the allocator really hands out.
int64_t stockade_bench_live_bytes(void);
int64_t stockade_bench_peak_bytes(void);
int64_t stockade_bench_low_bytes(void);  // the lowest live size since the last reset
int64_t stockade_bench_allocations(void);
int64_t stockade_bench_allocated_bytes(void);
// Sets the peak and the low-water mark to the current live size.
void stockade_bench_reset_peak(void);
}

namespace stockade::bench {

// Google Benchmark runs every benchmark once more under the memory manager and reports
// allocs_per_iter and max_bytes_used: the peak above the lowest live size between Start and
// Stop (what was live at Start may be freed by the run itself: the benchmark's own heap is
// what rises above the low-water mark).
class AllocCounter : public benchmark::MemoryManager {
 public:
  void Start() override;
  void Stop(Result* result) override;

 private:
  int64_t live_ = 0, allocations_ = 0, allocated_ = 0;  // at Start
};

}  // namespace stockade::bench

#endif  // STOCKADE_BENCH_ALLOC_COUNTER_H_
