// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The merge engine: flow table, merge rules, flush triggers, outputs.
 *
 * Memory is one block carved at create time:
 *   ctx | flows[max_flows] | buckets[2^k >= 2 * max_flows] | segs[max_frames]
 * A held flow owns a slot in flows[] (its first header is copied there and
 * rewritten in place at flush) and a linked list of segment records taken
 * from segs[], which is the held-frame budget. Lookup is linear probing on
 * the seeded flow hash with backward-shift deletion (no tombstones, so
 * probe lengths stay short under churn). Held flows also sit on a list in
 * the order they started: the head is the oldest, which makes age expiry,
 * eviction and budget flushes O(1) each.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>

#include "internal.h"
#include "parse.h"

#define NIL UINT32_MAX

enum id_mode { ID_UNKNOWN, ID_INC, ID_FIXED };

struct seg {
	uint64_t handle;
	const uint8_t *pay;
	uint32_t len;
	uint32_t next;
};

struct flow {
	uint32_t hash;
	uint32_t prev; /* age list */
	uint32_t next; /* age list, or free list */
	uint32_t seg_head;
	uint32_t seg_tail;
	uint32_t l3_len; /* merged IP length so far */
	uint32_t pay_total;
	uint32_t next_seq;
	uint32_t fold_sum; /* fold mode: payload sums, offsets applied */
	uint16_t nsegs;
	uint16_t gso_size;
	uint16_t first_id;
	uint16_t next_id;
	uint8_t id_mode;
	uint8_t hdr_len;
	uint8_t l3_off;
	uint8_t l4_off;
	uint8_t psh;
	uint8_t ipv6;
	uint8_t pad[2];
	uint64_t start_ns;
	struct xgro_flow_key key;
	uint8_t hdr[XGRO_MAX_HDR];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct flow) == 256, "flow slot size");
/* flush_flow() counts reasons by indexing from flush_psh */
_Static_assert(offsetof(struct xgro_engine_stats, flush_explicit) ==
		       offsetof(struct xgro_engine_stats, flush_psh) +
			       8 * XGRO_FLUSH_EXPLICIT,
	       "flush counters follow enum xgro_flush_reason");

struct bucket {
	uint32_t hash;
	uint32_t idx1; /* flow index + 1; 0: empty */
};

struct xgro_ctx {
	struct xgro_engine_config cfg;
	xgro_emit_fn emit;
	void *user;
	struct flow *flows;
	struct bucket *buckets;
	struct seg *segs;
	uint32_t mask;
	uint32_t flows_used; /* bump allocator, then the free list */
	uint32_t flow_free;
	uint32_t segs_used;
	uint32_t seg_free;
	uint32_t held_frames;
	uint32_t held_flows;
	uint32_t age_head;
	uint32_t age_tail;
	bool heap;
	struct xgro_engine_stats st;
	struct xgro_out out;
	struct iovec iov[2 + XGRO_MAX_SEGS];
	uint64_t handles[XGRO_MAX_SEGS];
	uint8_t scratch[ETH_HLEN_];
};

struct layout {
	size_t flows, buckets, segs, total;
	uint32_t nbuckets;
};

static size_t align64(size_t x)
{
	return (x + 63) & ~(size_t)63;
}

static void get_layout(const struct xgro_engine_config *c, struct layout *l)
{
	uint32_t nb = 16;

	while (nb < 2 * c->max_flows)
		nb <<= 1;
	l->nbuckets = nb;
	l->flows = align64(sizeof(struct xgro_ctx));
	l->buckets = l->flows + (size_t)c->max_flows * sizeof(struct flow);
	l->segs = align64(l->buckets + (size_t)nb * sizeof(struct bucket));
	l->total = align64(l->segs + (size_t)c->max_frames * sizeof(struct seg));
}

static int check_config(const struct xgro_engine_config *in,
			struct xgro_engine_config *c)
{
	*c = *in;
	if (!c->max_flows)
		c->max_flows = 1024;
	if (!c->max_frames)
		c->max_frames = 16 * c->max_flows;
	if (!c->max_size)
		c->max_size = XGRO_MAX_L3_LEN;
	if (!c->max_segs)
		c->max_segs = XGRO_MAX_SEGS;
	if (!c->protos)
		c->protos = XGRO_PROTO_TCP | XGRO_PROTO_UDP;
	if (c->max_flows > (1u << 20) || c->max_frames > (1u << 24) ||
	    c->max_size > XGRO_MAX_L3_LEN || c->max_segs > XGRO_MAX_SEGS ||
	    c->csum_mode > XGRO_CSUM_TRUST ||
	    (c->protos & ~(XGRO_PROTO_TCP | XGRO_PROTO_UDP)))
		return -EINVAL;
	return 0;
}

