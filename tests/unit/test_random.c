// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Randomised traffic against a reference model. The generator knows what
 * it wrote into every frame; the model applies the merge rules of
 * docs/design.md to that knowledge with plain lists (no hashing, no frame
 * parsing), and the engine's outputs must match it output for output.
 * Independently of the model, every run checks: each input frame leaves
 * exactly once, per-flow order is kept, no output breaks a limit, every
 * output's lengths and checksums are right, and cutting each super-packet
 * back into frames gives the input frames byte for byte.
 */
#include <errno.h>

#include "check.h"
#include "internal.h"
#include "pktgen.h"
#include "record.h"

#define MAXP 6000
#define MAXFLOWS 96
#define FRAME 2048

enum cls { C_CAND, C_UNMERGE, C_NOTFLOW, C_MALFORMED };

struct meta {
	int flow; /* generator flow, -1 for none */
	int cls;
	bool csum_ok;
	bool v6, tcp;
	uint8_t tos, ttl, flags;
	bool df;
	uint16_t id;
	uint32_t fl, seq, ack, window, opt;
	uint32_t paylen, l3len;
	uint8_t ext, ext_fill; /* IPv6 extension header, PG_EXT_* */
};

struct gflow {
	struct pg_flow pg;
	unsigned sid;
	uint64_t off;
	uint32_t mss;
	int idmode;   /* 0 inc, 1 fixed (DF), 2 random */
	uint32_t opt; /* TSval we put in the options */
};

static uint8_t (*frames)[FRAME];
static struct xgro_pkt pkts[MAXP];
static struct meta meta[MAXP];
static int np;
static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static bool chance(unsigned per_mille)
{
	return rnd() % 1000 < per_mille;
}

static void put_frame(struct gflow *g, int fi, uint32_t plen, bool advance)
{
	uint8_t pay[FRAME];
	struct meta *m = &meta[np];
	size_t len;

	pg_fill(g->sid, g->off, pay, plen);
	g->pg.opts[4] = (uint8_t)(g->opt >> 24);
	g->pg.opts[5] = (uint8_t)(g->opt >> 16);
	g->pg.opts[6] = (uint8_t)(g->opt >> 8);
	g->pg.opts[7] = (uint8_t)g->opt;
	len = pg_build(&g->pg, pay, plen, frames[np], FRAME);
	if (!len)
		abort();
	pkts[np] = (struct xgro_pkt){ .data = frames[np],
				      .len = (uint32_t)len,
				      .handle = (uint64_t)np };
	memset(m, 0, sizeof(*m));
	m->flow = fi;
	m->csum_ok = true;
	m->v6 = g->pg.family == 6;
	m->tcp = g->pg.proto == 6;
	m->tos = g->pg.tos;
	m->ttl = g->pg.ttl;
	m->df = g->pg.df;
	m->id = g->pg.ip_id;
	m->fl = g->pg.flowlabel;
	m->flags = m->tcp ? g->pg.flags : 0;
	m->seq = g->pg.seq;
	m->ack = g->pg.ack;
	m->window = g->pg.window;
	m->opt = g->pg.optlen ? g->opt : 0;
	m->paylen = plen;
	m->ext = m->v6 ? g->pg.v6_ext : 0;
	m->ext_fill = g->pg.v6_ext_fill;
	m->l3len = (uint32_t)(pg_l4_off(&g->pg) - pg_l3_off(&g->pg)) +
		   (m->tcp ? 20 + (uint32_t)g->pg.optlen : 8) + plen;
	if (m->tcp)
		m->cls = (!plen || !(m->flags & 0x10) || (m->flags & 0xa7))
				 ? C_UNMERGE
				 : C_CAND;
	else
		m->cls = plen ? C_CAND : C_UNMERGE;
	if (m->ext == PG_EXT_FRAGMENT) /* Linux has no GRO for it */
		m->cls = C_UNMERGE;
	if (advance) {
		g->off += plen;
		g->pg.seq += plen;
	}
	if (g->idmode == 0)
		g->pg.ip_id++;
	else if (g->idmode == 2)
		g->pg.ip_id = (uint16_t)rnd();
	np++;
}

