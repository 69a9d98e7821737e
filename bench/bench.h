/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Shared by the engine benchmark and its DPDK side. */
#ifndef XGRO_BENCH_H
#define XGRO_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define BENCH_STRIDE                                                           \
	2176 /* a DPDK mbuf's footprint: 34 lines, so headers spread over      \
		cache sets */
#define BENCH_HEADROOM 128
#define BENCH_BURST 32
#define BENCH_SEGS 16 /* segments per flow between flushes */
#define BENCH_CHUNK                                                            \
	256 /* frames prepared, then timed; their payload fits L2              \
	     */

/*
 * A trace: `rounds` repetitions of `flows` TCP/IPv4 flows interleaved
 * round-robin, 16 segments of 1448 bytes each per round. Frame i sits at
 * slot(i) + BENCH_HEADROOM. hdr[] keeps each frame's pristine headers:
 * DPDK rewrites the first segment's header in place, so each run restores
 * them first (for both implementations alike).
 */
struct trace {
	uint8_t *mem;
	uint32_t npkts, flows, rounds, round_pkts;
	uint32_t frame_len, hdr_len;
	uint8_t *hdr;
};

static inline uint8_t *trace_frame(const struct trace *t, uint32_t i)
{
	return t->mem + (size_t)i * BENCH_STRIDE + BENCH_HEADROOM;
}

struct result {
	uint64_t pkts, outs, ns;
};

/* A burst ends at BENCH_BURST frames, at the end of a round (where the
 * flush goes) or at `end`. */
static inline uint32_t burst_len(const struct trace *t, uint32_t i,
				 uint32_t end)
{
	uint32_t k = t->round_pkts - i % t->round_pkts;

	if (k > BENCH_BURST)
		k = BENCH_BURST;
	if (k > end - i)
		k = end - i;
	return k;
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Puts the headers back and brings each frame into cache, as a frame the
 * kernel has just written into a umem (or a NIC into LLC) would be. */
static inline void trace_restore(const struct trace *t, uint32_t first,
				 uint32_t n)
{
	volatile uint8_t sink = 0;

	for (uint32_t i = first; i < first + n; i++) {
		uint8_t *f = trace_frame(t, i);

		memcpy(f, t->hdr + (size_t)i * t->hdr_len, t->hdr_len);
		for (uint32_t o = 64; o < t->frame_len; o += 64)
			sink = (uint8_t)(sink + f[o]);
	}
	(void)sink;
}

/* DPDK side (bench/dpdk_gro.c). */
int dpdk_setup(void);
int dpdk_run(const struct trace *t, bool burst, double secs, double cap_secs,
	     struct result *r);
/* bench/hotloop.c's loop for callgrind: n frames of `flows` flows (frame
 * data BENCH_HEADROOM into a BENCH_STRIDE slot), 16 per flow, `rounds`
 * times; only reassembly and flush are collected. */
struct xgro_pkt;
int dpdk_hot(const struct xgro_pkt *pk, unsigned n, unsigned flows, long rounds,
	     unsigned long *outs);

#endif
