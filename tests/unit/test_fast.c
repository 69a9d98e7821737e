// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The fast path (a frame compared with its held flow's header template)
 * against the slow path (parse, hash, lookup) on the same frames: every
 * output must be the same, byte for byte, in every checksum mode, with and
 * without the XDP program's hints. The frames are the ones the fast path
 * finds in its template but must not merge, or must merge with care: a
 * sequence gap, an IP ID jump, a bad IPv4 header checksum, a bad TCP or
 * UDP checksum, PSH, a longer or a shorter segment, Ethernet padding, a
 * frame shorter than its IP length, no payload, a UDP length that lies,
 * a zero UDP checksum, hints that lie, the size limit.
 */
#include "check.h"
#include "internal.h"
#include "pktgen.h"
#include "record.h"

#define MAXF 64
#define MSS 1000

static uint8_t frames[MAXF][2048];
static struct xgro_pkt pkts[MAXF];
static int nf;

typedef void (*post_fn)(struct xgro_pkt *p, uint8_t *d);

/* the IPv4 ID every frame keeps (a fixed-ID flow), else it counts up */
static bool fixed_id;

static int add(struct pg_flow *f, size_t plen)
{
	uint8_t pay[2048];
	size_t len;

	for (size_t i = 0; i < plen; i++)
		pay[i] = (uint8_t)(nf * 7 + i);
	len = pg_build(f, pay, plen, frames[nf], sizeof(frames[nf]));
	if (!len)
		abort();
	pkts[nf] = (struct xgro_pkt){ .data = frames[nf],
				      .len = (uint32_t)len,
				      .handle = (uint64_t)nf };
	if (f->proto == 6)
		f->seq += (uint32_t)plen;
	if (!fixed_id)
		f->ip_id++;
	return nf++;
}

static void hint(struct xgro_pkt *p, const struct pg_flow *f, uint32_t seed)
{
	struct xgro_flow_key k = { .family = (uint8_t)f->family,
				   .proto = (uint8_t)f->proto };
	size_t l3 = pg_l3_off(f), l4 = pg_l4_off(f);

	if (f->family == 4) {
		memcpy(&k.saddr[0], p->data + l3 + 12, 4);
		memcpy(&k.daddr[0], p->data + l3 + 16, 4);
	} else {
		memcpy(k.saddr, p->data + l3 + 8, 16);
		memcpy(k.daddr, p->data + l3 + 24, 16);
	}
	memcpy(&k.sport, p->data + l4, 2);
	memcpy(&k.dport, p->data + l4 + 2, 2);
	p->hash = xgro_flow_hash(&k, seed);
	p->l3_off = (uint16_t)l3;
	p->l4_off = (uint16_t)l4;
	p->flags = XGRO_PKT_HASH | XGRO_PKT_OFFSETS;
}

/* One run over the frames; the path chosen by xgro_fast_path_off. */
/* 8 flows: one pass; 1024: prefetch groups (SMALL_TABLE in engine.c) */
static uint32_t max_flows = 8;
static uint32_t max_segs; /* 0: the default */
static unsigned burst = 3;

static void run(struct rec *r, unsigned mode, bool slow, uint32_t max_size)
{
	struct xgro_engine_config c = { .max_flows = max_flows,
					.csum_mode = mode,
					.max_size = max_size,
					.max_segs = max_segs,
					.seed = 7 };
	struct xgro_ctx *ctx;

	rec_reset(r);
	xgro_fast_path_off = slow;
	if (xgro_ctx_create(&c, rec_emit, r, &ctx))
		abort();
	/* in bursts of 3, so that frames of one group see each other */
	for (int i = 0; i < nf; i += (int)burst)
		xgro_feed(ctx, pkts + i,
			  nf - i < (int)burst ? (unsigned)(nf - i) : burst, 0);
	xgro_flush_all(ctx);
	xgro_ctx_destroy(ctx);
	xgro_fast_path_off = false;
}