static void gen_init_flow(struct gflow *g, unsigned i)
{
	int fam = chance(400) ? 6 : 4, proto = chance(250) ? 17 : 6;

	memset(g, 0, sizeof(*g));
	pg_init(&g->pg, fam, proto, i);
	g->sid = i;
	if (chance(150)) {
		g->pg.nvlan = 1 + (int)(rnd() % 2);
		g->pg.vlan_tpid[0] = g->pg.nvlan == 2 ? 0x88a8 : 0x8100;
		g->pg.vlan_tpid[1] = 0x8100;
		g->pg.vlan_tci[0] = (uint16_t)(rnd() % 4096);
		g->pg.vlan_tci[1] = (uint16_t)(rnd() % 4096);
	}
	if (proto == 6 && chance(700))
		g->pg.optlen = 12; /* NOP NOP TS */
	g->pg.opts[0] = 1;
	g->pg.opts[1] = 1;
	g->pg.opts[2] = 8;
	g->pg.opts[3] = 10;
	g->opt = rnd();
	switch (rnd() % 6) {
	case 0:
		g->mss = 1 + rnd() % 1460;
		break;
	case 1:
		g->mss = 1 + rnd() % 64;
		break;
	default:
		g->mss = 1448 - (rnd() % 2);
		break;
	}
	g->idmode = chance(200) ? 1 : chance(100) ? 2 : 0;
	if (g->idmode == 1 && chance(500))
		g->pg.df = false; /* fixed without DF: merges as of 6.18 */
	if (fam == 6 && chance(200))
		g->pg.v6_ext = (uint8_t)(PG_EXT_DSTOPTS + rnd() % 4);
}

/* One random trace. corrupt: flip payload bits now and then. */
static void generate(unsigned nflows, int n, bool corrupt)
{
	static struct gflow g[MAXFLOWS];

	np = 0;
	for (unsigned i = 0; i < nflows; i++)
		gen_init_flow(&g[i], i);
	while (np < n) {
		unsigned fi = rnd() % nflows;
		struct gflow *f = &g[fi];
		unsigned r = rnd() % 1000;
		uint32_t plen = f->mss;

		f->pg.flags = 0x10;
		f->pg.pad = chance(20) ? (int)(rnd() % 40) : 0;
		if (r < 40 && plen > 1) {
			plen = 1 + rnd() % (f->mss - 1); /* short */
		} else if (r < 60) {
			f->pg.flags |= 0x08; /* PSH */
		} else if (r < 75) {
			plen = 0; /* pure ACK / empty datagram */
		} else if (r < 85) {
			static const uint8_t fl[] = { 0x02, 0x01, 0x04, 0x20,
						      0x80, 0x00, 0x40 };
			uint8_t x = fl[rnd() % 7];

			/* one odd flag, or none at all (no ACK) */
			f->pg.flags = x ? (uint8_t)(f->pg.flags | x) : 0;
		} else if (r < 100) {
			f->opt++; /* timestamp tick */
		} else if (r < 110) {
			f->pg.ack += rnd() % 3000;
		} else if (r < 115) {
			f->pg.window++;
		} else if (r < 120) {
			f->pg.tos ^= 4;
		} else if (r < 125) {
			f->pg.ttl--;
		} else if (r < 128 && f->pg.v6_ext) {
			f->pg.v6_ext_fill++; /* extension header bytes change */
		} else if (r < 140) { /* loss: the stream moves on unseen */
			f->off += plen;
			f->pg.seq += plen;
			continue;
		} else if (r < 150 && np > 0) { /* duplicate */
			memcpy(frames[np], frames[np - 1], pkts[np - 1].len);
			pkts[np] = pkts[np - 1];
			pkts[np].data = frames[np];
			pkts[np].handle = (uint64_t)np;
			meta[np] = meta[np - 1];
			np++;
			continue;
		} else if (r < 160 && np > 1) { /* reorder the last two */
			uint8_t tmp[FRAME];
			struct xgro_pkt tp = pkts[np - 1];
			struct meta tm = meta[np - 1];

			memcpy(tmp, frames[np - 1], FRAME);
			memcpy(frames[np - 1], frames[np - 2], FRAME);
			memcpy(frames[np - 2], tmp, FRAME);
			pkts[np - 1] = pkts[np - 2];
			pkts[np - 2] = tp;
			meta[np - 1] = meta[np - 2];
			meta[np - 2] = tm;
			pkts[np - 1].data = frames[np - 1];
			pkts[np - 2].data = frames[np - 2];
			pkts[np - 1].handle = (uint64_t)(np - 1);
			pkts[np - 2].handle = (uint64_t)(np - 2);
			continue;
		} else if (r < 165) { /* something that is no flow: ARP */
			memset(frames[np], 0xab, 60);
			frames[np][12] = 0x08;
			frames[np][13] = 0x06;
			pkts[np] = (struct xgro_pkt){ .data = frames[np],
						      .len = 60,
						      .handle = (uint64_t)np };
			meta[np] =
				(struct meta){ .flow = -1, .cls = C_NOTFLOW };
			np++;
			continue;
		}
		put_frame(f, (int)fi, plen, true);
		if (f->pg.pad && !meta[np - 1].paylen)
			f->pg.pad = 0;
		if (chance(10)) { /* truncated: the IP length lies */
			uint32_t l = pkts[np - 1].len - (uint32_t)f->pg.pad;

			pkts[np - 1].len = l > 15 ? 1 + rnd() % (l - 1) : 5;
			meta[np - 1].cls = C_MALFORMED;
			meta[np - 1].flow = -1;
		} else if (corrupt && meta[np - 1].paylen && chance(15)) {
			uint32_t at = pkts[np - 1].len - (uint32_t)f->pg.pad -
				      1 - rnd() % meta[np - 1].paylen;

			frames[np - 1][at] ^= (uint8_t)(1 + rnd() % 255);
			meta[np - 1].csum_ok = false;
		}
	}
}