size_t xgro_ctx_mem_size(const struct xgro_engine_config *cfg)
{
	struct xgro_engine_config c;
	struct layout l;

	if (check_config(cfg, &c))
		return 0;
	get_layout(&c, &l);
	return l.total;
}

static struct xgro_ctx *ctx_init(void *mem, const struct xgro_engine_config *c,
				 const struct layout *l, xgro_emit_fn emit,
				 void *user)
{
	struct xgro_ctx *ctx = mem;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = *c;
	ctx->emit = emit;
	ctx->user = user;
	ctx->flows = (struct flow *)((uint8_t *)mem + l->flows);
	ctx->buckets = (struct bucket *)((uint8_t *)mem + l->buckets);
	ctx->segs = (struct seg *)((uint8_t *)mem + l->segs);
	ctx->mask = l->nbuckets - 1;
	ctx->flow_free = NIL;
	ctx->seg_free = NIL;
	ctx->age_head = NIL;
	ctx->age_tail = NIL;
	memset(ctx->buckets, 0, (size_t)l->nbuckets * sizeof(struct bucket));
	ctx->out.iov = ctx->iov;
	ctx->out.handles = ctx->handles;
	ctx->iov[0].iov_base = &ctx->out.vnet;
	ctx->iov[0].iov_len = sizeof(ctx->out.vnet);
	return ctx;
}

int xgro_ctx_create(const struct xgro_engine_config *cfg, xgro_emit_fn emit,
		    void *user, struct xgro_ctx **ctxp)
{
	struct xgro_engine_config c;
	struct layout l;
	void *mem;
	int err;

	if (!cfg || !emit || !ctxp)
		return -EINVAL;
	err = check_config(cfg, &c);
	if (err)
		return err;
	get_layout(&c, &l);
	mem = aligned_alloc(64, l.total);
	if (!mem)
		return -ENOMEM;
	*ctxp = ctx_init(mem, &c, &l, emit, user);
	(*ctxp)->heap = true;
	return 0;
}

void xgro_ctx_destroy(struct xgro_ctx *ctx)
{
	if (ctx && ctx->heap)
		free(ctx);
}

const struct xgro_engine_stats *xgro_stats(const struct xgro_ctx *ctx)
{
	return &ctx->st;
}

unsigned xgro_held_frames(const struct xgro_ctx *ctx)
{
	return ctx->held_frames;
}

unsigned xgro_held_flows(const struct xgro_ctx *ctx)
{
	return ctx->held_flows;
}

/* ---- flow table ---- */

static bool key_eq(const struct xgro_flow_key *a, const struct xgro_flow_key *b)
{
	uint64_t x[6], y[6];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) |
		 (x[3] ^ y[3]) | (x[4] ^ y[4]) | (x[5] ^ y[5]));
}

static struct flow *lookup(struct xgro_ctx *ctx, uint32_t hash,
			   const struct xgro_flow_key *key)
{
	for (uint32_t i = hash & ctx->mask;; i = (i + 1) & ctx->mask) {
		const struct bucket *b = &ctx->buckets[i];

		if (!b->idx1)
			return NULL;
		if (b->hash == hash && key_eq(&ctx->flows[b->idx1 - 1].key, key))
			return &ctx->flows[b->idx1 - 1];
	}
}

static void bucket_insert(struct xgro_ctx *ctx, uint32_t hash, uint32_t idx)
{
	uint32_t i = hash & ctx->mask;

	while (ctx->buckets[i].idx1)
		i = (i + 1) & ctx->mask;
	ctx->buckets[i].hash = hash;
	ctx->buckets[i].idx1 = idx + 1;
}

static void bucket_delete(struct xgro_ctx *ctx, uint32_t hash, uint32_t idx)
{
	struct bucket *b = ctx->buckets;
	uint32_t mask = ctx->mask, i = hash & mask, j;

	while (b[i].idx1 != idx + 1)
		i = (i + 1) & mask;
	/* shift back every later entry whose home slot is not in (i, j] */
	for (j = i;;) {
		uint32_t k;
		bool stays;

		j = (j + 1) & mask;
		if (!b[j].idx1)
			break;
		k = b[j].hash & mask;
		stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!stays) {
			b[i] = b[j];
			i = j;
		}
	}
	b[i].idx1 = 0;
}

