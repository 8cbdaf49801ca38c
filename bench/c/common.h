/* Shared by the libevent side of bench/run: the clock, the pseudo-random timeouts (the same
 * xorshift64* sequence as benches/workloads/rng.rs), and the output line format
 * "WORKLOAD METRIC=VALUE" that examples/bench_core.rs also prints. */
#ifndef EVSCOPE_BENCH_COMMON_H
#define EVSCOPE_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BENCH_SEED 0x9e3779b97f4a7c15ULL

static uint64_t bench_rng_state = BENCH_SEED;

static inline uint64_t bench_rng_next(void)
{
	uint64_t x = bench_rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	bench_rng_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* A value in lo .. lo + span - 1. */
static inline uint64_t bench_rng_range(uint64_t lo, uint64_t span)
{
	return lo + bench_rng_next() % span;
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void bench_die(const char *what)
{
	perror(what);
	exit(1);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

#endif