static const char *same(const struct rec *a, const struct rec *b)
{
	if (a->n != b->n)
		return "output count";
	for (size_t i = 0; i < a->n; i++) {
		const struct rec_out *x = &a->v[i], *y = &b->v[i];

		if (x->kind != y->kind || x->reason != y->reason ||
		    x->segs != y->segs || x->len != y->len ||
		    x->flags != y->flags || x->nhandles != y->nhandles ||
		    memcmp(&x->vnet, &y->vnet, sizeof(x->vnet)) ||
		    memcmp(x->handles, y->handles,
			   x->nhandles * sizeof(x->handles[0])) ||
		    memcmp(x->bytes, y->bytes, x->len))
			return "an output";
	}
	return NULL;
}

/*
 * Four good segments of a flow, then the case's frame (built by pre() on
 * the flow, then changed by post()), then two more good ones; fast and
 * slow compared in every mode, with and without hints. Returns the merged
 * outputs' segment count of the first one, for the caller to check that
 * the base case merges at all.
 */
static int fast_vs_slow(int family, int proto, void (*pre)(struct pg_flow *),
			post_fn post, uint32_t max_size, bool hints)
{
	static struct rec fast, slow;
	struct pg_flow f, saved;
	int first = -1;

	for (unsigned mode = 0; mode <= XGRO_CSUM_TRUST; mode++) {
		nf = 0;
		pg_init(&f, family, proto, 1);
		if (proto == 6) {
			f.optlen = 12;
			memcpy(f.opts, "\x01\x01\x08\x0a\0\1\2\3\0\0\0\7", 12);
		}
		for (int i = 0; i < 4; i++)
			add(&f, MSS);
		saved = f;
		if (pre)
			pre(&f);
		add(&f, MSS);
		if (post)
			post(&pkts[nf - 1], frames[nf - 1]);
		/* undo pre(), as if the frame had been a good one */
		f = saved;
		if (proto == 6)
			f.seq += MSS;
		f.ip_id++;
		add(&f, MSS);
		add(&f, MSS);
		if (hints)
			for (int i = 0; i < nf; i++)
				if (!(pkts[i].flags & XGRO_PKT_HASH))
					hint(&pkts[i], &f, 7);
		run(&fast, mode, false, max_size);
		run(&slow, mode, true, max_size);
		if (same(&fast, &slow)) {
			fprintf(stderr, "mode %u: %s differs\n", mode,
				same(&fast, &slow));
			return -1;
		}
		if (mode == 0)
			first = fast.n ? fast.v[0].segs : 0;
	}
	return first;
}

static void p_seq_gap(struct pg_flow *f)
{
	f->seq += 1;
}
static void p_id_jump(struct pg_flow *f)
{
	f->ip_id += 3;
}
static void p_pad(struct pg_flow *f)
{
	f->pad = 6;
}
static void p_psh(struct pg_flow *f)
{
	f->flags |= 0x08;
}

static void q_ip_csum(struct xgro_pkt *p, uint8_t *d)
{
	(void)p;
	d[24] ^= 1;
}
static void q_l4_csum(struct xgro_pkt *p, uint8_t *d)
{
	d[p->len - 1] ^= 0x40; /* the payload, as a bad link would */
}
static void q_truncate(struct xgro_pkt *p, uint8_t *d)
{
	(void)d;
	p->len -= 10;
}
static void q_longer(struct xgro_pkt *p, uint8_t *d)
{
	/* ten bytes more in the IP length than the flow's segments, frame
	 * long enough: a longer segment (bad L4 checksum, too) */
	uint16_t tot = (uint16_t)(d[16] << 8 | d[17]);

	tot = (uint16_t)(tot + 10);
	d[16] = (uint8_t)(tot >> 8);
	d[17] = (uint8_t)tot;
	p->len += 10;
}
static void q_no_payload(struct xgro_pkt *p, uint8_t *d)
{
	/* IPv4 length cut to the headers, checksum kept right */
	uint32_t s = 0;
	uint16_t tot = (uint16_t)(20 + (d[46] >> 4) * 4);

	d[16] = (uint8_t)(tot >> 8);
	d[17] = (uint8_t)tot;
	d[24] = d[25] = 0;
	for (int i = 14; i < 34; i += 2)
		s += (uint32_t)(d[i] << 8 | d[i + 1]);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	d[24] = (uint8_t)(~s >> 8);
	d[25] = (uint8_t)~s;
	p->len = 14u + tot;
}
static void q_udp_len(struct xgro_pkt *p, uint8_t *d)
{
	(void)p;
	d[39] -= 2;
}
static void q_udp_zero(struct xgro_pkt *p, uint8_t *d)
{
	(void)p;
	d[40] = d[41] = 0;
}
static void q_bad_hash(struct xgro_pkt *p, uint8_t *d)
{
	(void)d;
	p->hash = 12345;
	p->flags = XGRO_PKT_HASH;
}
static void q_bad_l4_hint(struct xgro_pkt *p, uint8_t *d)
{
	(void)d;
	p->hash = 0;
	p->l3_off = 14;
	p->l4_off = 38;
	p->flags = XGRO_PKT_OFFSETS;
}
static void q_v6_plen(struct xgro_pkt *p, uint8_t *d)
{
	(void)p;
	d[19] += 4;
}

