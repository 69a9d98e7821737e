// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * One test per merge rule and flush trigger (docs/design.md, "Merge rules
 * (TCP)"): each builds two segments that merge, breaks exactly one rule between
 * them, and shows that the merge no longer happens.
 */
#include <errno.h>

#include "check.h"
#include "pktgen.h"
#include "record.h"

#define MAXF 200
#define MSS 1000

static struct rec R;
static struct xgro_engine_config cfg;
static uint8_t frames[MAXF][2048];
static struct xgro_pkt pkts[MAXF];
static int nf;
static uint64_t stream_off[8];

static void reset(void)
{
	rec_reset(&R);
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_flows = 64;
	nf = 0;
	memset(stream_off, 0, sizeof(stream_off));
}

/* Appends a frame of flow f (stream id sid) with plen payload bytes and
 * advances the flow as a sender would. */
static int add(struct pg_flow *f, unsigned sid, size_t plen)
{
	uint8_t pay[2048];
	size_t len;

	pg_fill(sid, stream_off[sid], pay, plen);
	len = pg_build(f, pay, plen, frames[nf], sizeof(frames[nf]));
	if (!len)
		abort();
	pkts[nf] = (struct xgro_pkt){ .data = frames[nf],
				      .len = (uint32_t)len,
				      .handle = (uint64_t)nf };
	stream_off[sid] += plen;
	if (f->proto == 6)
		f->seq += (uint32_t)plen;
	f->ip_id++;
	return nf++;
}

static struct xgro_ctx *run_ex(uint64_t now, bool flush)
{
	struct xgro_ctx *ctx;

	if (xgro_ctx_create(&cfg, rec_emit, &R, &ctx))
		abort();
	xgro_feed(ctx, pkts, (unsigned)nf, now);
	if (flush)
		xgro_flush_all(ctx);
	return ctx;
}

static const struct xgro_engine_stats *run(void)
{
	static struct xgro_engine_stats st;
	struct xgro_ctx *ctx = run_ex(0, true);

	st = *xgro_stats(ctx);
	xgro_ctx_destroy(ctx);
	return &st;
}

typedef void (*mutate_fn)(struct pg_flow *f);

/* Two full segments of one flow, mutate() applied before the second.
 * Returns the number of outputs (1: merged, 2: not). */
static size_t two(int family, int proto, mutate_fn before, mutate_fn mutate)
{
	struct pg_flow f;

	reset();
	pg_init(&f, family, proto, 1);
	if (before)
		before(&f);
	add(&f, 0, MSS);
	if (mutate)
		mutate(&f);
	add(&f, 0, MSS);
	run();
	return R.n;
}

#define RULE(name, fam, proto, before, mut)                                    \
	static void name(void)                                                 \
	{                                                                      \
		CHECKF(two(fam, proto, before, NULL) == 1, "base: %zu outs",   \
		       R.n);                                                   \
		CHECK(R.v[0].segs == 2);                                       \
		CHECKF(two(fam, proto, before, mut) == 2,                      \
		       "rule broken: %zu outs", R.n);                          \
		CHECK(R.v[0].segs == 1 && R.v[1].segs == 1);                   \
	}

