// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro-bench: the merge engine alone, and DPDK's rte_gro beside it on the
 * same frames in the same run (when built with libdpdk).
 *
 * Traffic: N TCP/IPv4 flows of 1448-byte segments (1514-byte frames with
 * timestamps), interleaved round-robin, 16 segments per flow per round;
 * every implementation is flushed at the end of each round and fed bursts
 * of 32. Timed: merging, flushing and header fix-up. Untimed, for all
 * alike: restoring the frames' headers before each chunk of 256 frames
 * (DPDK rewrites them in place), reading the frames into cache (where the
 * kernel's copy into a umem leaves them) and preparing descriptors (mbufs
 * for DPDK, xgro_pkt for xgro).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench.h"
#include "hint.h"
#include "pktgen.h"
#include "internal.h" /* the checksum's implementations, for --csum */
#include "xgro_engine.h"
#if defined(__x86_64__)
#include <x86intrin.h>
#endif

#define PAYLOAD 1448

static int trace_build(struct trace *t, uint32_t flows)
{
	uint8_t pay[PAYLOAD];
	struct pg_flow *f;

	memset(t, 0, sizeof(*t));
	t->flows = flows;
	t->round_pkts = flows * BENCH_SEGS;
	t->rounds = 1;
	while ((uint64_t)t->rounds * t->round_pkts < 65536)
		t->rounds++;
	t->npkts = t->rounds * t->round_pkts;
	t->mem = aligned_alloc(
		2u << 20, ((size_t)t->npkts * BENCH_STRIDE + (2u << 20) - 1) &
				  ~((size_t)(2u << 20) - 1));
	f = calloc(flows, sizeof(*f));
	if (!t->mem || !f)
		return -ENOMEM;
	/* umems and mempools live in huge pages; so does the trace */
	madvise(t->mem, (size_t)t->npkts * BENCH_STRIDE, MADV_HUGEPAGE);
	for (uint32_t i = 0; i < flows; i++) {
		pg_init(&f[i], 4, 6, i);
		/* distinct addresses too, as many hosts would have */
		f[i].saddr[1] = (uint8_t)(i >> 16);
		f[i].saddr[2] = (uint8_t)(i >> 8);
		f[i].saddr[3] = (uint8_t)i;
		f[i].optlen = 12;
		memcpy(f[i].opts,
		       "\x01\x01\x08\x0a\x00\x01\x02\x03\x00\x00\x00\x07", 12);
	}
	for (uint32_t i = 0; i < t->npkts; i++) {
		uint32_t fl = i % flows;
		uint64_t x = i * 0x9e3779b97f4a7c15ull + 1;
		size_t len;

		for (size_t k = 0; k + 8 <= PAYLOAD; k += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(pay + k, &x, 8);
		}
		len = pg_build(&f[fl], pay, PAYLOAD, trace_frame(t, i),
			       BENCH_STRIDE - BENCH_HEADROOM);
		if (!len)
			return -EINVAL;
		t->frame_len = (uint32_t)len;
		f[fl].seq += PAYLOAD;
		f[fl].ip_id++;
	}
	t->hdr_len = 14 + 20 + 32;
	t->hdr = malloc((size_t)t->npkts * t->hdr_len);
	if (!t->hdr)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->npkts; i++)
		memcpy(t->hdr + (size_t)i * t->hdr_len, trace_frame(t, i),
		       t->hdr_len);
	free(f);
	return 0;
}

static void trace_free(struct trace *t)
{
	free(t->mem);
	free(t->hdr);
}

struct xcount {
	uint64_t outs;
};

static void count_emit(void *user, const struct xgro_out *o)
{
	struct xcount *c = user;

	(void)o;
	c->outs++;
}