static uint32_t flow_index(const struct xgro_ctx *ctx, const struct flow *f)
{
	return (uint32_t)(f - ctx->flows);
}

static bool seg_available(const struct xgro_ctx *ctx)
{
	return ctx->seg_free != NIL || ctx->segs_used < ctx->cfg.max_frames;
}

static uint32_t seg_alloc(struct xgro_ctx *ctx)
{
	uint32_t s = ctx->seg_free;

	if (s != NIL)
		ctx->seg_free = ctx->segs[s].next;
	else
		s = ctx->segs_used++;
	ctx->held_frames++;
	return s;
}

/* ---- outputs ---- */

static void count_out(struct xgro_ctx *ctx, const struct xgro_out *o)
{
	ctx->st.packets_out++;
	ctx->st.bytes_out += o->len;
	if (o->segs > 1) {
		ctx->st.superpackets_out++;
		ctx->st.segments_merged += o->segs;
	}
}

static void emit_alone(struct xgro_ctx *ctx, const struct xgro_pkt *pkt,
		       const struct pinfo *pi, unsigned reason)
{
	struct xgro_out *o = &ctx->out;

	memset(&o->vnet, 0, sizeof(o->vnet));
	o->kind = XGRO_OUT_ALONE;
	o->reason = (uint8_t)reason;
	o->segs = 1;
	o->len = pkt->len;
	o->flags = 0;
	o->l3_off = 0;
	o->l4_off = 0;
	o->key = NULL;
	if (pi->status == P_UNMERGEABLE || pi->status == P_CANDIDATE) {
		o->flags = XGRO_OUT_FLOW;
		o->key = &pi->key;
	}
	if (ctx->cfg.set_dst_mac && pkt->len >= ETH_HLEN_) {
		memcpy(ctx->scratch, pkt->data, ETH_HLEN_);
		memcpy(ctx->scratch, ctx->cfg.dst_mac, 6);
		ctx->iov[1].iov_base = ctx->scratch;
		ctx->iov[1].iov_len = ETH_HLEN_;
		ctx->iov[2].iov_base = (void *)(pkt->data + ETH_HLEN_);
		ctx->iov[2].iov_len = pkt->len - ETH_HLEN_;
		o->iovcnt = pkt->len > ETH_HLEN_ ? 3 : 2;
	} else {
		ctx->iov[1].iov_base = (void *)pkt->data;
		ctx->iov[1].iov_len = pkt->len;
		o->iovcnt = 2;
	}
	ctx->handles[0] = pkt->handle;
	o->nhandles = 1;
	switch (reason) {
	case XGRO_ALONE_NOT_FLOW:
		ctx->st.alone_not_flow++;
		break;
	case XGRO_ALONE_UNMERGEABLE:
		ctx->st.alone_unmergeable++;
		break;
	case XGRO_ALONE_CSUM_BAD:
		ctx->st.csum_bad++;
		break;
	case XGRO_ALONE_IP_CSUM_BAD:
		ctx->st.ip_csum_bad++;
		break;
	default:
		ctx->st.malformed++;
		break;
	}
	count_out(ctx, o);
	ctx->emit(ctx->user, o);
}