static void m_sport(struct pg_flow *f)
{
	f->sport++;
}
static void m_daddr(struct pg_flow *f)
{
	f->daddr[3]++;
}
static void m_tos(struct pg_flow *f)
{
	f->tos = 0x10;
}
static void m_ttl(struct pg_flow *f)
{
	f->ttl--;
}
static void m_df(struct pg_flow *f)
{
	f->df = !f->df;
}
static void m_id_jump(struct pg_flow *f)
{
	f->ip_id += 5;
}
static void m_ext_dst(struct pg_flow *f)
{
	f->v6_ext = PG_EXT_DSTOPTS;
}
static void m_ext_hbh(struct pg_flow *f)
{
	f->v6_ext = PG_EXT_HBH;
}
static void m_ext_rt(struct pg_flow *f)
{
	f->v6_ext = PG_EXT_ROUTING;
}
static void m_ext_fill(struct pg_flow *f)
{
	f->v6_ext_fill = 0x11;
}
static void m_ipopt(struct pg_flow *f)
{
	f->ipoptlen = 4;
	f->ipopts[0] = 1; /* NOP x4 */
	f->ipopts[1] = 1;
	f->ipopts[2] = 1;
	f->ipopts[3] = 1;
}
static void m_frag(struct pg_flow *f)
{
	f->mf = true;
}
static void m_tclass(struct pg_flow *f)
{
	f->tos = 4;
}
static void m_flowlabel(struct pg_flow *f)
{
	f->flowlabel = 0x12345;
}
static void m_v6ext(struct pg_flow *f)
{
	f->v6_ext = 1;
}
static void m_ack(struct pg_flow *f)
{
	f->ack += 100;
}
static void m_window(struct pg_flow *f)
{
	f->window++;
}
static void m_noack(struct pg_flow *f)
{
	f->flags = 0;
}
static void m_syn(struct pg_flow *f)
{
	f->flags |= 0x02;
}
static void m_fin(struct pg_flow *f)
{
	f->flags |= 0x01;
}
static void m_rst(struct pg_flow *f)
{
	f->flags |= 0x04;
}
static void m_urg(struct pg_flow *f)
{
	f->flags |= 0x20;
}
static void m_cwr(struct pg_flow *f)
{
	f->flags |= 0x80;
}
static void m_ece(struct pg_flow *f)
{
	f->flags |= 0x40;
}
static void m_psh_first(struct pg_flow *f)
{
	f->flags |= 0x08;
}
static void m_ts(struct pg_flow *f)
{
	f->optlen = 12;
	f->opts[0] = 1;
	f->opts[1] = 1;
	f->opts[2] = 8;
	f->opts[3] = 10;
	f->opts[7] = 1; /* TSval */
}
static void m_ts_tick(struct pg_flow *f)
{
	f->opts[7]++;
}
static void m_seq_gap(struct pg_flow *f)
{
	f->seq += 1;
}
static void m_seq_back(struct pg_flow *f)
{
	f->seq -= MSS;
}
static void m_vlan1(struct pg_flow *f)
{
	f->nvlan = 1;
	f->vlan_tpid[0] = 0x8100;
	f->vlan_tci[0] = 100;
}
static void m_qinq(struct pg_flow *f)
{
	f->nvlan = 2;
	f->vlan_tpid[0] = 0x88a8;
	f->vlan_tci[0] = 10;
	f->vlan_tpid[1] = 0x8100;
	f->vlan_tci[1] = 20;
}
static void m_vid(struct pg_flow *f)
{
	f->vlan_tci[f->nvlan - 1]++;
}
static void m_untag(struct pg_flow *f)
{
	f->nvlan = 0;
}
static void m_udp0(struct pg_flow *f)
{
	f->udp_zero_csum = true;
}

RULE(rule_key_port, 4, 6, NULL, m_sport)
RULE(rule_key_addr, 4, 6, NULL, m_daddr)
RULE(rule_v4_tos, 4, 6, NULL, m_tos)
RULE(rule_v4_ttl, 4, 6, NULL, m_ttl)
RULE(rule_v4_df, 4, 6, NULL, m_df)
RULE(rule_v4_id_increments, 4, 6, NULL, m_id_jump)
RULE(rule_v4_options, 4, 6, NULL, m_ipopt)
RULE(rule_v4_fragment, 4, 6, NULL, m_frag)
RULE(rule_v6_traffic_class, 6, 6, NULL, m_tclass)
RULE(rule_v6_flow_label, 6, 6, NULL, m_flowlabel)
RULE(rule_v6_hop_limit, 6, 6, NULL, m_ttl)
RULE(rule_v6_ext_header, 6, 6, NULL, m_v6ext)
/* Linux's ipv6_gro_receive merges segments whose hop-by-hop, routing or
 * destination options headers are byte for byte the same (selftest gro.c
 * "ipv6 with ext header does coalesce" / "... different payloads doesn't") */