/* ---- the model ---- */

struct mflow {
	int flow;
	int seg[XGRO_MAX_SEGS];
	int nsegs;
	uint32_t gso, l3len, next_seq;
	int idmode; /* -1 unknown, 0 inc, 1 fixed */
	uint64_t start;
};

struct mout {
	int handles[XGRO_MAX_SEGS];
	int n;
	bool alone;
};

static struct mflow mf[MAXP];
static int nmf; /* held flows, oldest first */
static struct mout mo[MAXP];
static int nmo;
static int m_held_frames;

static void m_emit_flow(int i)
{
	struct mout *o = &mo[nmo++];

	o->n = mf[i].nsegs;
	o->alone = false;
	memcpy(o->handles, mf[i].seg, sizeof(int) * (size_t)mf[i].nsegs);
	m_held_frames -= mf[i].nsegs;
	memmove(&mf[i], &mf[i + 1], sizeof(mf[0]) * (size_t)(nmf - i - 1));
	nmf--;
}

static void m_alone(int p)
{
	mo[nmo].n = 1;
	mo[nmo].handles[0] = p;
	mo[nmo].alone = true;
	nmo++;
}

static int m_find(int flow)
{
	for (int i = 0; i < nmf; i++)
		if (mf[i].flow == flow)
			return i;
	return -1;
}

static bool m_fits(const struct mflow *h, const struct meta *p,
		   const struct xgro_engine_config *c, bool *size)
{
	const struct meta *q = &meta[h->seg[0]];
	uint16_t first_id = q->id;

	*size = false;
	if (p->paylen > h->gso || p->tos != q->tos || p->ttl != q->ttl)
		return false;
	if (!p->v6) {
		uint16_t want = (uint16_t)(meta[h->seg[h->nsegs - 1]].id + 1);

		if (p->df != q->df)
			return false;
		if (h->idmode == 0 && p->id != want)
			return false;
		if (h->idmode == 1 && p->id != first_id)
			return false;
		if (h->idmode < 0 && p->id != want && p->id != first_id)
			return false;
	} else if (p->fl != q->fl || p->ext != q->ext ||
		   p->ext_fill != q->ext_fill) {
		return false;
	}
	if (p->tcp && (p->ack != q->ack || p->window != q->window ||
		       (p->flags & ~0x08) != (q->flags & ~0x08) ||
		       p->opt != q->opt || p->seq != h->next_seq))
		return false;
	if (h->l3len + p->paylen > c->max_size) {
		*size = true;
		return false;
	}
	return true;
}

static void m_check_full(int i, const struct xgro_engine_config *c,
			 uint32_t plen)
{
	struct mflow *h = &mf[i];
	const struct meta *last = &meta[h->seg[h->nsegs - 1]];

	/* size: held while a shorter last segment could still fit */
	if ((last->flags & 0x08) || plen < h->gso ||
	    h->nsegs >= (int)c->max_segs || h->l3len >= c->max_size)
		m_emit_flow(i);
}