/* Rewrites the held header into the super-packet's header. */
static void finish_header(struct xgro_ctx *ctx, struct flow *f)
{
	struct virtio_net_hdr *v = &ctx->out.vnet;
	uint8_t *l3 = f->hdr + f->l3_off, *l4 = f->hdr + f->l4_off;
	uint32_t l4_len = f->l3_len - (uint32_t)(f->l4_off - f->l3_off);
	uint8_t proto = f->key.proto;
	uint32_t ps;

	if (!f->ipv6) {
		st16(l3 + 2, (uint16_t)f->l3_len);
		stn16(l3 + 10, 0);
		stn16(l3 + 10, (uint16_t)~fold64(sum32(l3, 5)));
	} else {
		st16(l3 + 4, (uint16_t)(f->l3_len - 40));
	}
	ps = xgro_pseudo_sum(l3, f->ipv6, proto, l4_len);
	v->hdr_len = f->hdr_len;
	v->gso_size = f->gso_size;
	if (proto == PROTO_TCP) {
		if (f->psh)
			l4[13] |= TCPF_PSH;
		v->gso_type = f->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 :
					VIRTIO_NET_HDR_GSO_TCPV4;
		if (ctx->cfg.csum_mode == XGRO_CSUM_FOLD) {
			/* full checksum from the segments' own ones */
			stn16(l4 + 16, 0);
			stn16(l4 + 16,
			      (uint16_t)~fold64((uint64_t)xgro_csum_partial(
							l4, f->hdr_len - f->l4_off, ps) +
						f->fold_sum));
			return;
		}
		stn16(l4 + 16, xgro_csum_fold(ps));
		v->csum_offset = 16;
	} else {
		st16(l4 + 4, (uint16_t)l4_len);
		stn16(l4 + 6, xgro_csum_fold(ps));
		v->gso_type = VIRTIO_NET_HDR_GSO_UDP_L4;
		v->csum_offset = 6;
	}
	v->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	v->csum_start = f->l4_off;
}

static void age_unlink(struct xgro_ctx *ctx, struct flow *f)
{
	if (f->prev != NIL)
		ctx->flows[f->prev].next = f->next;
	else
		ctx->age_head = f->next;
	if (f->next != NIL)
		ctx->flows[f->next].prev = f->prev;
	else
		ctx->age_tail = f->prev;
}

static void flush_flow(struct xgro_ctx *ctx, struct flow *f, unsigned reason)
{
	struct xgro_out *o = &ctx->out;
	uint32_t idx = flow_index(ctx, f), n = 0, s;

	memset(&o->vnet, 0, sizeof(o->vnet));
	if (ctx->cfg.set_dst_mac)
		memcpy(f->hdr, ctx->cfg.dst_mac, 6);
	if (f->nsegs > 1)
		finish_header(ctx, f);
	o->kind = XGRO_OUT_MERGED;
	o->reason = (uint8_t)reason;
	o->segs = f->nsegs;
	o->len = f->hdr_len + f->pay_total;
	o->flags = XGRO_OUT_FLOW | (f->id_mode == ID_FIXED ? XGRO_OUT_FIXEDID : 0);
	o->l3_off = f->l3_off;
	o->l4_off = f->l4_off;
	o->key = &f->key;
	ctx->iov[1].iov_base = f->hdr;
	ctx->iov[1].iov_len = f->hdr_len;
	for (s = f->seg_head; s != NIL; s = ctx->segs[s].next, n++) {
		ctx->iov[2 + n].iov_base = (void *)ctx->segs[s].pay;
		ctx->iov[2 + n].iov_len = ctx->segs[s].len;
		ctx->handles[n] = ctx->segs[s].handle;
	}
	o->iovcnt = 2 + n;
	o->nhandles = n;
	(&ctx->st.flush_psh)[reason]++;
	count_out(ctx, o);
	ctx->emit(ctx->user, o);

	ctx->segs[f->seg_tail].next = ctx->seg_free;
	ctx->seg_free = f->seg_head;
	ctx->held_frames -= f->nsegs;
	ctx->held_flows--;
	bucket_delete(ctx, f->hash, idx);
	age_unlink(ctx, f);
	f->next = ctx->flow_free;
	ctx->flow_free = idx;
}

unsigned xgro_flush_all(struct xgro_ctx *ctx)
{
	unsigned n = 0;

	while (ctx->age_head != NIL) {
		flush_flow(ctx, &ctx->flows[ctx->age_head], XGRO_FLUSH_EXPLICIT);
		n++;
	}
	return n;
}

unsigned xgro_flush_expired(struct xgro_ctx *ctx, uint64_t now_ns)
{
	unsigned n = 0;

	while (ctx->age_head != NIL) {
		struct flow *f = &ctx->flows[ctx->age_head];

		if (now_ns >= f->start_ns &&
		    now_ns - f->start_ns < ctx->cfg.flush_ns)
			break;
		flush_flow(ctx, f, XGRO_FLUSH_AGE);
		n++;
	}
	return n;
}

unsigned xgro_flush_to(struct xgro_ctx *ctx, unsigned limit)
{
	unsigned n = 0;

	while (ctx->held_frames > limit) {
		flush_flow(ctx, &ctx->flows[ctx->age_head], XGRO_FLUSH_BUDGET);
		n++;
	}
	return n;
}