#define CASE(name, fam, proto, pre, post, max)                                 \
	static void name(void)                                                 \
	{                                                                      \
		for (int h = 0; h < 4; h++) {                                  \
			max_flows = h & 2 ? 1024 : 8;                          \
			CHECKF(fast_vs_slow(fam, proto, pre, post, max,        \
					    h & 1) >= 0,                       \
			       "hints %d, %u flows", h & 1, max_flows);        \
		}                                                              \
		max_flows = 8;                                                 \
	}

static void base_merges(void)
{
	CHECK(fast_vs_slow(4, 6, NULL, NULL, 0, false) == 7);
	CHECK(fast_vs_slow(4, 6, NULL, NULL, 0, true) == 7);
	CHECK(fast_vs_slow(6, 6, NULL, NULL, 0, false) == 7);
	CHECK(fast_vs_slow(4, 17, NULL, NULL, 0, false) == 7);
	CHECK(fast_vs_slow(6, 17, NULL, NULL, 0, true) == 7);
}

CASE(seq_gap, 4, 6, p_seq_gap, NULL, 0)
CASE(seq_gap_v6, 6, 6, p_seq_gap, NULL, 0)
CASE(id_jump, 4, 6, p_id_jump, NULL, 0)
CASE(id_jump_udp, 4, 17, p_id_jump, NULL, 0)
CASE(eth_padding, 4, 6, p_pad, NULL, 0)
CASE(eth_padding_v6_udp, 6, 17, p_pad, NULL, 0)
CASE(psh, 4, 6, p_psh, NULL, 0)
CASE(ip_csum_bad, 4, 6, NULL, q_ip_csum, 0)
CASE(l4_csum_bad, 4, 6, NULL, q_l4_csum, 0)
CASE(l4_csum_bad_v6_udp, 6, 17, NULL, q_l4_csum, 0)
CASE(truncated, 4, 6, NULL, q_truncate, 0)
CASE(truncated_v6, 6, 6, NULL, q_truncate, 0)
CASE(longer_segment, 4, 6, NULL, q_longer, 0)
CASE(no_payload, 4, 6, NULL, q_no_payload, 0)
CASE(udp_len_lies, 4, 17, NULL, q_udp_len, 0)
CASE(udp_zero_csum, 4, 17, NULL, q_udp_zero, 0)
CASE(hash_hint_lies, 4, 6, NULL, q_bad_hash, 0)
CASE(offset_hint_lies, 4, 6, NULL, q_bad_l4_hint, 0)
CASE(v6_plen_lies, 6, 6, NULL, q_v6_plen, 0)
CASE(size_limit, 4, 6, NULL, NULL, 3 * (MSS + 52) + 20)
CASE(size_limit_v6_udp, 6, 17, NULL, NULL, 3 * (MSS + 48) + 40)

/*
 * Many flows at once, so that some share a slot of the small tables' flow
 * cache (feed_cached() in engine.c) and the table fills: 20 flows, IPv4
 * and IPv6, TCP and UDP, 3 segments each interleaved; with lie = 1 every
 * flow's first frame carries a hash hint that is not its own, so that the
 * flow is held under a hash its later frames do not find.
 */