static void m_start(int p, const struct xgro_engine_config *c, uint64_t now)
{
	struct mflow *h;

	if (nmf >= (int)c->max_flows)
		m_emit_flow(0);
	if (m_held_frames >= (int)c->max_frames)
		m_emit_flow(0);
	h = &mf[nmf++];
	h->flow = meta[p].flow;
	h->seg[0] = p;
	h->nsegs = 1;
	h->gso = meta[p].paylen;
	h->l3len = meta[p].l3len;
	h->next_seq = meta[p].seq + meta[p].paylen;
	h->idmode = -1;
	h->start = now;
	m_held_frames++;
	m_check_full(nmf - 1, c, h->gso);
}

static void m_feed(int p, const struct xgro_engine_config *c, uint64_t now)
{
	const struct meta *m = &meta[p];
	bool verify = c->csum_mode == XGRO_CSUM_VERIFY ||
		      (c->csum_mode == XGRO_CSUM_FOLD && !m->tcp);
	int i;
	bool size;

	if (m->cls == C_NOTFLOW || m->cls == C_MALFORMED) {
		m_alone(p);
		return;
	}
	i = m_find(m->flow);
	if (m->cls == C_UNMERGE || (verify && !m->csum_ok) ||
	    (!m->tcp && (c->no_udp_gso || !(c->protos & XGRO_PROTO_UDP))) ||
	    (m->tcp && !(c->protos & XGRO_PROTO_TCP))) {
		if (i >= 0)
			m_emit_flow(i);
		m_alone(p);
		return;
	}
	if (i >= 0 && m_fits(&mf[i], m, c, &size)) {
		if (m_held_frames >= (int)c->max_frames) {
			m_emit_flow(0);
			i = m_find(m->flow);
		}
		if (i >= 0) {
			struct mflow *h = &mf[i];

			if (!m->v6 && h->idmode < 0)
				h->idmode =
					m->id == (uint16_t)(meta[h->seg[0]].id +
							    1)
						? 0
						: 1;
			h->seg[h->nsegs++] = p;
			h->l3len += m->paylen;
			h->next_seq += m->paylen;
			m_held_frames++;
			m_check_full(i, c, m->paylen);
			return;
		}
	} else if (i >= 0) {
		m_emit_flow(i);
	}
	m_start(p, c, now);
}

/* ---- the engine side ---- */

static struct rec R;

static bool ld_tpid(const uint8_t *p)
{
	return (p[0] == 0x81 && p[1] == 0x00) || (p[0] == 0x88 && p[1] == 0xa8);
}

struct segcheck {
	const struct rec_out *o;
	uint32_t k; /* next frame's index among the output's handles */
};

/* Frame k of a cut super-packet must be input frame handles[k], less its
 * Ethernet padding. */
static int seg_frame(void *user, const uint8_t *f, size_t len)
{
	struct segcheck *sc = user;
	const uint8_t *d;
	uint32_t l3 = 14, l3len;
	int p;

	if (sc->k >= sc->o->nhandles)
		return -E2BIG;
	p = (int)sc->o->handles[sc->k++];
	d = pkts[p].data;
	while (ld_tpid(d + l3 - 2))
		l3 += 4;
	l3len = (d[l3] >> 4) == 4
			? (uint32_t)(d[l3 + 2] << 8 | d[l3 + 3])
			: 40u + (uint32_t)(d[l3 + 4] << 8 | d[l3 + 5]);
	if (len != l3 + l3len || memcmp(f, d, len))
		return -EBADMSG;
	return 0;
}

static void dump(int at)
{
	int fl = meta[at].flow;

	for (int p = at - 20; p < at + 20 && p < np; p++) {
		const struct meta *m = &meta[p];

		if (p < 0 || (m->flow != fl && p != at))
			continue;
		fprintf(stderr,
			"%5d flow %d cls %d ok %d v6 %d tcp %d tos %u ttl %u "
			"df %d id %u "
			"flags %02x seq %u ack %u win %u opt %u pay %u l3 %u\n",
			p, m->flow, m->cls, m->csum_ok, m->v6, m->tcp, m->tos,
			m->ttl, m->df, m->id, m->flags, m->seq, m->ack,
			m->window, m->opt, m->paylen, m->l3len);
	}
}

struct run_cfg {
	unsigned flows;
	int npkts;
	bool corrupt;
	bool slow; /* every frame on the slow path (no template compare) */
	struct xgro_engine_config c;
};

