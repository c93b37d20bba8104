// SPDX-License-Identifier: BSD-2-Clause
// The Google Benchmark side of the heap counter.

#include "alloc_counter.h"

namespace stockade::bench {

void AllocCounter::Start() {
  stockade_bench_reset_peak();
  live_ = stockade_bench_live_bytes();
  allocations_ = stockade_bench_allocations();
  allocated_ = stockade_bench_allocated_bytes();
}

void AllocCounter::Stop(Result* result) {
  result->num_allocs = stockade_bench_allocations() - allocations_;
  result->max_bytes_used = stockade_bench_peak_bytes() - stockade_bench_low_bytes();
  result->total_allocated_bytes = stockade_bench_allocated_bytes() - allocated_;
  result->net_heap_growth = stockade_bench_live_bytes() - live_;
}

}  // namespace stockade::bench
