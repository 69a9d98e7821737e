// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The engine's own cost with everything in cache: F flows of 1448-byte
 * TCP/IPv4 segments, 16 per flow, fed in bursts of 32 and flushed, over
 * and over. Meant for `make profile-engine`, which runs it under callgrind
 * and divides the instructions by the frames; also prints ns per frame.
 *   hotloop FLOWS verify|fold|trust FRAMES
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int main(int argc, char **argv)
{
	static const char *const modes[] = { "verify", "fold", "trust" };
	static uint8_t pay[1448];
	struct xgro_engine_config c = { 0 };
	struct xgro_ctx *ctx;
	struct pg_flow *f;
	struct xgro_pkt *pk;
	uint8_t *mem;
	unsigned nfl, n, mode = 3;
	long frames, rounds;
	double t0;

	if (argc != 4)
		return fprintf(stderr, "usage: hotloop FLOWS verify|fold|trust FRAMES\n"), 2;
	nfl = (unsigned)atoi(argv[1]);
	for (unsigned i = 0; i < 3; i++)
		if (!strcmp(argv[2], modes[i]))
			mode = i;
	frames = atol(argv[3]);
	if (!nfl || nfl > 4096 || mode == 3 || frames <= 0)
		return 2;
	n = nfl * 16;
	mem = calloc(n, 2176);
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

		pk[i].data = mem + (size_t)i * 2176;
		pk[i].len = (uint32_t)pg_build(fl, pay, sizeof(pay),
					       mem + (size_t)i * 2176, 2048);
		pk[i].handle = i;
		fl->seq += sizeof(pay);
		fl->ip_id++;
	}
	c.max_flows = nfl;
	c.max_frames = n;
	c.csum_mode = mode;
	if (xgro_ctx_create(&c, count, NULL, &ctx))
		return 1;
	rounds = frames / n + 1;
	t0 = now_ns();
	for (long r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < n; i += 32)
			xgro_feed(ctx, pk + i, n - i < 32 ? n - i : 32, 0);
		xgro_flush_all(ctx);
	}
	printf("frames %ld ns_per_frame %.1f segs_per_out %.1f\n", rounds * n,
	       (now_ns() - t0) / (double)(rounds * n),
	       (double)(rounds * n) / (double)outs);
	xgro_ctx_destroy(ctx);
	return 0;
}