RULE(rule_v6_ext_dstopts_identical, 6, 6, m_ext_dst, m_ext_fill)
RULE(rule_v6_ext_hbh_identical, 6, 6, m_ext_hbh, m_ext_fill)
RULE(rule_v6_ext_routing_identical, 6, 6, m_ext_rt, m_ext_fill)
RULE(rule_v6_ext_type_differs, 6, 6, m_ext_dst, m_ext_hbh)
RULE(rule_udp_v6_ext_identical, 6, 17, m_ext_dst, m_ext_fill)
RULE(rule_tcp_ack, 4, 6, NULL, m_ack)
RULE(rule_tcp_window, 4, 6, NULL, m_window)
RULE(rule_tcp_ack_required, 4, 6, NULL, m_noack)
RULE(rule_tcp_syn, 4, 6, NULL, m_syn)
RULE(rule_tcp_fin, 4, 6, NULL, m_fin)
RULE(rule_tcp_rst, 4, 6, NULL, m_rst)
RULE(rule_tcp_urg, 4, 6, NULL, m_urg)
RULE(rule_tcp_cwr, 4, 6, NULL, m_cwr)
RULE(rule_tcp_ece_change, 4, 6, NULL, m_ece)
RULE(rule_tcp_options_identical, 4, 6, m_ts, m_ts_tick)
RULE(rule_tcp_seq_gap, 4, 6, NULL, m_seq_gap)
RULE(rule_tcp_seq_retransmit, 6, 6, NULL, m_seq_back)
RULE(rule_vlan_tag_differs, 4, 6, m_vlan1, m_vid)
RULE(rule_qinq_tag_differs, 6, 6, m_qinq, m_vid)
RULE(rule_vlan_vs_untagged, 4, 6, m_vlan1, m_untag)
RULE(rule_udp_v4_key, 4, 17, NULL, m_sport)
RULE(rule_udp_v6_hop_limit, 6, 17, NULL, m_ttl)
RULE(rule_udp_zero_csum, 4, 17, NULL, m_udp0)
RULE(rule_udp_v4_fragment, 4, 17, NULL, m_frag)

static void rule_psh_only_last(void)
{
	struct pg_flow f;

	/* PSH on the second merges and flushes at once */
	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	f.flags |= 0x08;
	add(&f, 0, MSS);
	run();
	CHECK(R.n == 1 && R.v[0].segs == 2 && R.v[0].reason == XGRO_FLUSH_PSH);
	CHECK(R.v[0].bytes[R.v[0].l4_off + 13] & 0x08);
	/* PSH on the first: it leaves alone, the second starts anew */
	CHECK(two(4, 6, NULL, NULL) == 1);
	CHECK(two(4, 6, m_psh_first, NULL) == 2);
	CHECK(R.v[0].segs == 1 && R.v[0].reason == XGRO_FLUSH_PSH);
}

static void rule_fixed_id_with_df(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 4, 6, 1);
	for (int i = 0; i < 3; i++) {
		add(&f, 0, MSS);
		f.ip_id--; /* the same ID every time, DF set */
	}
	run();
	CHECK(R.n == 1 && R.v[0].segs == 3);
	CHECK(R.v[0].flags & XGRO_OUT_FIXEDID);
	/* decided once: incrementing after fixed does not merge */
	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	f.ip_id--;
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	run();
	CHECK(R.n == 2 && R.v[0].segs == 2 && R.v[1].segs == 1);
}

/* Linux 6.18 ("net: gro: remove unnecessary df checks"): a fixed IP ID
 * merges with DF clear too; the selftest's "DF=0, Fixed - should coalesce" */
static void rule_v4_fixed_id_without_df(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 4, 6, 1);
	f.df = false;
	for (int i = 0; i < 3; i++) {
		add(&f, 0, MSS);
		f.ip_id--;
	}
	run();
	CHECKF(R.n == 1 && R.v[0].segs == 3, "%zu outputs", R.n);
	CHECK(R.v[0].flags & XGRO_OUT_FIXEDID);
	CHECK(rec_csum_ok(&R.v[0]));
	/* DF must still be the same on every segment */
	reset();
	pg_init(&f, 4, 6, 1);
	f.df = false;
	add(&f, 0, MSS);
	f.ip_id--;
	f.df = true;
	add(&f, 0, MSS);
	run();
	CHECK(R.n == 2);
}