static int xgro_run(const struct trace *t, unsigned csum, bool hinted,
		    double secs, struct result *r, size_t *mem)
{
	struct xgro_engine_config cfg = {
		.max_flows = t->flows,
		.max_frames = t->flows * BENCH_SEGS,
		.csum_mode = csum,
		.seed = 12345,
	};
	struct xcount cnt = { 0 };
	struct xgro_pkt *pk;
	struct xgro_ctx *ctx;
	int err;

	err = xgro_ctx_create(&cfg, count_emit, &cnt, &ctx);
	if (err)
		return err;
	*mem = xgro_ctx_mem_size(&cfg);
	pk = calloc(t->npkts, sizeof(*pk));
	if (!pk)
		return -ENOMEM;
	for (uint32_t i = 0; i < t->npkts; i++) {
		pk[i].data = trace_frame(t, i);
		pk[i].len = t->frame_len;
		pk[i].handle = i;
		/* untimed, like DPDK's mbuf lengths and packet type: what
		 * the XDP program hands the worker in struct xgro_meta */
		if (hinted)
			bench_hint(&pk[i], cfg.seed);
	}
	memset(r, 0, sizeof(*r));
	while (r->ns < secs * 1e9) {
		for (uint32_t pos = 0; pos < t->npkts; pos += BENCH_CHUNK) {
			uint32_t end = pos + BENCH_CHUNK < t->npkts
					       ? pos + BENCH_CHUNK
					       : t->npkts;
			uint64_t t0;

			trace_restore(t, pos, end - pos);
			t0 = bench_now_ns();
			for (uint32_t i = pos, k; i < end; i += k) {
				k = burst_len(t, i, end);
				xgro_feed(ctx, pk + i, k, 0);
				if ((i + k) % t->round_pkts == 0)
					xgro_flush_all(ctx);
			}
			r->ns += bench_now_ns() - t0;
			r->pkts += end - pos;
		}
	}
	r->outs = cnt.outs;
	free(pk);
	xgro_ctx_destroy(ctx);
	return 0;
}

/*
 * --csum: the checksum alone, cache-warm, each implementation the engine
 * has, at 64, 512, 1448 and 9000 bytes from offset 34 of a 64-byte line
 * (where a TCP/IPv4 header starts). Bytes per cycle of the TSC (the
 * clock rdtsc counts; the core may run faster or slower than it), best of
 * 5 runs of about 20 ms each.
 */
static uint64_t tsc(void)
{
#if defined(__x86_64__)
	return __rdtsc();
#else
	return bench_now_ns();
#endif
}

static volatile uint32_t csum_sink;

static int csum_bench(bool json)
{
	static const uint32_t lens[] = { 64, 512, 1448, 9000 };
	static const struct {
		const char *name;
		uint32_t (*fn)(const void *, size_t, uint32_t);
		bool avx2;
	} impls[] = {
		{ "scalar", xgro_csum_scalar, false },
		{ "avx2", xgro_csum_avx2, true },
	};
	static uint8_t buf[9000 + 128] __attribute__((aligned(64)));

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	if (!json)
		printf("%6s  %-8s %10s %8s %9s\n", "bytes", "impl", "bytes/cyc",
		       "GB/s", "ns/call");
	for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
		for (size_t k = 0; k < sizeof(impls) / sizeof(impls[0]); k++) {
			double best_bpc = 0, best_ns = 1e30;
			uint64_t iters = 20000000 / lens[l] * 50;

			if (impls[k].avx2 && !xgro_csum_have_avx2())
				continue;
			for (int rep = 0; rep < 5; rep++) {
				uint64_t c0 = tsc(), t0 = bench_now_ns(), c1,
					 t1;
				uint32_t acc = 0;

				for (uint64_t i = 0; i < iters; i++)
					acc += impls[k].fn(buf + 34, lens[l],
							   acc & 1);
				c1 = tsc();
				t1 = bench_now_ns();
				csum_sink = acc;
				if ((double)lens[l] * iters / (c1 - c0) >
				    best_bpc)
					best_bpc = (double)lens[l] * iters /
						   (c1 - c0);
				if ((double)(t1 - t0) / iters < best_ns)
					best_ns = (double)(t1 - t0) / iters;
			}
			if (json)
				printf("{\"csum_bytes\":%u,\"impl\":\"%s\","
				       "\"bytes_per_cycle\":%.2f,\"gbps\":%.2f,"
				       "\"ns\":%.2f}\n",
				       lens[l], impls[k].name, best_bpc,
				       lens[l] / best_ns, best_ns);
			else
				printf("%6u  %-8s %10.2f %8.2f %9.2f\n",
				       lens[l], impls[k].name, best_bpc,
				       lens[l] / best_ns, best_ns);
		}
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: xgro-bench [--flows LIST] [--impl LIST] [--secs S] "
		   "[--cap S]\n"
		   "                  [--repeat N] [--json] [--csum]\n"
		   "  --flows LIST  flow counts (default "
		   "1,8,64,1024,16384,65536)\n"
		   "  --impl LIST   "
		   "xgro,xgro-hinted,xgro-verify,xgro-fold,dpdk-heavy,\n"
		   "                dpdk-burst (xgro-hinted: fed the XDP "
		   "program's hints)\n"
		   "  --secs S      measure each run for at least S seconds "
		   "(0.3)\n"
		   "  --cap S       stop a slow DPDK run after S seconds (2)\n"
		   "  --repeat N    runs per row, interleaved; the median is "
		   "shown (3)\n"
		   "  --json        one JSON object per row\n"
		   "  --csum        the checksum alone: bytes per cycle per "
		   "implementation\n");
}

