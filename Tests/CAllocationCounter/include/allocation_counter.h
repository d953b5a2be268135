// Counts heap allocations made by the calling thread, for allocation-budget tests.
//
// The test binary defines malloc, calloc, realloc and aligned allocations, which glibc lets a
// program interpose; each counts on the calling thread and forwards to glibc's own functions.
#ifndef ALLOCATION_COUNTER_H
#define ALLOCATION_COUNTER_H
#include <stdint.h>

/// Allocations made by this thread since it started.
uint64_t e2_thread_allocations(void);

#endif
