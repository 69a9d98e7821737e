// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * DPDK's rte_gro on the same trace: heavyweight mode (a context, flushed
 * with rte_gro_timeout_flush after each round, like xgro_flush_all) and
 * burst mode (rte_gro_reassemble_burst on each burst of 32). mbufs are
 * laid over the trace's frames: no copy. l2/l3/l4_len and packet_type are
 * filled in untimed, which is work xgro does inside its timed loop.
 */
#include <rte_eal.h>
#include <rte_gro.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "hotloop.h"
#include "xgro_engine.h"

static struct rte_mbuf *mbufs;
static uint32_t nmbufs;

int dpdk_setup(void)
{
	char *argv[] = { "xgro-bench",
			 "--no-huge",
			 "-m",
			 "256",
			 "--no-pci",
			 "--no-shconf",
			 "--log-level=lib.*:error",
			 "-l",
			 "0",
			 NULL };

	if (rte_eal_init(9, argv) < 0)
		return -1;
	return 0;
}

static void reset_mbufs(const struct trace *t, uint32_t first, uint32_t n)
{
	for (uint32_t i = first; i < first + n; i++) {
		struct rte_mbuf *m = &mbufs[i];

		memset(m, 0, sizeof(*m));
		m->buf_addr = trace_frame(t, i) - BENCH_HEADROOM;
		m->buf_len = BENCH_STRIDE;
		m->data_off = BENCH_HEADROOM;
		m->data_len = (uint16_t)t->frame_len;
		m->pkt_len = t->frame_len;
		m->nb_segs = 1;
		m->next = NULL;
		rte_mbuf_refcnt_set(m, 1);
		m->packet_type = RTE_PTYPE_L2_ETHER | RTE_PTYPE_L3_IPV4 |
				 RTE_PTYPE_L4_TCP;
		m->l2_len = 14;
		m->l3_len = 20;
		m->l4_len = t->hdr_len - 34;
	}
}

static uint64_t flush(void *ctx, struct rte_mbuf **out)
{
	uint64_t n = 0;
	uint16_t got;

	do {
		got = rte_gro_timeout_flush(ctx, 0, RTE_GRO_TCP_IPV4, out,
					    1024);
		n += got;
	} while (got == 1024);
	return n;
}

int dpdk_run(const struct trace *t, bool burst, double secs, double cap_secs,
	     struct result *r)
{
	struct rte_gro_param p = {
		.gro_types = RTE_GRO_TCP_IPV4,
		.max_flow_num = (uint16_t)(t->flows > 65535 ? 65535 : t->flows),
		.max_item_per_flow = BENCH_SEGS,
		.socket_id = 0,
	};
	struct rte_mbuf *out[1024], *ptrs[BENCH_BURST];
	bool capped = false;
	void *ctx = NULL;

	if (!mbufs || nmbufs < t->npkts) {
		free(mbufs);
		mbufs = aligned_alloc(64, (size_t)t->npkts * sizeof(*mbufs));
		if (!mbufs)
			return -1;
		nmbufs = t->npkts;
	}
	if (!burst) {
		ctx = rte_gro_ctx_create(&p);
		if (!ctx)
			return -1;
	} else {
		p.max_flow_num = BENCH_BURST;
		p.max_item_per_flow = BENCH_BURST;
	}
	memset(r, 0, sizeof(*r));
	while (r->ns < secs * 1e9 && !capped) {
		for (uint32_t pos = 0; pos < t->npkts && !capped;
		     pos += BENCH_CHUNK) {
			uint32_t end = pos + BENCH_CHUNK < t->npkts
					       ? pos + BENCH_CHUNK
					       : t->npkts;
			uint64_t t0;

			trace_restore(t, pos, end - pos);
			reset_mbufs(t, pos, end - pos);
			t0 = bench_now_ns();
			for (uint32_t i = pos, k; i < end; i += k) {
				k = burst_len(t, i, end);
				for (uint32_t j = 0; j < k; j++)
					ptrs[j] = &mbufs[i + j];
				if (burst) {
					r->outs += rte_gro_reassemble_burst(
						ptrs, (uint16_t)k, &p);
					continue;
				}
				r->outs += rte_gro_reassemble(ptrs, (uint16_t)k,
							      ctx);
				if ((i + k) % t->round_pkts == 0)
					r->outs += flush(ctx, out);
			}
			r->ns += bench_now_ns() - t0;
			r->pkts += end - pos;
			/* the linear flow scan makes big tables slow: stop a
			 * run early rather than wait minutes */
			if (r->ns > cap_secs * 1e9) {
				capped = true;
				if (!burst) {
					t0 = bench_now_ns();
					r->outs += flush(ctx, out);
					r->ns += bench_now_ns() - t0;
				}
			}
		}
	}
	if (ctx)
		rte_gro_ctx_destroy(ctx);
	return 0;
}

int dpdk_hot(const struct xgro_pkt *pk, unsigned n, unsigned flows, long rounds,
	     unsigned long *outs)
{
	struct rte_gro_param p = {
		.gro_types = RTE_GRO_TCP_IPV4,
		.max_flow_num = (uint16_t)flows,
		.max_item_per_flow = BENCH_SEGS,
		.socket_id = 0,
	};
	struct rte_mbuf *out[1024], *ptrs[32], *m;
	uint32_t hdr_len = 14 + 20 + 32;
	uint8_t *hdr;
	void *ctx;

	m = aligned_alloc(64, (size_t)n * sizeof(*m));
	hdr = malloc((size_t)n * hdr_len);
	ctx = rte_gro_ctx_create(&p);
	if (!m || !hdr || !ctx)
		return -1;
	for (unsigned i = 0; i < n; i++)
		memcpy(hdr + (size_t)i * hdr_len, pk[i].data, hdr_len);
	for (long r = 0; r < rounds; r++) {
		/* untimed: what the PMD would have written, headers DPDK
		 * rewrote in place put back */
		for (unsigned i = 0; i < n; i++) {
			memcpy((uint8_t *)pk[i].data, hdr + (size_t)i * hdr_len,
			       hdr_len);
			memset(&m[i], 0, sizeof(m[i]));
			m[i].buf_addr = (uint8_t *)pk[i].data - BENCH_HEADROOM;
			m[i].buf_len = BENCH_STRIDE;
			m[i].data_off = BENCH_HEADROOM;
			m[i].data_len = (uint16_t)pk[i].len;
			m[i].pkt_len = pk[i].len;
			m[i].nb_segs = 1;
			rte_mbuf_refcnt_set(&m[i], 1);
			m[i].packet_type = RTE_PTYPE_L2_ETHER |
					   RTE_PTYPE_L3_IPV4 | RTE_PTYPE_L4_TCP;
			m[i].l2_len = 14;
			m[i].l3_len = 20;
			m[i].l4_len = hdr_len - 34;
		}
		HOT_COLLECT_ON();
		for (unsigned i = 0; i < n; i += 32) {
			unsigned k = n - i < 32 ? n - i : 32;

			for (unsigned j = 0; j < k; j++)
				ptrs[j] = &m[i + j];
			*outs += rte_gro_reassemble(ptrs, (uint16_t)k, ctx);
		}
		*outs += flush(ctx, out);
		HOT_COLLECT_OFF();
	}
	rte_gro_ctx_destroy(ctx);
	free(hdr);
	free(m);
	return 0;
}