int xgro_ctx_reconfigure(struct xgro_ctx *ctx,
			 const struct xgro_engine_config *cfg)
{
	struct xgro_engine_config c;
	int err;

	/* the capacity is fixed at create time */
	c = *cfg;
	c.max_flows = ctx->cfg.max_flows;
	c.max_frames = ctx->cfg.max_frames;
	err = check_config(&c, &c);
	if (err)
		return err;
	if (c.max_size != ctx->cfg.max_size ||
	    c.max_segs != ctx->cfg.max_segs || c.protos != ctx->cfg.protos ||
	    c.csum_mode != ctx->cfg.csum_mode ||
	    c.no_udp_gso != ctx->cfg.no_udp_gso || c.seed != ctx->cfg.seed)
		xgro_flush_all(ctx);
	ctx->cfg = c;
	return 0;
}

/* ---- merging ---- */

/* Ones' complement sum of a TCP segment's payload, derived from its
 * checksum field: the whole segment sums to zero, so the payload sums to
 * minus (pseudo-header + header as received). */
static uint16_t fold_payload_sum(const uint8_t *d, const struct pinfo *pi)
{
	uint32_t l4_len = pi->l3_len - (uint32_t)(pi->l4_off - pi->l3_off);
	uint32_t s = xgro_pseudo_sum(d + pi->l3_off, pi->ipv6, PROTO_TCP, l4_len);

	s = fold64(s + sum32(d + pi->l4_off, (pi->pay_off - pi->l4_off) / 4u));
	return (uint16_t)~xgro_csum_fold(s);
}

static bool l4_csum_ok(const uint8_t *d, const struct pinfo *pi)
{
	uint32_t l4_len = pi->l3_len - (uint32_t)(pi->l4_off - pi->l3_off);
	uint32_t s = xgro_pseudo_sum(d + pi->l3_off, pi->ipv6, pi->key.proto,
				     l4_len);

	return xgro_csum_fold(xgro_csum_partial(d + pi->l4_off, l4_len, s)) ==
	       0xffff;
}