/* No GRO for a fragment header (no inet6_offloads entry) or AH: never
 * merged, but it still flushes its flow first; nor a routing header with
 * segments left, nor headers beyond the room a flow keeps. */
static void rule_v6_ext_never_merged(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 6, 6, 1);
	add(&f, 0, MSS);
	f.v6_ext = PG_EXT_FRAGMENT;
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	run();
	CHECK(R.n == 3 && R.v[0].kind == XGRO_OUT_MERGED &&
	      R.v[0].reason == XGRO_FLUSH_UNMERGEABLE);
	CHECK(R.v[1].kind == XGRO_OUT_ALONE && R.v[2].kind == XGRO_OUT_ALONE);
	reset();
	pg_init(&f, 6, 6, 1);
	f.v6_ext = PG_EXT_ROUTING;
	add(&f, 0, MSS);
	frames[0][14 + 43] = 1; /* segments left */
	add(&f, 0, MSS);
	frames[1][14 + 43] = 1;
	run();
	CHECK(R.n == 2 && R.v[0].kind == XGRO_OUT_ALONE &&
	      R.v[1].kind == XGRO_OUT_ALONE);
	/* 14 + 40 + 96 + 20 bytes of header: more than XGRO_MAX_HDR; the
	 * most that fits: 14 + 40 + 64 + 20 = 138 */
	for (uint8_t units = 8; units <= 12; units += 4) {
		reset();
		pg_init(&f, 6, 6, 1);
		f.v6_ext = PG_EXT_DSTOPTS;
		f.v6_ext_units = units;
		add(&f, 0, MSS);
		add(&f, 0, MSS);
		run();
		if (units == 12) {
			CHECK(R.n == 2 && R.v[0].kind == XGRO_OUT_ALONE);
		} else {
			CHECK(R.n == 1 && R.v[0].vnet.hdr_len == 138);
			CHECK(rec_csum_ok(&R.v[0]));
		}
	}
}

static void rule_short_segment_last(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	add(&f, 0, MSS - 1); /* shorter: merges and ends the super-packet */
	add(&f, 0, MSS);
	run();
	CHECK(R.n == 2 && R.v[0].segs == 2 &&
	      R.v[0].reason == XGRO_FLUSH_SHORT);
	CHECK(R.v[0].vnet.gso_size == MSS);
	/* a longer segment does not merge */
	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	add(&f, 0, MSS + 1);
	run();
	CHECK(R.n == 2 && R.v[0].reason == XGRO_FLUSH_MISMATCH);
}

static void rule_size_limit(void)
{
	struct pg_flow f;
	const struct xgro_engine_stats *st;

	/* 65535: 45 segments of 1448 bytes reach 65200; the 46th would not fit
	 */
	reset();
	pg_init(&f, 4, 6, 1);
	for (int i = 0; i < 47; i++)
		add(&f, 0, 1448);
	st = run();
	CHECK(R.n == 2);
	CHECKF(R.v[0].segs == 45, "%u", R.v[0].segs);
	CHECK(R.v[0].reason == XGRO_FLUSH_SIZE);
	CHECK(R.v[0].len - 14 <= 65535);
	CHECK(st->flush_size == 1);
	/* Linux appends a last, shorter segment that ends exactly at 65535
	 * (skb_gro_receive refuses p->len + len >= 65536): 45 x 1448 reach
	 * 65200, and 335 more bytes fit; a segment with a gap follows */
	for (int extra = 0; extra <= 1; extra++) {
		reset();
		pg_init(&f, 4, 6, 1);
		for (int i = 0; i < 45; i++)
			add(&f, 0, 1448);
		add(&f, 0, 335 + (size_t)extra);
		f.seq += 1000;
		add(&f, 0, 335 + (size_t)extra);
		run();
		if (!extra) {
			CHECKF(R.n == 2 && R.v[0].segs == 46, "%zu outs", R.n);
			CHECK(R.v[0].len - 14 == 65535 && rec_csum_ok(&R.v[0]));
		} else { /* one byte too many: it goes with the next */
			CHECKF(R.n == 3 && R.v[0].segs == 45, "%zu outs", R.n);
			CHECK(R.v[0].reason == XGRO_FLUSH_SIZE);
		}
	}
	/* a configured max_size */
	reset();
	pg_init(&f, 6, 6, 1);
	for (int i = 0; i < 5; i++)
		add(&f, 0, MSS);
	cfg.max_size = 40 + 20 + 2 * MSS;
	run();
	CHECK(R.n == 3 && R.v[0].segs == 2 && R.v[1].segs == 2);
	CHECK(R.v[0].reason == XGRO_FLUSH_SIZE);
}