#define MAXREP 15

/* The run with the median rate. */
static struct result median(struct result *r, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i;
		     j > 0 && r[j].pkts * r[j - 1].ns < r[j - 1].pkts * r[j].ns;
		     j--) {
			struct result x = r[j];

			r[j] = r[j - 1];
			r[j - 1] = x;
		}
	return r[n / 2];
}

/* Whole names in a comma-separated list: "xgro" is a prefix of others. */
static bool wanted(const char *list, const char *name)
{
	size_t l = strlen(name);

	for (const char *p = list; (p = strstr(p, name)); p += l)
		if ((p == list || p[-1] == ',') && (p[l] == ',' || !p[l]))
			return true;
	return false;
}

struct row {
	const char *impl;
	int kind; /* 0 xgro, 1 dpdk heavy, 2 dpdk burst */
	unsigned csum;
	bool hinted; /* fed the XDP program's hash and offsets */
};

static const struct row rows[] = {
	{ "xgro", 0, XGRO_CSUM_TRUST, false },
	{ "xgro-hinted", 0, XGRO_CSUM_TRUST, true },
	{ "xgro-verify", 0, XGRO_CSUM_VERIFY, false },
	{ "xgro-fold", 0, XGRO_CSUM_FOLD, false },
	{ "dpdk-heavy", 1, 0, false },
	{ "dpdk-burst", 2, 0, false },
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "flows", required_argument, NULL, 'f' },
		{ "impl", required_argument, NULL, 'i' },
		{ "secs", required_argument, NULL, 's' },
		{ "cap", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "csum", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	char flows_arg[256] = "1,8,64,1024,16384,65536";
	char impl_arg[256] =
		"xgro,xgro-hinted,xgro-verify,xgro-fold,dpdk-heavy,dpdk-burst";
	double secs = 0.3, cap = 2;
	int repeat = 3;
	bool json = false, have_dpdk = false, csum = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			snprintf(flows_arg, sizeof(flows_arg), "%s", optarg);
			break;
		case 'i':
			snprintf(impl_arg, sizeof(impl_arg), "%s", optarg);
			break;
		case 's':
			secs = atof(optarg);
			break;
		case 'c':
			cap = atof(optarg);
			break;
		case 'j':
			json = true;
			break;
		case 'r':
			repeat = atoi(optarg);
			break;
		case 'C':
			csum = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (secs <= 0 || cap <= 0 || repeat < 1 || repeat > MAXREP) {
		fprintf(stderr,
			"xgro-bench: --secs and --cap must be > 0, "
			"--repeat 1..%d\n",
			MAXREP);
		return 2;
	}
	if (csum)
		return csum_bench(json);
#ifdef XGRO_HAVE_DPDK
	have_dpdk = dpdk_setup() == 0;
	if (!have_dpdk)
		fprintf(stderr, "xgro-bench: DPDK EAL init failed; DPDK rows "
				"skipped\n");
#else
	fprintf(stderr,
		"xgro-bench: built without libdpdk; DPDK rows skipped\n");
#endif
	if (!json)
		printf("%8s  %-12s %9s %9s %9s %10s\n", "flows", "impl", "Mpps",
		       "ns/pkt", "segs/out", "memory");
	for (char *save = NULL, *tok = strtok_r(flows_arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		uint32_t n = (uint32_t)strtoul(tok, NULL, 10);
		double heavy = 0, mine = 0;
		struct trace t;

		if (!n || n > (1u << 20)) {
			fprintf(stderr, "xgro-bench: bad flow count '%s'\n",
				tok);
			return 2;
		}
		if (trace_build(&t, n)) {
			fprintf(stderr, "xgro-bench: no memory for %u flows\n",
				n);
			return 1;
		}
		struct result res[sizeof(rows) / sizeof(rows[0])][MAXREP];
		size_t mem[sizeof(rows) / sizeof(rows[0])] = { 0 };
		bool on[sizeof(rows) / sizeof(rows[0])] = { false };

		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			on[i] = wanted(impl_arg, rows[i].impl) &&
				(rows[i].kind == 0 || have_dpdk);
		/* A B C A B C ...: drift on a noisy machine hits all alike */
		for (int rep = 0; rep < repeat; rep++) {
			for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]);
			     i++) {
				const struct row *w = &rows[i];
				int err = -1;

				if (!on[i])
					continue;
				if (w->kind == 0)
					err = xgro_run(&t, w->csum, w->hinted,
						       secs, &res[i][rep],
						       &mem[i]);
#ifdef XGRO_HAVE_DPDK
				else
					err = dpdk_run(&t, w->kind == 2, secs,
						       cap, &res[i][rep]);
#endif
				if (err || !res[i][rep].ns ||
				    !res[i][rep].outs) {
					fprintf(stderr,
						"xgro-bench: %s at %u flows "
						"failed\n",
						w->impl, n);
					return 1;
				}
			}
		}
		for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			const struct row *w = &rows[i];
			struct result r;
			double mpps;

			if (!on[i])
				continue;
			r = median(res[i], repeat);
			mpps = (double)r.pkts * 1e3 / (double)r.ns;
			if (!strcmp(w->impl, "xgro"))
				mine = mpps;
			if (w->kind == 1)
				heavy = mpps;
			if (json) {
				printf("{\"flows\":%u,\"impl\":\"%s\",\"mpps\":"
				       "%.3f,"
				       "\"ns_per_pkt\":%.2f,\"segs_per_out\":%."
				       "2f",
				       n, w->impl, mpps,
				       (double)r.ns / (double)r.pkts,
				       (double)r.pkts / (double)r.outs);
				if (mem[i])
					printf(",\"mem_bytes\":%zu", mem[i]);
				printf("}\n");
			} else {
				char m[32] = "-";

				if (mem[i])
					snprintf(m, sizeof(m), "%.1f MiB",
						 (double)mem[i] / (1 << 20));
				printf("%8u  %-12s %9.2f %9.2f %9.2f %10s\n", n,
				       w->impl, mpps,
				       (double)r.ns / (double)r.pkts,
				       (double)r.pkts / (double)r.outs, m);
			}
			fflush(stdout);
		}
		if (!json && mine > 0 && heavy > 0)
			printf("%8u  xgro / dpdk-heavy = %.2fx\n", n,
			       mine / heavy);
		trace_free(&t);
	}
	return 0;
}
