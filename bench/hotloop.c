// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The engine's own cost with everything in cache: F flows of 1448-byte
 * TCP/IPv4 segments, 16 per flow, fed in bursts of 32 and flushed, over
 * and over. Meant for `make profile-engine`, which runs it under callgrind
 * with collection off at start: only the feed and flush calls (and, for
 * DPDK, rte_gro_reassemble and rte_gro_timeout_flush) are counted, so the
 * untimed setup of either side (header restore, mbuf reset) is not.
 *   hotloop FLOWS verify|fold|trust|hinted|dpdk FRAMES
 * hinted is trust fed the hash and offsets the XDP program writes;
 * HOT_SLOW=1 in the environment sends every frame down the slow path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "hint.h"
#include "hotloop.h"
#include "internal.h" /* xgro_fast_path_off */
#include "pktgen.h"
#include "xgro_engine.h"

static unsigned long outs;

static void count(void *user, const struct xgro_out *o)
{
	(void)user;
	(void)o;
	outs++;
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

enum { M_VERIFY, M_FOLD, M_TRUST, M_HINTED, M_DPDK, M_NONE };

int main(int argc, char **argv)
{
	static const char *const modes[] = { "verify", "fold", "trust",
					     "hinted", "dpdk" };
	static uint8_t pay[1448];
	struct xgro_engine_config c = { .seed = 12345 };
	struct xgro_ctx *ctx;
	struct pg_flow *f;
	struct xgro_pkt *pk;
	uint8_t *mem;
	unsigned nfl, n, mode = M_NONE;
	long frames, rounds;
	double t0;

	if (argc != 4)
		return fprintf(stderr,
			       "usage: hotloop FLOWS "
			       "verify|fold|trust|hinted|dpdk FRAMES\n"),
		       2;
	nfl = (unsigned)atoi(argv[1]);
	for (unsigned i = 0; i < M_NONE; i++)
		if (!strcmp(argv[2], modes[i]))
			mode = i;
	frames = atol(argv[3]);
	if (!nfl || nfl > 65536 || mode == M_NONE || frames <= 0)
		return 2;
	n = nfl * 16;
	mem = calloc(n, BENCH_STRIDE);
	pk = calloc(n, sizeof(*pk));
	f = calloc(nfl, sizeof(*f));
	if (!mem || !pk || !f)
		return 1;
	for (unsigned i = 0; i < nfl; i++) {
		pg_init(&f[i], 4, 6, i);
		f[i].optlen = 12;
		memcpy(f[i].opts, "\x01\x01\x08\x0a\0\1\2\3\0\0\0\7", 12);
	}
	for (unsigned i = 0; i < n; i++) {
		struct pg_flow *fl = &f[i % nfl];
		uint8_t *d = mem + (size_t)i * BENCH_STRIDE + BENCH_HEADROOM;

		pk[i].data = d;
		pk[i].len = (uint32_t)pg_build(fl, pay, sizeof(pay), d,
					       BENCH_STRIDE - BENCH_HEADROOM);
		pk[i].handle = i;
		if (mode == M_HINTED)
			bench_hint(&pk[i], c.seed);
		fl->seq += sizeof(pay);
		fl->ip_id++;
	}
	rounds = frames / n + 1;
	if (mode == M_DPDK) {
#ifdef XGRO_HAVE_DPDK
		if (dpdk_setup() || dpdk_hot(pk, n, nfl, rounds, &outs))
			return 1;
		printf("frames %ld segs_per_out %.1f\n", rounds * n,
		       (double)(rounds * n) / (double)outs);
		return 0;
#else
		fprintf(stderr, "hotloop: built without libdpdk\n");
		return 3;
#endif
	}
	/* HOT_SLOW=1: the slow path for every frame, to weigh the fast one */
	xgro_fast_path_off = getenv("HOT_SLOW") != NULL;
	c.max_flows = nfl;
	c.max_frames = n;
	c.csum_mode = mode == M_HINTED ? XGRO_CSUM_TRUST : mode;
	if (xgro_ctx_create(&c, count, NULL, &ctx))
		return 1;
	t0 = now_ns();
	for (long r = 0; r < rounds; r++) {
		HOT_COLLECT_ON();
		for (unsigned i = 0; i < n; i += 32)
			xgro_feed(ctx, pk + i, n - i < 32 ? n - i : 32, 0);
		xgro_flush_all(ctx);
		HOT_COLLECT_OFF();
	}
	printf("frames %ld ns_per_frame %.1f segs_per_out %.1f\n", rounds * n,
	       (now_ns() - t0) / (double)(rounds * n),
	       (double)(rounds * n) / (double)outs);
	xgro_ctx_destroy(ctx);
	return 0;
}