static void rule_segment_limit(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 4, 17, 1);
	for (int i = 0; i < 70; i++)
		add(&f, 0, 100);
	run();
	CHECK(R.n == 2 && R.v[0].segs == 64 && R.v[1].segs == 6);
	CHECK(R.v[0].reason == XGRO_FLUSH_SEGS);
	reset();
	pg_init(&f, 4, 6, 1);
	for (int i = 0; i < 7; i++)
		add(&f, 0, 100);
	cfg.max_segs = 3;
	run();
	CHECK(R.n == 3 && R.v[0].segs == 3 && R.v[2].segs == 1);
}

static void rule_udp_sizes(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 6, 17, 1);
	add(&f, 0, 500);
	add(&f, 0, 500);
	add(&f, 0, 300); /* a shorter last one merges */
	add(&f, 0, 500);
	add(&f, 0, 600); /* larger: does not */
	run();
	CHECK(R.n == 3 && R.v[0].segs == 3 && R.v[1].segs == 1 &&
	      R.v[2].segs == 1);
	CHECK(R.v[0].vnet.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4);
	CHECK(R.v[0].vnet.gso_size == 500 && R.v[0].vnet.csum_offset == 6);
	CHECK(rec_csum_ok(&R.v[0]));
}

static void rule_udp_length_vs_ip(void)
{
	struct pg_flow f;

	/* UDP length shorter than the IP payload: trailing bytes inside IP */
	reset();
	pg_init(&f, 4, 17, 1);
	add(&f, 0, 400);
	add(&f, 0, 400);
	frames[1][14 + 20 + 5] -= 4; /* UDP length */
	run();
	CHECK(R.n == 2 && R.v[1].kind == XGRO_OUT_ALONE);
}

static void rule_udp_no_gso(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 4, 17, 1);
	add(&f, 0, 400);
	add(&f, 0, 400);
	cfg.no_udp_gso = 1;
	run();
	CHECK(R.n == 2 && R.v[0].kind == XGRO_OUT_ALONE);
}

static void rule_protocol_disabled(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, 400);
	add(&f, 0, 400);
	cfg.protos = XGRO_PROTO_UDP;
	run();
	CHECK(R.n == 2 && R.v[0].kind == XGRO_OUT_ALONE);
}

static void rule_ethernet_padding_trimmed(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 4, 6, 1);
	f.pad = 20;
	add(&f, 0, 6);
	add(&f, 0, 6);
	run();
	CHECK(R.n == 1 && R.v[0].segs == 2);
	CHECK(R.v[0].len == 14 + 20 + 20 + 12);
	CHECK(rec_csum_ok(&R.v[0]));
}

static void rule_pure_ack_flushes_first(void)
{
	struct pg_flow f;
	const struct xgro_engine_stats *st;

	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	add(&f, 0, 0); /* pure ACK of the same flow */
	st = run();
	/* the held pair goes first, then the ACK: never reordered */
	CHECK(R.n == 2 && R.v[0].segs == 2 && R.v[1].handles[0] == 2);
	CHECK(R.v[0].reason == XGRO_FLUSH_UNMERGEABLE);
	CHECK(R.v[1].kind == XGRO_OUT_ALONE);
	CHECK(st->flush_unmergeable == 1 && st->alone_unmergeable == 1);
}