static int many_flows_once(uint32_t flows, bool hints, bool lie)
{
	static struct rec fast, slow;
	struct pg_flow f[20];
	int merged = 0;

	for (unsigned mode = 0; mode <= XGRO_CSUM_TRUST; mode++) {
		nf = 0;
		for (int i = 0; i < 20; i++) {
			pg_init(&f[i], i & 1 ? 6 : 4, i & 2 ? 17 : 6,
				(unsigned)i + 1);
			if (f[i].proto == 6) {
				f[i].optlen = 12;
				memcpy(f[i].opts,
				       "\x01\x01\x08\x0a\0\1\2\3\0\0\0\7", 12);
			}
		}
		for (int r = 0; r < 3; r++)
			for (int i = 0; i < 20; i++) {
				int k = add(&f[i], MSS);

				if (hints)
					hint(&pkts[k], &f[i], 7);
				if (lie && r == 0) {
					pkts[k].hash = 12345u + (uint32_t)i;
					pkts[k].flags |= XGRO_PKT_HASH;
				}
			}
		max_flows = flows;
		run(&fast, mode, false, 0);
		run(&slow, mode, true, 0);
		max_flows = 8;
		if (same(&fast, &slow)) {
			fprintf(stderr, "mode %u: %s differs\n", mode,
				same(&fast, &slow));
			return -1;
		}
		for (size_t i = 0; i < fast.n; i++)
			merged += fast.v[i].segs > 1;
	}
	return merged;
}

static void many_flows(void)
{
	for (int h = 0; h < 8; h++) {
		uint32_t flows = h & 4 ? 32 : 8;
		int m = many_flows_once(flows, h & 1, h & 2);

		CHECKF(m >= 0, "hints %d, lie %d, %u flows", h & 1, !!(h & 2),
		       flows);
		/* 32 flows hold all 20: most of them merge */
		if (flows == 32 && !(h & 2))
			CHECKF(m > 0, "nothing merged, %u flows", flows);
	}
}

/*
 * The steady path (feed_steady() in engine.c): the next full segment of
 * a TCP flow, taken on a template compare, the flow's full IP length and
 * a count of the room left. One flow of n frames, the one at `at` built
 * by pre() (and the flow put back after it, as in fast_vs_slow()), TCP
 * options of optlen bytes (headers of 54 to 94 bytes: the steady path
 * takes those up to 80), against the slow path in every mode, with and
 * without hints, in bursts of 3 and of 32, with 8 flows (the flow cache)
 * and 1024 (hash and bucket), at the limits of max_segs and max_size.
 * Returns the first output's segment count, or -1.
 */
static int steady_case(int family, int optlen, int n, int at,
		       void (*pre)(struct pg_flow *), uint32_t max_size,
		       bool hints)
{
	static struct rec fast, slow;
	struct pg_flow f, saved;
	int first = -1;

	for (unsigned mode = 0; mode <= XGRO_CSUM_TRUST; mode++) {
		nf = 0;
		pg_init(&f, family, 6, 1);
		f.optlen = optlen;
		for (int i = 0; i < optlen; i++)
			f.opts[i] = 1; /* NOPs */
		for (int i = 0; i < n; i++) {
			if (i != at) {
				add(&f, MSS);
				continue;
			}
			saved = f;
			pre(&f);
			add(&f, MSS);
			f = saved;
			f.seq += MSS;
			if (!fixed_id)
				f.ip_id++;
		}
		if (hints)
			for (int i = 0; i < nf; i++)
				hint(&pkts[i], &f, 7);
		/* the small tables' loop and the large tables' groups */
		for (unsigned k = 0; k < 4; k++) {
			burst = k & 1 ? 32 : 3;
			max_flows = k & 2 ? 1024 : 8;
			run(&fast, mode, false, max_size);
			run(&slow, mode, true, max_size);
			burst = 3;
			max_flows = 8;
			if (same(&fast, &slow)) {
				fprintf(stderr,
					"mode %u, bursts of %u, %s table: %s "
					"differs\n",
					mode, k & 1 ? 32 : 3,
					k & 2 ? "large" : "small",
					same(&fast, &slow));
				return -1;
			}
		}
		if (mode == 0)
			first = fast.n ? fast.v[0].segs : 0;
	}
	return first;
}

static void p_none(struct pg_flow *f)
{
	(void)f;
}
static void p_id_first(struct pg_flow *f)
{
	f->ip_id = 7919; /* pg_init(f, ..., 1): the first segment's ID */
}
static void p_id_next(struct pg_flow *f)
{
	f->ip_id++;
}
static void p_ttl(struct pg_flow *f)
{
	f->ttl--;
}