static uint16_t bswap16_(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/* Returns -1 when the segment may merge, else the flush reason. */
static int can_merge(const struct xgro_ctx *ctx, const struct flow *f,
		     const uint8_t *d, const struct pinfo *pi)
{
	const uint8_t *h = f->hdr;
	uint32_t l3 = f->l3_off, l4 = f->l4_off;

	if (pi->pay_off != f->hdr_len || pi->pay_len > f->gso_size)
		return XGRO_FLUSH_MISMATCH;
	if (!f->ipv6) {
		uint16_t id = ld16(d + l3 + 4);

		/* TOS, flags/DF, TTL must be equal */
		if (d[l3 + 1] != h[l3 + 1] || d[l3 + 6] != h[l3 + 6] ||
		    d[l3 + 8] != h[l3 + 8])
			return XGRO_FLUSH_MISMATCH;
		/* the second segment decides: incrementing or fixed, DF or
		 * not (Linux 6.18, "net: gro: remove unnecessary df checks":
		 * inet_gro_flush takes a fixed ID whatever DF says) */
		switch (f->id_mode) {
		case ID_UNKNOWN:
			if (id != f->next_id && id != f->first_id)
				return XGRO_FLUSH_MISMATCH;
			break;
		case ID_INC:
			if (id != f->next_id)
				return XGRO_FLUSH_MISMATCH;
			break;
		default:
			if (id != f->first_id)
				return XGRO_FLUSH_MISMATCH;
			break;
		}
	} else {
		/* version, traffic class, flow label; hop limit */
		if (memcmp(d + l3, h + l3, 4) || d[l3 + 7] != h[l3 + 7] ||
		    pi->l4_off != l4)
			return XGRO_FLUSH_MISMATCH;
		/* extension headers: the same chain, byte for byte, as
		 * ipv6_gro_receive compares them */
		if (l4 - l3 > 40 &&
		    (d[l3 + 6] != h[l3 + 6] ||
		     memcmp(d + l3 + 40, h + l3 + 40, l4 - l3 - 40)))
			return XGRO_FLUSH_MISMATCH;
	}
	if (f->key.proto == PROTO_TCP) {
		uint64_t a, b;

		/* ack, data offset, flags but PSH, window in one compare */
		memcpy(&a, d + l4 + 8, 8);
		memcpy(&b, h + l4 + 8, 8);
		a ^= b;
		((uint8_t *)&a)[5] &= (uint8_t)~TCPF_PSH;
		if (a || ld32(d + l4 + 4) != f->next_seq)
			return XGRO_FLUSH_MISMATCH;
		/* options: a whole number of 32-bit words, up to 40 bytes */
		{
			uint32_t o = l4 + 20, end = f->hdr_len;
			uint64_t diff = 0;

			for (; o + 8 <= end; o += 8) {
				memcpy(&a, d + o, 8);
				memcpy(&b, h + o, 8);
				diff |= a ^ b;
			}
			if (o < end) {
				uint32_t x, y;

				memcpy(&x, d + o, 4);
				memcpy(&y, h + o, 4);
				diff |= x ^ y;
			}
			if (diff)
				return XGRO_FLUSH_MISMATCH;
		}
	}
	if (f->l3_len + pi->pay_len > ctx->cfg.max_size)
		return XGRO_FLUSH_SIZE;
	return -1;
}

/* After a segment joined: emit now if nothing more can follow. */
static void check_full(struct xgro_ctx *ctx, struct flow *f, uint32_t pay_len)
{
	if (f->psh)
		flush_flow(ctx, f, XGRO_FLUSH_PSH);
	else if (pay_len < f->gso_size)
		flush_flow(ctx, f, XGRO_FLUSH_SHORT);
	else if (f->nsegs >= ctx->cfg.max_segs)
		flush_flow(ctx, f, XGRO_FLUSH_SEGS);
	/* Held while a shorter last segment could still fit: Linux appends
	 * one that ends exactly at 65535 (skb_gro_receive refuses only
	 * p->len + len >= 65536), and the next full one flushes in
	 * can_merge. */
	else if (f->l3_len >= ctx->cfg.max_size)
		flush_flow(ctx, f, XGRO_FLUSH_SIZE);
}

static void add_seg(struct xgro_ctx *ctx, struct flow *f,
		    const struct xgro_pkt *pkt, const struct pinfo *pi,
		    uint16_t fold)
{
	uint32_t s = seg_alloc(ctx);

	ctx->segs[s].handle = pkt->handle;
	ctx->segs[s].pay = pkt->data + pi->pay_off;
	ctx->segs[s].len = pi->pay_len;
	ctx->segs[s].next = NIL;
	if (f->nsegs)
		ctx->segs[f->seg_tail].next = s;
	else
		f->seg_head = s;
	f->seg_tail = s;
	if (f->pay_total & 1)
		fold = bswap16_(fold);
	f->fold_sum += fold;
	f->nsegs++;
	f->pay_total += pi->pay_len;
	f->psh = (pi->tcp_flags & TCPF_PSH) != 0;
}

static void start_flow(struct xgro_ctx *ctx, uint32_t hash,
		       const struct xgro_pkt *pkt, const struct pinfo *pi,
		       uint16_t fold, uint64_t now_ns)
{
	const uint8_t *d = pkt->data;
	struct flow *f;
	uint32_t idx;

	if (ctx->held_flows >= ctx->cfg.max_flows)
		flush_flow(ctx, &ctx->flows[ctx->age_head],
			   XGRO_FLUSH_TABLE_FULL);
	if (!seg_available(ctx))
		flush_flow(ctx, &ctx->flows[ctx->age_head], XGRO_FLUSH_BUDGET);
	idx = ctx->flow_free;
	if (idx != NIL)
		ctx->flow_free = ctx->flows[idx].next;
	else
		idx = ctx->flows_used++;
	f = &ctx->flows[idx];
	f->hash = hash;
	f->key = pi->key;
	f->start_ns = now_ns;
	f->nsegs = 0;
	f->pay_total = 0;
	f->fold_sum = 0;
	f->gso_size = (uint16_t)pi->pay_len;
	f->l3_len = pi->l3_len;
	f->hdr_len = (uint8_t)pi->pay_off;
	f->l3_off = (uint8_t)pi->l3_off;
	f->l4_off = (uint8_t)pi->l4_off;
	f->ipv6 = pi->ipv6;
	f->id_mode = ID_UNKNOWN;
	if (!pi->ipv6) {
		f->first_id = ld16(d + pi->l3_off + 4);
		f->next_id = (uint16_t)(f->first_id + 1);
	}
	if (pi->key.proto == PROTO_TCP)
		f->next_seq = ld32(d + pi->l4_off + 4) + pi->pay_len;
	memcpy(f->hdr, d, pi->pay_off);
	bucket_insert(ctx, hash, idx);
	f->prev = ctx->age_tail;
	f->next = NIL;
	if (ctx->age_tail != NIL)
		ctx->flows[ctx->age_tail].next = idx;
	else
		ctx->age_head = idx;
	ctx->age_tail = idx;
	ctx->held_flows++;
	add_seg(ctx, f, pkt, pi, fold);
	/* a first segment already shorter than a later one could be is not
	 * known to be short yet: gso_size is its own length */
	check_full(ctx, f, f->gso_size);
}

static void merge(struct xgro_ctx *ctx, struct flow *f,
		  const struct xgro_pkt *pkt, const struct pinfo *pi,
		  uint16_t fold)
{
	if (!f->ipv6) {
		uint16_t id = ld16(pkt->data + pi->l3_off + 4);

		if (f->id_mode == ID_UNKNOWN)
			f->id_mode = id == f->next_id ? ID_INC : ID_FIXED;
		f->next_id = (uint16_t)(id + 1);
	}
	if (pi->key.proto == PROTO_TCP)
		f->next_seq += pi->pay_len;
	f->l3_len += pi->pay_len;
	add_seg(ctx, f, pkt, pi, fold);
	check_full(ctx, f, pi->pay_len);
}

static void feed_one(struct xgro_ctx *ctx, const struct xgro_pkt *pkt,
		     const struct pinfo *pi, uint32_t hash, uint64_t now_ns)
{
	struct flow *f;
	uint16_t fold = 0;
	int why;

	switch (pi->status) {
	case P_MALFORMED:
		emit_alone(ctx, pkt, pi, XGRO_ALONE_MALFORMED);
		return;
	case P_IP_CSUM_BAD:
		emit_alone(ctx, pkt, pi, XGRO_ALONE_IP_CSUM_BAD);
		return;
	case P_NOT_FLOW:
		emit_alone(ctx, pkt, pi, XGRO_ALONE_NOT_FLOW);
		return;
	default:
		break;
	}
	f = lookup(ctx, hash, &pi->key);
	if (pi->status == P_CANDIDATE && ctx->cfg.csum_mode != XGRO_CSUM_TRUST) {
		if (ctx->cfg.csum_mode == XGRO_CSUM_FOLD &&
		    pi->key.proto == PROTO_TCP) {
			fold = fold_payload_sum(pkt->data, pi);
		} else if (!l4_csum_ok(pkt->data, pi)) {
			if (f)
				flush_flow(ctx, f, XGRO_FLUSH_UNMERGEABLE);
			emit_alone(ctx, pkt, pi, XGRO_ALONE_CSUM_BAD);
			return;
		}
	}
	if (pi->status == P_UNMERGEABLE) {
		if (f)
			flush_flow(ctx, f, XGRO_FLUSH_UNMERGEABLE);
		emit_alone(ctx, pkt, pi, XGRO_ALONE_UNMERGEABLE);
		return;
	}
	if (f) {
		why = can_merge(ctx, f, pkt->data, pi);
		if (why < 0 && !seg_available(ctx)) {
			uint32_t oldest = ctx->age_head;

			flush_flow(ctx, &ctx->flows[oldest], XGRO_FLUSH_BUDGET);
			if (oldest == flow_index(ctx, f))
				f = NULL;
		}
		if (f && why < 0) {
			merge(ctx, f, pkt, pi, fold);
			return;
		}
		if (f)
			flush_flow(ctx, f, (unsigned)why);
	}
	start_flow(ctx, hash, pkt, pi, fold, now_ns);
}

/*
 * Frames are taken in groups: parse and hash all of them and prefetch
 * their buckets, then prefetch the flows those buckets name, then merge in
 * order. With many flows the table misses cache on every frame; this way
 * the misses of a group overlap instead of queueing. The second pass only
 * warms the cache: the merge pass looks up again, so flows emitted or
 * started meanwhile cannot mislead it.
 */
#define GROUP 16

void xgro_feed(struct xgro_ctx *ctx, const struct xgro_pkt *pkts, unsigned n,
	       uint64_t now_ns)
{
	struct pinfo pi[GROUP];
	uint32_t hash[GROUP];
	uint64_t bytes = 0;
	bool udp_gso = !ctx->cfg.no_udp_gso;

	for (unsigned base = 0; base < n; base += GROUP) {
		unsigned g = n - base < GROUP ? n - base : GROUP;

		for (unsigned i = 0; i < g; i++) {
			const struct xgro_pkt *p = &pkts[base + i];

			bytes += p->len;
			parse_frame(p, ctx->cfg.protos, udp_gso, &pi[i]);
			hash[i] = 0;
			if (pi[i].status != P_CANDIDATE &&
			    pi[i].status != P_UNMERGEABLE)
				continue;
			hash[i] = (p->flags & XGRO_PKT_HASH) ?
					  p->hash :
					  xgro_flow_hash(&pi[i].key, ctx->cfg.seed);
			__builtin_prefetch(&ctx->buckets[hash[i] & ctx->mask]);
		}
		for (unsigned i = 0; i < g; i++) {
			const struct bucket *b;

			if (pi[i].status != P_CANDIDATE &&
			    pi[i].status != P_UNMERGEABLE)
				continue;
			b = &ctx->buckets[hash[i] & ctx->mask];
			if (b->idx1) {
				const uint8_t *fl =
					(const uint8_t *)&ctx->flows[b->idx1 - 1];

				__builtin_prefetch(fl);
				__builtin_prefetch(fl + 64);
				__builtin_prefetch(fl + 128);
			}
		}
		for (unsigned i = 0; i < g; i++)
			feed_one(ctx, &pkts[base + i], &pi[i], hash[i], now_ns);
	}
	ctx->st.packets_in += n;
	ctx->st.bytes_in += bytes;
}

/* ---- burst ---- */

#define BURST_MEM (48 * 1024)

int xgro_burst(const struct xgro_engine_config *cfg, const struct xgro_pkt *pkts,
	       unsigned n, xgro_emit_fn emit, void *user,
	       struct xgro_engine_stats *stats)
{
	_Alignas(64) uint8_t mem[BURST_MEM];
	struct xgro_engine_config c;
	struct xgro_ctx *ctx;
	struct layout l;
	int err;

	if (!cfg || !emit)
		return -EINVAL;
	c = *cfg;
	c.max_flows = XGRO_BURST_MAX;
	c.max_frames = XGRO_BURST_MAX;
	err = check_config(&c, &c);
	if (err)
		return err;
	get_layout(&c, &l);
	if (l.total > sizeof(mem))
		return -ENOMEM;
	ctx = ctx_init(mem, &c, &l, emit, user);
	for (unsigned i = 0; i < n; i += XGRO_BURST_MAX) {
		unsigned k = n - i < XGRO_BURST_MAX ? n - i : XGRO_BURST_MAX;

		xgro_feed(ctx, pkts + i, k, 0);
		xgro_flush_all(ctx);
	}
	if (stats) {
		const __u64 *src = &ctx->st.packets_in;
		__u64 *dst = &stats->packets_in;

		for (size_t i = 0; i < sizeof(*stats) / 8; i++)
			dst[i] += src[i];
	}
	return 0;
}

static const char *const flush_names[] = {
	[XGRO_FLUSH_PSH] = "psh",
	[XGRO_FLUSH_SHORT] = "short",
	[XGRO_FLUSH_SIZE] = "size",
	[XGRO_FLUSH_SEGS] = "segs",
	[XGRO_FLUSH_AGE] = "age",
	[XGRO_FLUSH_TABLE_FULL] = "table_full",
	[XGRO_FLUSH_BUDGET] = "budget",
	[XGRO_FLUSH_UNMERGEABLE] = "unmergeable",
	[XGRO_FLUSH_MISMATCH] = "mismatch",
	[XGRO_FLUSH_EXPLICIT] = "explicit",
};

static const char *const alone_names[] = {
	[XGRO_ALONE_NOT_FLOW] = "not_flow",
	[XGRO_ALONE_UNMERGEABLE] = "unmergeable",
	[XGRO_ALONE_CSUM_BAD] = "csum_bad",
	[XGRO_ALONE_IP_CSUM_BAD] = "ip_csum_bad",
	[XGRO_ALONE_MALFORMED] = "malformed",
};

const char *xgro_flush_reason_name(unsigned reason)
{
	return reason < sizeof(flush_names) / sizeof(flush_names[0]) ?
		       flush_names[reason] :
		       "?";
}

const char *xgro_alone_reason_name(unsigned reason)
{
	return reason < sizeof(alone_names) / sizeof(alone_names[0]) ?
		       alone_names[reason] :
		       "?";
}