static void rule_ipv6_ext_header_flushes_flow(void)
{
	struct pg_flow f;

	/* a segment that gains an extension header flushes the flow and
	 * starts its own super-packet, with the next one like it */
	reset();
	pg_init(&f, 6, 6, 1);
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	f.v6_ext = PG_EXT_DSTOPTS;
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	run();
	CHECK(R.n == 2 && R.v[0].segs == 2 &&
	      R.v[0].reason == XGRO_FLUSH_MISMATCH);
	CHECK(R.v[1].segs == 2 && R.v[1].vnet.hdr_len == 14 + 40 + 8 + 20);
	CHECK(rec_csum_ok(&R.v[1]));
}

static void rule_csum_verify(void)
{
	struct pg_flow f;
	const struct xgro_engine_stats *st;

	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	frames[1][100] ^= 1; /* corrupt the payload of the second */
	st = run();
	CHECK(R.n == 3 && R.v[1].kind == XGRO_OUT_ALONE &&
	      R.v[1].reason == XGRO_ALONE_CSUM_BAD);
	CHECK(R.v[1].vnet.flags == 0 && R.v[1].len == pkts[1].len);
	CHECK(!memcmp(R.v[1].bytes, frames[1], pkts[1].len)); /* unmodified */
	CHECK(st->csum_bad == 1);
	/* trust: merged regardless */
	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	frames[1][100] ^= 1;
	cfg.csum_mode = XGRO_CSUM_TRUST;
	run();
	CHECK(R.n == 1 && R.v[0].segs == 2);
	CHECK(R.v[0].vnet.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
}

static void rule_ip_header_csum(void)
{
	struct pg_flow f;
	const struct xgro_engine_stats *st;

	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	frames[1][14 + 10] ^= 1;
	cfg.csum_mode = XGRO_CSUM_TRUST; /* checked in every mode */
	st = run();
	/* a header that fails its checksum cannot be attributed to a flow:
	 * it leaves at once (the kernel drops it) */
	CHECK(R.n == 2 && R.v[0].reason == XGRO_ALONE_IP_CSUM_BAD);
	CHECK(R.v[1].segs == 1);
	CHECK(st->ip_csum_bad == 1);
}

static void fold_case(int fam, size_t mss, int odd_pad, bool corrupt)
{
	struct pg_flow f;

	reset();
	pg_init(&f, fam, 6, 3);
	m_ts(&f);
	for (int i = 0; i < 5; i++)
		add(&f, 0, mss);
	add(&f, 0, mss - (size_t)odd_pad);
	if (corrupt)
		frames[2][pkts[2].len - 1] ^= 0x40;
	cfg.csum_mode = XGRO_CSUM_FOLD;
	run();
}

static void csum_fold_mode(void)
{
	size_t sizes[] = { 1448, 1447, 999, 2, 1 };

	for (int fam = 4; fam <= 6; fam += 2) {
		for (size_t i = 0; i < 5; i++) {
			fold_case(fam, sizes[i], sizes[i] > 1, false);
			CHECKF(R.n == 1 && R.v[0].segs == 6, "n %zu", R.n);
			CHECK(R.v[0].vnet.flags == 0);
			CHECKF(rec_csum_ok(&R.v[0]), "fam %d mss %zu", fam,
			       sizes[i]);
			/* one bad segment costs the whole super-packet */
			fold_case(fam, sizes[i], 0, true);
			CHECK(R.n == 1 && !rec_csum_ok(&R.v[0]));
		}
	}
}

static void trigger_age(void)
{
	struct pg_flow a, b;
	struct xgro_ctx *ctx;

	reset();
	pg_init(&a, 4, 6, 1);
	pg_init(&b, 4, 6, 2);
	add(&a, 0, MSS);
	add(&a, 0, MSS);
	cfg.flush_ns = 50000;
	ctx = run_ex(1000, false);
	CHECK(xgro_flush_expired(ctx, 1000 + 49999) == 0 && R.n == 0);
	nf = 0;
	add(&b, 1, MSS);
	xgro_feed(ctx, pkts, 1, 30000);
	CHECK(xgro_flush_expired(ctx, 1000 + 50000) == 1);
	CHECK(R.n == 1 && R.v[0].segs == 2 && R.v[0].reason == XGRO_FLUSH_AGE);
	CHECK(xgro_held_flows(ctx) == 1 && xgro_held_frames(ctx) == 1);
	CHECK(xgro_flush_expired(ctx, 80000) == 1 &&
	      xgro_held_frames(ctx) == 0);
	CHECK(xgro_stats(ctx)->flush_age == 2);
	xgro_ctx_destroy(ctx);
}

static void trigger_table_full(void)
{
	struct pg_flow f[3];
	const struct xgro_engine_stats *st;

	reset();
	for (unsigned i = 0; i < 3; i++)
		pg_init(&f[i], 4, 6, i);
	for (unsigned i = 0; i < 3; i++)
		add(&f[i], i, MSS);
	add(&f[1], 1, MSS);
	cfg.max_flows = 2;
	st = run();
	/* the oldest (flow 0) goes when the third arrives */
	CHECK(R.n == 3 && R.v[0].handles[0] == 0 &&
	      R.v[0].reason == XGRO_FLUSH_TABLE_FULL);
	CHECK(R.v[1].segs == 2 && R.v[1].handles[0] == 1);
	CHECK(st->flush_table_full == 1);
}

static void trigger_budget(void)
{
	struct pg_flow f[3];
	struct xgro_ctx *ctx;

	reset();
	for (unsigned i = 0; i < 3; i++)
		pg_init(&f[i], 4, 6, i);
	for (int k = 0; k < 3; k++)
		for (unsigned i = 0; i < 3; i++)
			add(&f[i], i, MSS);
	ctx = run_ex(0, false);
	CHECK(xgro_held_frames(ctx) == 9 && R.n == 0);
	CHECK(xgro_flush_to(ctx, 4) == 2); /* oldest two flows */
	CHECK(R.n == 2 && R.v[0].handles[0] == 0 && R.v[1].handles[0] == 1);
	CHECK(R.v[0].reason == XGRO_FLUSH_BUDGET);
	CHECK(xgro_held_frames(ctx) == 3);
	xgro_ctx_destroy(ctx);
	/* a budget smaller than the traffic flushes by itself */
	reset();
	for (unsigned i = 0; i < 2; i++)
		pg_init(&f[i], 4, 6, i);
	for (int k = 0; k < 4; k++)
		for (unsigned i = 0; i < 2; i++)
			add(&f[i], i, MSS);
	cfg.max_frames = 3;
	ctx = run_ex(0, false);
	CHECK(xgro_held_frames(ctx) <= 3);
	CHECK(xgro_stats(ctx)->flush_budget > 0);
	xgro_flush_all(ctx);
	CHECK(xgro_stats(ctx)->packets_in == 8);
	xgro_ctx_destroy(ctx);
}

static void trigger_mismatch_starts_new(void)
{
	struct pg_flow f;

	reset();
	pg_init(&f, 4, 6, 1);
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	f.ack += 1;
	add(&f, 0, MSS);
	add(&f, 0, MSS);
	run();
	CHECK(R.n == 2 && R.v[0].segs == 2 && R.v[1].segs == 2);
	CHECK(R.v[0].reason == XGRO_FLUSH_MISMATCH);
	CHECK(R.v[1].reason == XGRO_FLUSH_EXPLICIT);
}

static void output_header_rewrite(void)
{
	struct pg_flow f;
	const struct rec_out *o;
	const uint8_t *ip;

	reset();
	pg_init(&f, 4, 6, 1);
	m_qinq(&f);
	for (int i = 0; i < 4; i++)
		add(&f, 0, 1448);
	cfg.set_dst_mac = 1;
	memcpy(cfg.dst_mac, "\x02\xaa\xbb\xcc\xdd\xee", 6);
	run();
	CHECK(R.n == 1);
	o = &R.v[0];
	ip = o->bytes + 22;
	CHECK(!memcmp(o->bytes, "\x02\xaa\xbb\xcc\xdd\xee", 6));
	CHECK(o->vnet.gso_type == VIRTIO_NET_HDR_GSO_TCPV4);
	CHECK(o->vnet.gso_size == 1448 && o->vnet.hdr_len == 22 + 40);
	CHECK(o->vnet.csum_start == 42 && o->vnet.csum_offset == 16);
	CHECK(o->vnet.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK((ip[2] << 8 | ip[3]) == 40 + 4 * 1448);
	CHECK(rec_csum_ok(o));
	CHECK(o->len == 62 + 4 * 1448);
}

static void burst_api(void)
{
	struct pg_flow f[3];
	struct xgro_engine_stats st;

	reset();
	for (unsigned i = 0; i < 3; i++)
		pg_init(&f[i], 4, 6, i);
	for (int k = 0; k < 4; k++)
		for (unsigned i = 0; i < 3; i++)
			add(&f[i], i, MSS);
	memset(&st, 0, sizeof(st));
	CHECK(xgro_burst(&cfg, pkts, (unsigned)nf, rec_emit, &R, &st) == 0);
	CHECK(R.n == 3 && R.v[0].segs == 4 && st.packets_in == 12);
	CHECK(st.superpackets_out == 3 && st.segments_merged == 12);
}

static void config_rejected(void)
{
	struct xgro_engine_config c = { 0 };
	struct xgro_ctx *ctx;

	c.max_segs = 65;
	CHECK(xgro_ctx_create(&c, rec_emit, &R, &ctx) == -EINVAL);
	c.max_segs = 0;
	c.csum_mode = 3;
	CHECK(xgro_ctx_create(&c, rec_emit, &R, &ctx) == -EINVAL);
	c.csum_mode = 0;
	c.max_flows = 65536;
	CHECK(xgro_ctx_create(&c, rec_emit, &R, &ctx) == 0);
	CHECKF(xgro_ctx_mem_size(&c) <= 64u << 20, "%zu",
	       xgro_ctx_mem_size(&c));
	xgro_ctx_destroy(ctx);
}

static const struct check_test tests[] = {
#define T(x)                                                                   \
	{                                                                      \
#x, x                                                          \
	}
	T(rule_key_port),
	T(rule_key_addr),
	T(rule_v4_tos),
	T(rule_v4_ttl),
	T(rule_v4_df),
	T(rule_v4_id_increments),
	T(rule_v4_fixed_id_without_df),
	T(rule_v4_options),
	T(rule_v4_fragment),
	T(rule_v6_traffic_class),
	T(rule_v6_flow_label),
	T(rule_v6_hop_limit),
	T(rule_v6_ext_header),
	T(rule_v6_ext_dstopts_identical),
	T(rule_v6_ext_hbh_identical),
	T(rule_v6_ext_routing_identical),
	T(rule_v6_ext_type_differs),
	T(rule_udp_v6_ext_identical),
	T(rule_v6_ext_never_merged),
	T(rule_tcp_ack),
	T(rule_tcp_window),
	T(rule_tcp_ack_required),
	T(rule_tcp_syn),
	T(rule_tcp_fin),
	T(rule_tcp_rst),
	T(rule_tcp_urg),
	T(rule_tcp_cwr),
	T(rule_tcp_ece_change),
	T(rule_tcp_options_identical),
	T(rule_tcp_seq_gap),
	T(rule_tcp_seq_retransmit),
	T(rule_vlan_tag_differs),
	T(rule_qinq_tag_differs),
	T(rule_vlan_vs_untagged),
	T(rule_udp_v4_key),
	T(rule_udp_v6_hop_limit),
	T(rule_udp_zero_csum),
	T(rule_udp_v4_fragment),
	T(rule_psh_only_last),
	T(rule_fixed_id_with_df),
	T(rule_short_segment_last),
	T(rule_size_limit),
	T(rule_segment_limit),
	T(rule_udp_sizes),
	T(rule_udp_length_vs_ip),
	T(rule_udp_no_gso),
	T(rule_protocol_disabled),
	T(rule_ethernet_padding_trimmed),
	T(rule_pure_ack_flushes_first),
	T(rule_ipv6_ext_header_flushes_flow),
	T(rule_csum_verify),
	T(rule_ip_header_csum),
	T(csum_fold_mode),
	T(trigger_age),
	T(trigger_table_full),
	T(trigger_budget),
	T(trigger_mismatch_starts_new),
	T(output_header_rewrite),
	T(burst_api),
	T(config_rejected),
};

CHECK_MAIN("rules", tests)