static void run_one(const struct run_cfg *rc, uint64_t seed)
{
	struct xgro_engine_config c = rc->c;
	struct xgro_ctx *ctx;
	static bool seen[MAXP];
	static uint8_t segbuf[70000];
	uint64_t now = 0;
	int last_of_flow[MAXFLOWS];

	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	generate(rc->flows, rc->npkts, rc->corrupt);
	rec_reset(&R);
	CHECK(xgro_ctx_create(&c, rec_emit, &R, &ctx) == 0);
	xgro_fast_path_off = rc->slow;
	c = rc->c; /* the model needs the defaults filled in too */
	if (!c.max_flows)
		c.max_flows = 1024;
	if (!c.max_frames)
		c.max_frames = 16 * c.max_flows;
	if (!c.max_size)
		c.max_size = 65535;
	if (!c.max_segs)
		c.max_segs = XGRO_MAX_SEGS;
	if (!c.protos)
		c.protos = XGRO_PROTO_TCP | XGRO_PROTO_UDP;
	nmf = nmo = m_held_frames = 0;

	for (int i = 0; i < np;) {
		int b = 1 + (int)(rnd() % 64);

		if (b > np - i)
			b = np - i;
		xgro_feed(ctx, pkts + i, (unsigned)b, now);
		for (int k = i; k < i + b; k++)
			m_feed(k, &c, now);
		i += b;
		now += rnd() % 20000;
		if (chance(300)) {
			xgro_flush_expired(ctx, now);
			while (nmf && now - mf[0].start >= c.flush_ns)
				m_emit_flow(0);
		} else if (chance(20)) {
			xgro_flush_all(ctx);
			while (nmf)
				m_emit_flow(0);
		}
	}
	xgro_flush_all(ctx);
	while (nmf)
		m_emit_flow(0);
	CHECK(xgro_held_frames(ctx) == 0 && xgro_held_flows(ctx) == 0);

	/* the model, output for output */
	for (size_t i = 0; i < R.n && i < (size_t)nmo; i++) {
		const struct rec_out *o = &R.v[i];
		bool same = o->nhandles == (uint32_t)mo[i].n &&
			    (o->kind == XGRO_OUT_ALONE) == mo[i].alone;

		for (int k = 0; same && k < mo[i].n; k++)
			same = o->handles[k] == (uint64_t)mo[i].handles[k];
		if (!same && getenv("RANDOM_DEBUG"))
			dump((int)o->handles[0]);
		CHECKF(same,
		       "seed %llu: output %zu differs: engine %u frames from "
		       "%llu "
		       "(%s %s), model %d from %d",
		       (unsigned long long)seed, i, o->nhandles,
		       (unsigned long long)o->handles[0],
		       o->kind == XGRO_OUT_ALONE ? "alone" : "merged",
		       o->kind == XGRO_OUT_ALONE
			       ? xgro_alone_reason_name(o->reason)
			       : xgro_flush_reason_name(o->reason),
		       mo[i].n, mo[i].handles[0]);
	}
	CHECKF(R.n == (size_t)nmo, "seed %llu: engine %zu outputs, model %d",
	       (unsigned long long)seed, R.n, nmo);

	/* properties that hold whatever the model says */
	memset(seen, 0, sizeof(seen));
	for (int f = 0; f < MAXFLOWS; f++)
		last_of_flow[f] = -1;
	for (size_t i = 0; i < R.n; i++) {
		const struct rec_out *o = &R.v[i];
		struct xgro_out out;
		struct iovec iov[3];
		bool all_ok = true;
		int h = (int)o->handles[0];

		CHECK(o->segs == o->nhandles && o->segs <= c.max_segs);
		for (uint32_t k = 0; k < o->nhandles; k++) {
			int p = (int)o->handles[k];

			CHECK(p >= 0 && p < np && !seen[p]);
			seen[p] = true;
			all_ok &= meta[p].csum_ok;
			if (meta[p].flow >= 0) {
				CHECKF(p > last_of_flow[meta[p].flow],
				       "flow %d reordered", meta[p].flow);
				last_of_flow[meta[p].flow] = p;
			}
		}
		if (o->kind == XGRO_OUT_ALONE) {
			CHECK(o->len == pkts[h].len &&
			      !memcmp(o->bytes, pkts[h].data, o->len));
			continue;
		}
		CHECK(o->len - o->l3_off <=
			      c.max_size + (meta[h].v6 ? 40u : 0u) ||
		      o->segs == 1);
		if (o->segs > 1) {
			bool fold =
				c.csum_mode == XGRO_CSUM_FOLD && meta[h].tcp;

			CHECKF(rec_csum_ok(o) == (all_ok || !fold),
			       "seed %llu output %zu checksum",
			       (unsigned long long)seed, i);
		}
		if (!all_ok)
			continue;
		rec_as_out(o, &out, iov);
		{
			struct segcheck sc = { o, 0 };
			int r = xgro_segment(&out, segbuf, sizeof(segbuf),
					     seg_frame, &sc);

			CHECKF(r == (int)o->nhandles && sc.k == o->nhandles,
			       "seed %llu output %zu: segment() gave %d for %u",
			       (unsigned long long)seed, i, r, o->nhandles);
		}
	}
	for (int p = 0; p < np; p++)
		CHECKF(seen[p], "frame %d never came out", p);
	{
		const struct xgro_engine_stats *st = xgro_stats(ctx);
		uint64_t singles = st->packets_out - st->superpackets_out;

		CHECK(st->packets_in == (uint64_t)np && st->packets_out == R.n);
		CHECK(st->segments_merged + singles == st->packets_in);
		CHECKF(st->superpackets_out > 0 || c.max_frames < 4 ||
			       c.max_segs < 2,
		       "seed %llu: nothing merged", (unsigned long long)seed);
	}
	xgro_ctx_destroy(ctx);
	xgro_fast_path_off = false;
}

