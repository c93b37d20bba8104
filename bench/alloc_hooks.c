// SPDX-License-Identifier: BSD-2-Clause
// malloc, free and the rest, counted: the executable's definitions take precedence over
// glibc's for every library it loads, and forward to glibc's own (__libc_malloc...).
// Linked into benchmark binaries only, never with sanitizers (they replace malloc themselves).

#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

extern void* __libc_malloc(size_t size);
extern void __libc_free(void* pointer);
extern void* __libc_calloc(size_t count, size_t size);
extern void* __libc_realloc(void* pointer, size_t size);
extern void* __libc_memalign(size_t alignment, size_t size);

static _Atomic int64_t live_bytes, peak_bytes, low_bytes, allocations, allocated_bytes;

static void Grow(void* pointer) {
  if (!pointer) return;
  const int64_t size = (int64_t)malloc_usable_size(pointer);
  atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&allocated_bytes, size, memory_order_relaxed);
  const int64_t now = atomic_fetch_add_explicit(&live_bytes, size, memory_order_relaxed) + size;
  int64_t peak = atomic_load_explicit(&peak_bytes, memory_order_relaxed);
  while (now > peak && !atomic_compare_exchange_weak_explicit(
                           &peak_bytes, &peak, now, memory_order_relaxed, memory_order_relaxed)) {
  }
}

static void Lower(int64_t now) {
  int64_t low = atomic_load_explicit(&low_bytes, memory_order_relaxed);
  while (now < low && !atomic_compare_exchange_weak_explicit(
                          &low_bytes, &low, now, memory_order_relaxed, memory_order_relaxed)) {
  }
}

static void Shrink(void* pointer) {
  if (!pointer) return;
  const int64_t size = (int64_t)malloc_usable_size(pointer);
  Lower(atomic_fetch_sub_explicit(&live_bytes, size, memory_order_relaxed) - size);
}

int64_t stockade_bench_live_bytes(void) { return atomic_load(&live_bytes); }
int64_t stockade_bench_peak_bytes(void) { return atomic_load(&peak_bytes); }
int64_t stockade_bench_low_bytes(void) { return atomic_load(&low_bytes); }
int64_t stockade_bench_allocations(void) { return atomic_load(&allocations); }
int64_t stockade_bench_allocated_bytes(void) { return atomic_load(&allocated_bytes); }
void stockade_bench_reset_peak(void) {
  const int64_t now = atomic_load(&live_bytes);
  atomic_store(&peak_bytes, now);
  atomic_store(&low_bytes, now);
}

void* malloc(size_t size) {
  void* pointer = __libc_malloc(size);
  Grow(pointer);
  return pointer;
}

void free(void* pointer) {
  Shrink(pointer);
  __libc_free(pointer);
}

void* calloc(size_t count, size_t size) {
  void* pointer = __libc_calloc(count, size);
  Grow(pointer);
  return pointer;
}

void* realloc(void* pointer, size_t size) {
  const int64_t before = pointer ? (int64_t)malloc_usable_size(pointer) : 0;
  void* moved = __libc_realloc(pointer, size);
  if (moved) {
    // Counted as one allocation of the new size that replaced the old block.
    Lower(atomic_fetch_sub_explicit(&live_bytes, before, memory_order_relaxed) - before);
    Grow(moved);
  } else if (pointer && size == 0) {
    Lower(atomic_fetch_sub_explicit(&live_bytes, before, memory_order_relaxed) - before);
  }
  return moved;
}

void* memalign(size_t alignment, size_t size) {
  void* pointer = __libc_memalign(alignment, size);
  Grow(pointer);
  return pointer;
}

void* aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }

int posix_memalign(void** out, size_t alignment, size_t size) {
  if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0) return EINVAL;
  void* pointer = memalign(alignment, size);
  if (!pointer && size) return ENOMEM;
  *out = pointer;
  return 0;
}

void* valloc(size_t size) { return memalign((size_t)sysconf(_SC_PAGESIZE), size); }

void* pvalloc(size_t size) {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  return memalign(page, (size + page - 1) & ~(page - 1));
}