/* 60 segments merge: more chunks than one, more than the steady path
 * has room for at each max_segs and max_size */
static void steady_limits(void)
{
	static const uint32_t segs[] = { 0, 2, 3, 7, 8, 9, 16, 17, 63, 64 };
	static const uint32_t sizes[] = { 0, 5 * (MSS + 32) + 20,
					  8 * (MSS + 32) + 21, 9000 };

	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++)
			for (int h = 0; h < 4; h++) {
				max_segs = segs[i];
				CHECKF(steady_case(h & 2 ? 6 : 4, 12, 60, -1,
						   p_none, sizes[j], h & 1) > 1,
				       "max_segs %u, max_size %u, hints %d, "
				       "IPv%d",
				       segs[i], sizes[j], h & 1, h & 2 ? 6 : 4);
				max_segs = 0;
			}
}

/* options of 0 to 40 bytes: headers the steady compare covers (up to 80)
 * and ones it leaves to the fast path */
static void steady_options(void)
{
	for (int o = 0; o <= 40; o += 4)
		for (int h = 0; h < 4; h++)
			CHECKF(steady_case(h & 2 ? 6 : 4, o, 20, -1, p_none, 0,
					   h & 1) == 20,
			       "options %d, hints %d, IPv%d", o, h & 1,
			       h & 2 ? 6 : 4);
}

/* frames that match the template but must not merge, deep in a flow
 * (the steady path's), at each place from the second frame on */
static void steady_breaks(void)
{
	void (*const pre[])(struct pg_flow *) = { p_seq_gap,  p_id_jump,
						  p_id_first, p_psh,
						  p_ttl,      p_pad };

	for (size_t k = 0; k < sizeof(pre) / sizeof(pre[0]); k++)
		for (int at = 1; at < 12; at++)
			for (int h = 0; h < 2; h++)
				CHECKF(steady_case(4, 12, 14, at, pre[k], 0,
						   h) >= 1,
				       "case %zu at frame %d, hints %d", k, at,
				       h);
	for (int at = 1; at < 12; at++)
		CHECKF(steady_case(6, 12, 14, at, p_seq_gap, 0, 0) >= 1,
		       "IPv6 seq gap at %d", at);
}

/* a fixed-ID flow (the second segment decides, ID_FIXED), and one that
 * then counts up after all, which must not merge */
static void steady_fixed_id(void)
{
	fixed_id = true;
	for (int h = 0; h < 2; h++) {
		CHECKF(steady_case(4, 12, 30, -1, p_none, 0, h) == 30,
		       "hints %d", h);
		for (int at = 2; at < 12; at++)
			CHECKF(steady_case(4, 12, 14, at, p_id_next, 0, h) ==
				       at,
			       "ID counts up at %d, hints %d", at, h);
	}
	fixed_id = false;
}

static const struct check_test tests[] = {
	{ "base_merges", base_merges },
	{ "seq_gap", seq_gap },
	{ "seq_gap_v6", seq_gap_v6 },
	{ "id_jump", id_jump },
	{ "id_jump_udp", id_jump_udp },
	{ "eth_padding", eth_padding },
	{ "eth_padding_v6_udp", eth_padding_v6_udp },
	{ "psh", psh },
	{ "ip_csum_bad", ip_csum_bad },
	{ "l4_csum_bad", l4_csum_bad },
	{ "l4_csum_bad_v6_udp", l4_csum_bad_v6_udp },
	{ "truncated", truncated },
	{ "truncated_v6", truncated_v6 },
	{ "longer_segment", longer_segment },
	{ "no_payload", no_payload },
	{ "udp_len_lies", udp_len_lies },
	{ "udp_zero_csum", udp_zero_csum },
	{ "hash_hint_lies", hash_hint_lies },
	{ "offset_hint_lies", offset_hint_lies },
	{ "v6_plen_lies", v6_plen_lies },
	{ "size_limit", size_limit },
	{ "size_limit_v6_udp", size_limit_v6_udp },
	{ "many_flows", many_flows },
	{ "steady_limits", steady_limits },
	{ "steady_options", steady_options },
	{ "steady_breaks", steady_breaks },
	{ "steady_fixed_id", steady_fixed_id },
};

CHECK_MAIN("fast", tests)