#define SEEDS 12

static void many(struct run_cfg rc)
{
	for (uint64_t seed = 1; seed <= SEEDS && !check_failed; seed++)
		run_one(&rc, seed);
}

static void random_verify(void)
{
	many((struct run_cfg){ .flows = 24, .npkts = 5000, .corrupt = true });
}

static void random_trust(void)
{
	many((struct run_cfg){ .flows = 24,
			       .npkts = 5000,
			       .corrupt = true,
			       .c.csum_mode = XGRO_CSUM_TRUST });
}

static void random_fold(void)
{
	many((struct run_cfg){ .flows = 24,
			       .npkts = 5000,
			       .corrupt = true,
			       .c.csum_mode = XGRO_CSUM_FOLD });
}

static void random_few_flows_long_runs(void)
{
	many((struct run_cfg){ .flows = 2, .npkts = 5000 });
}

static void random_tiny_table(void)
{
	many((struct run_cfg){ .flows = 40,
			       .npkts = 5000,
			       .c.max_flows = 4,
			       .c.max_frames = 16 });
}

static void random_tiny_budget_and_limits(void)
{
	many((struct run_cfg){ .flows = 12,
			       .npkts = 5000,
			       .corrupt = true,
			       .c.max_frames = 3,
			       .c.max_segs = 5,
			       .c.max_size = 6000,
			       .c.flush_ns = 30000 });
}

static void random_many_flows(void)
{
	many((struct run_cfg){
		.flows = MAXFLOWS, .npkts = MAXP, .c.flush_ns = 100000 });
}

static void random_tcp_only(void)
{
	many((struct run_cfg){ .flows = 16,
			       .npkts = 4000,
			       .c.protos = XGRO_PROTO_TCP,
			       .c.no_udp_gso = 1 });
}

/* the model holds for the slow path alone too: the fast one changes no
 * outcome, only the cost */
static void random_slow_path(void)
{
	many((struct run_cfg){
		.flows = 24, .npkts = 5000, .corrupt = true, .slow = true });
	many((struct run_cfg){ .flows = 24,
			       .npkts = 5000,
			       .corrupt = true,
			       .slow = true,
			       .c.csum_mode = XGRO_CSUM_FOLD });
}

static const struct check_test tests[] = {
	{ "random_verify", random_verify },
	{ "random_trust", random_trust },
	{ "random_fold", random_fold },
	{ "random_few_flows_long_runs", random_few_flows_long_runs },
	{ "random_tiny_table", random_tiny_table },
	{ "random_tiny_budget_and_limits", random_tiny_budget_and_limits },
	{ "random_many_flows", random_many_flows },
	{ "random_tcp_only", random_tcp_only },
	{ "random_slow_path", random_slow_path },
};

int main(int argc, char **argv)
{
	frames = calloc(MAXP, FRAME);
	if (!frames)
		return 1;
	return check_run("random", tests, sizeof(tests) / sizeof(tests[0]),
			 argc, argv);
}
