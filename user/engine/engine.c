// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The merge engine: flow table, merge rules, flush triggers, outputs.
 *
 * Memory is one block carved at create time:
 *   ctx | flows[max_flows] | buckets[2^k >= 2 * max_flows] |
 *   chunks[max_flows + max_frames / CHUNK_SEGS] | free chunk stack |
 *   flow cache (small tables only)
 * A held flow owns a slot in flows[] (its first header is copied there and
 * rewritten in place at flush) and the chunks its slot names, which hold
 * its segment records in order; held_frames counts against max_frames,
 * the held-frame budget. Chunks, not a linked list of records: appending
 * needs no load of the previous record and a flush reads whole lines, which
 * at 65,536 flows, every record out of cache, was a miss per frame. Lookup is
 * linear probing on the seeded flow hash with backward-shift deletion (no
 * tombstones, so probe lengths stay short under churn). Held flows also sit on
 * a list in the order they started: the head is the oldest, which makes age
 * expiry, eviction and budget flushes O(1) each.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "internal.h"
#include "parse.h"

#define NIL UINT32_MAX

enum id_mode { ID_UNKNOWN, ID_INC, ID_FIXED };

/* The header templates of the fast path (see "fast path" below). */
enum tmpl { T_NONE, T_TCP4, T_UDP4, T_TCP6, T_UDP6, T_N };

/* A segment record. Its length is the flow's gso_size but for the last
 * segment's, the rest of the payload held (flow_pay_total()): a segment
 * shorter than gso_size always ends its flow (check_full()), so no length
 * needs keeping. */
struct seg {
	uint64_t handle;
	const uint8_t *pay;
};

#define CHUNK_SEGS 8  /* 128 bytes: two cache lines */
#define STEADY_LEN 80 /* header bytes feed_steady() compares */
#define FLOW_CHUNKS (XGRO_MAX_SEGS / CHUNK_SEGS)

struct chunk {
	struct seg s[CHUNK_SEGS];
};

/*
 * A held flow's slot, in the order a frame of it reads the slot: the key
 * (can_merge() reads its protocol), the merge state, the chunks and the
 * header template, so that for TCP/IPv4 with timestamps (a 66-byte
 * header, bytes 112..177) a frame touches 3 lines, the ones xgro_feed()
 * prefetches; the template on a 16-byte boundary, so that the compare's
 * loads of it fold into its vector instructions. What only start and
 * flush need comes last.
 */
struct flow {
	struct xgro_flow_key key;
	uint32_t l3_len; /* merged IP length so far; gives the payload held */
	uint32_t next_seq;
	uint32_t fold_sum; /* fold mode: payload sums, offsets applied */
	uint16_t ip_sum;   /* IPv4 header sum but length, ID and checksum */
	uint16_t nsegs;
	uint16_t gso_size;
	uint16_t full_len_n; /* IP length field of a full segment, as sent */
	uint16_t first_id;
	uint16_t next_id;
	uint8_t id_mode;
	uint8_t hdr_len;
	uint8_t l3_off;
	uint8_t l4_off;
	uint8_t psh; /* the last segment had PSH */
	uint8_t ipv6;
	uint8_t tmpl; /* enum tmpl: which mask the fast path compares with */
	uint8_t room; /* full segments that may join and leave it held */
	uint32_t chunk[FLOW_CHUNKS]; /* segment records, CHUNK_SEGS each */
	uint8_t hdr[XGRO_MAX_HDR] __attribute__((aligned(16)));
	uint32_t hash;
	uint32_t prev;	/* age list */
	uint32_t next;	/* age list, or free list */
	uint32_t fslot; /* its flow cache entry, if it has one */
	uint64_t start_ns;
} __attribute__((aligned(64)));
#define FLOW_HOT_LINES 3
_Static_assert(offsetof(struct flow, hdr) == 112 &&
		       offsetof(struct flow, hdr) + 66 <= 64 * FLOW_HOT_LINES,
	       "a 66-byte header in the hot lines");
_Static_assert(sizeof(struct flow) == 320, "flow slot size");
/* flush_flow() counts reasons by indexing from flush_psh */
_Static_assert(offsetof(struct xgro_engine_stats, flush_explicit) ==
		       offsetof(struct xgro_engine_stats, flush_psh) +
			       8 * XGRO_FLUSH_EXPLICIT,
	       "flush counters follow enum xgro_flush_reason");

/* The payload bytes a flow holds: each segment adds its payload to the IP
 * length, so it is that length less the first segment's headers. */
static inline uint32_t flow_pay_total(const struct flow *f)
{
	return f->l3_len - (uint32_t)(f->hdr_len - f->l3_off);
}

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
	struct chunk *chunks;
	uint32_t *chunk_free; /* stack of free chunk indices */
	/* small tables: fc_slot() of a frame -> flow index + 1, or 0; see
	 * "fast path" below */
	uint32_t *fcache;
	uint32_t fshift;
	uint32_t nchunk_free;
	uint32_t mask;
	uint32_t flows_used; /* bump allocator, then the free list */
	uint32_t flow_free;
	uint32_t held_frames;
	uint32_t held_flows;
	uint32_t age_head;
	uint32_t age_tail;
	bool heap;
	/* xgro_flow_hash() for the fast path's keys: the seed's multiple and
	 * the sum of the terms of the words such a key has fixed, by family
	 * (4, 6) and protocol (TCP, UDP); hash_terms() sets them */
	uint64_t hseed;
	uint64_t hfixed[2][2];
	struct xgro_engine_stats st;
	struct xgro_out out;
	struct iovec iov[2 + XGRO_MAX_SEGS];
	uint64_t handles[XGRO_MAX_SEGS];
	uint8_t scratch[ETH_HLEN_];
};

struct layout {
	size_t flows, buckets, chunks, stack, fcache, total;
	uint32_t nbuckets, nchunks, nfcache;
};

/* Up to this many flows the table stays in L1 and L2 (40 KiB of slots):
 * nothing to prefetch, so one pass, without the groups' bookkeeping, and
 * a flow cache in front of the hash table (feed_cached()). */
#define SMALL_TABLE 128
/* flow cache entries per bucket: 8 per flow, so that few flows share one */
#define FCACHE_PER_BUCKET 4

/*
 * From this size up the block is asked for in transparent huge pages: at
 * 65,536 flows (46 MiB) a frame touches its flow slot, bucket and chunk
 * in three distant 4 KiB pages, each a TLB miss on top of the cache miss,
 * and with huge pages they all fall in the TLB. Below it the table fits
 * the TLB's reach of 4 KiB pages well enough that a page of 2 MiB would
 * mostly be waste. Where THP is off the madvise() fails and nothing
 * changes.
 */
#define HUGE_PAGE (2u << 20)
#define HUGE_FROM (1u << 20)

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
	/* enough whatever the split: a flow of n segments takes at most
	 * n / CHUNK_SEGS + 1 chunks */
	l->nchunks =
		c->max_flows + (c->max_frames + CHUNK_SEGS - 1) / CHUNK_SEGS;
	l->chunks = align64(l->buckets + (size_t)nb * sizeof(struct bucket));
	l->stack = l->chunks + (size_t)l->nchunks * sizeof(struct chunk);
	l->fcache = align64(l->stack + (size_t)l->nchunks * sizeof(uint32_t));
	l->nfcache = c->max_flows <= SMALL_TABLE ? FCACHE_PER_BUCKET * nb : 0;
	l->total = align64(l->fcache + (size_t)l->nfcache * sizeof(uint32_t));
	/* whole huge pages from this size up (xgro_ctx_create()) */
	if (l->total >= HUGE_FROM)
		l->total =
			(l->total + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
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

/* The terms of xgro_flow_hash() that fast_hash() need not compute: words
 * 1, 3 and 5 of an IPv4 key (the upper address words, zero; family and
 * protocol), word 5 of an IPv6 one. */
static void hash_terms(struct xgro_ctx *ctx)
{
	uint64_t s = (uint64_t)ctx->cfg.seed * XGRO_HASH_SEED_MUL, w[6];

	ctx->hseed = s;
	for (unsigned v6 = 0; v6 < 2; v6++) {
		for (unsigned udp = 0; udp < 2; udp++) {
			struct xgro_flow_key k = {
				.family = v6 ? 6 : 4,
				.proto = udp ? PROTO_UDP : PROTO_TCP,
			};

			memcpy(w, &k, sizeof(w));
			ctx->hfixed[v6][udp] = xgro_hash_term(5, w[5], s);
			if (!v6)
				ctx->hfixed[v6][udp] +=
					xgro_hash_term(1, w[1], s) +
					xgro_hash_term(3, w[3], s);
		}
	}
}

static struct xgro_ctx *ctx_init(void *mem, const struct xgro_engine_config *c,
				 const struct layout *l, xgro_emit_fn emit,
				 void *user)
{
	struct xgro_ctx *ctx = mem;

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = *c;
	hash_terms(ctx);
	ctx->emit = emit;
	ctx->user = user;
	ctx->flows = (struct flow *)((uint8_t *)mem + l->flows);
	ctx->buckets = (struct bucket *)((uint8_t *)mem + l->buckets);
	ctx->chunks = (struct chunk *)((uint8_t *)mem + l->chunks);
	ctx->chunk_free = (uint32_t *)((uint8_t *)mem + l->stack);
	if (l->nfcache) {
		ctx->fcache = (uint32_t *)((uint8_t *)mem + l->fcache);
		memset(ctx->fcache, 0, (size_t)l->nfcache * sizeof(uint32_t));
		ctx->fshift = 64 - (uint32_t)__builtin_ctz(l->nfcache);
	}
	/* popped from the top: chunk 0 first, in address order */
	for (uint32_t i = 0; i < l->nchunks; i++)
		ctx->chunk_free[i] = l->nchunks - 1 - i;
	ctx->nchunk_free = l->nchunks;
	ctx->mask = l->nbuckets - 1;
	ctx->flow_free = NIL;
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
	mem = aligned_alloc(l.total >= HUGE_FROM ? HUGE_PAGE : 64, l.total);
	if (!mem)
		return -ENOMEM;
	/* only a hint: without THP the block stays in 4 KiB pages */
	if (l.total >= HUGE_FROM)
		(void)madvise(mem, l.total, MADV_HUGEPAGE);
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

	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]) | (x[5] ^ y[5]));
}

static struct flow *lookup(struct xgro_ctx *ctx, uint32_t hash,
			   const struct xgro_flow_key *key)
{
	for (uint32_t i = hash & ctx->mask;; i = (i + 1) & ctx->mask) {
		const struct bucket *b = &ctx->buckets[i];

		if (!b->idx1)
			return NULL;
		if (b->hash == hash &&
		    key_eq(&ctx->flows[b->idx1 - 1].key, key))
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
	return ctx->held_frames < ctx->cfg.max_frames;
}

/* The record for a flow's next segment, with a new chunk every
 * CHUNK_SEGS (the layout guarantees one is free). */
static inline __attribute__((always_inline)) struct seg *
seg_alloc(struct xgro_ctx *ctx, struct flow *f)
{
	uint32_t n = f->nsegs;

	if (!(n % CHUNK_SEGS))
		f->chunk[n / CHUNK_SEGS] = ctx->chunk_free[--ctx->nchunk_free];
	ctx->held_frames++;
	return &ctx->chunks[f->chunk[n / CHUNK_SEGS]].s[n % CHUNK_SEGS];
}

/*
 * The flow cache's slot for a frame whose L4 header is at l4: the 8 bytes
 * before it (IPv4 addresses, the low half of an IPv6 destination) and the
 * ports, seeded, times the golden ratio (Fibonacci hashing). Added, not
 * xored: flows whose ports count up (ephemeral ports often do) then land
 * in distinct slots, where xor cancelled the ports against the addresses
 * and put 16 of 64 such flows in a slot already taken. Only a hint:
 * feed_cached() confirms it with the template compare, so collisions cost
 * speed, never correctness.
 */
static inline uint32_t fc_slot(const struct xgro_ctx *ctx, const uint8_t *d,
			       uint32_t l4)
{
	uint64_t a;
	uint32_t b;

	memcpy(&a, d + l4 - 8, 8);
	memcpy(&b, d + l4, 4);
	return (uint32_t)(((a + b + ctx->hseed) * XGRO_HASH_SEED_MUL) >>
			  ctx->fshift);
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
		/* a template's ip_sum has the header but for length, ID and
		 * checksum, and the ID is the first segment's */
		if (f->tmpl != T_NONE) {
			stn16(l3 + 10,
			      (uint16_t)~fold32(f->ip_sum +
						(uint32_t)ldn16(l3 + 2) +
						ldn16(l3 + 4)));
		} else {
			stn16(l3 + 10, 0);
			stn16(l3 + 10, (uint16_t)~fold64(sum32(l3, 5)));
		}
	} else {
		st16(l3 + 4, (uint16_t)(f->l3_len - 40));
	}
	ps = xgro_pseudo_sum(l3, f->ipv6, proto, l4_len);
	v->hdr_len = f->hdr_len;
	v->gso_size = f->gso_size;
	if (proto == PROTO_TCP) {
		if (f->psh)
			l4[13] |= TCPF_PSH;
		v->gso_type = f->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6
				      : VIRTIO_NET_HDR_GSO_TCPV4;
		if (ctx->cfg.csum_mode == XGRO_CSUM_FOLD) {
			/* full checksum from the segments' own ones */
			stn16(l4 + 16, 0);
			stn16(l4 + 16,
			      (uint16_t)~fold64(
				      (uint64_t)xgro_csum_partial(
					      l4, f->hdr_len - f->l4_off, ps) +
				      f->fold_sum));
			return;
		}
		stn16(l4 + 16, fold32(ps));
		v->csum_offset = 16;
	} else {
		st16(l4 + 4, (uint16_t)l4_len);
		stn16(l4 + 6, fold32(ps));
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
	uint32_t idx = flow_index(ctx, f), n, segs, gso;

	if (ctx->fcache && f->tmpl != T_NONE) {
		uint32_t *e = &ctx->fcache[f->fslot];

		/* unless a later flow took the entry over */
		if (*e == idx + 1)
			*e = 0;
	}
	memset(&o->vnet, 0, sizeof(o->vnet));
	if (ctx->cfg.set_dst_mac)
		memcpy(f->hdr, ctx->cfg.dst_mac, 6);
	if (f->nsegs > 1)
		finish_header(ctx, f);
	o->kind = XGRO_OUT_MERGED;
	o->reason = (uint8_t)reason;
	o->segs = f->nsegs;
	o->len = f->hdr_len + flow_pay_total(f);
	o->flags =
		XGRO_OUT_FLOW | (f->id_mode == ID_FIXED ? XGRO_OUT_FIXEDID : 0);
	o->l3_off = f->l3_off;
	o->l4_off = f->l4_off;
	o->key = &f->key;
	ctx->iov[1].iov_base = f->hdr;
	ctx->iov[1].iov_len = f->hdr_len;
	/* locals: the stores below may alias f as far as the compiler knows,
	 * and it loaded both again for every segment */
	segs = f->nsegs;
	gso = f->gso_size;
	for (n = 0; n < segs; n += CHUNK_SEGS) {
		const struct seg *s = ctx->chunks[f->chunk[n / CHUNK_SEGS]].s;
		uint32_t k = segs - n < CHUNK_SEGS ? segs - n : CHUNK_SEGS;
		struct iovec *v = &ctx->iov[2 + n];
		uint64_t *h = &ctx->handles[n];

		for (uint32_t j = 0; j < k; j++) {
			v[j].iov_base = (void *)s[j].pay;
			v[j].iov_len = gso;
			h[j] = s[j].handle;
		}
	}
	n = f->nsegs;
	/* every segment but the last is gso_size long (check_full()) */
	ctx->iov[1 + n].iov_len = flow_pay_total(f) - (n - 1) * f->gso_size;
	o->iovcnt = 2 + n;
	o->nhandles = n;
	(&ctx->st.flush_psh)[reason]++;
	count_out(ctx, o);
	ctx->emit(ctx->user, o);

	for (uint32_t c = 0; c * CHUNK_SEGS < f->nsegs; c++)
		ctx->chunk_free[ctx->nchunk_free++] = f->chunk[c];
	ctx->held_frames -= f->nsegs;
	ctx->held_flows--;
	bucket_delete(ctx, f->hash, idx);
	age_unlink(ctx, f);
	f->next = ctx->flow_free;
	ctx->flow_free = idx;
}

static void prefetch_lines(const void *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		__builtin_prefetch((const uint8_t *)p + 64 * i);
}

/*
 * Flushes walk the age list, and at large flow counts every flow on it is
 * out of cache, its slot, its chunks and its bucket: one dependent miss
 * after the other. Before the head f goes out, this warms the chunks and
 * the bucket of the flow after it (whose slot the step before warmed) and
 * the slot of the one after that, so that consecutive flushes overlap
 * their misses.
 */
static void age_prefetch(const struct xgro_ctx *ctx, const struct flow *f)
{
	const struct flow *n;

	if (f->next == NIL)
		return;
	n = &ctx->flows[f->next];
	for (uint32_t c = 0; c * CHUNK_SEGS < n->nsegs; c++)
		prefetch_lines(&ctx->chunks[n->chunk[c]], 2);
	__builtin_prefetch(&ctx->buckets[n->hash & ctx->mask]);
	if (n->next != NIL)
		prefetch_lines(&ctx->flows[n->next], sizeof(struct flow) / 64);
}

unsigned xgro_flush_all(struct xgro_ctx *ctx)
{
	unsigned n = 0;

	while (ctx->age_head != NIL) {
		age_prefetch(ctx, &ctx->flows[ctx->age_head]);
		flush_flow(ctx, &ctx->flows[ctx->age_head],
			   XGRO_FLUSH_EXPLICIT);
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
		age_prefetch(ctx, f);
		flush_flow(ctx, f, XGRO_FLUSH_AGE);
		n++;
	}
	return n;
}

unsigned xgro_flush_to(struct xgro_ctx *ctx, unsigned limit)
{
	unsigned n = 0;

	while (ctx->held_frames > limit) {
		age_prefetch(ctx, &ctx->flows[ctx->age_head]);
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
	hash_terms(ctx);
	return 0;
}

/* ---- merging ---- */

/* Inlined into both paths: a call with the pinfo spilled costs the fast
 * path a fifth of its instructions (make profile-engine). */
#define HOT_INLINE __attribute__((always_inline))
static inline int can_merge(const struct xgro_ctx *ctx, const struct flow *f,
			    const uint8_t *d,
			    const struct pinfo *pi) HOT_INLINE;
static inline void merge(struct xgro_ctx *ctx, struct flow *f,
			 const struct xgro_pkt *pkt, const struct pinfo *pi,
			 uint16_t fold) HOT_INLINE;
static inline void add_seg(struct xgro_ctx *ctx, struct flow *f,
			   const struct xgro_pkt *pkt, const struct pinfo *pi,
			   uint16_t fold) HOT_INLINE;
static inline void check_full(struct xgro_ctx *ctx, struct flow *f,
			      uint32_t pay_len, bool psh) HOT_INLINE;

/* Ones' complement sum of a TCP segment's payload, derived from its
 * checksum field: the whole segment sums to zero, so the payload sums to
 * minus (pseudo-header + header as received). */
static uint16_t fold_payload_sum(const uint8_t *d, const struct pinfo *pi)
{
	uint32_t l4_len = pi->l3_len - (uint32_t)(pi->l4_off - pi->l3_off);
	uint32_t s =
		xgro_pseudo_sum(d + pi->l3_off, pi->ipv6, PROTO_TCP, l4_len);

	s = fold64(s + sum32(d + pi->l4_off, (pi->pay_off - pi->l4_off) / 4u));
	return (uint16_t)~fold32(s);
}

static bool l4_csum_ok(const uint8_t *d, const struct pinfo *pi)
{
	uint32_t l4_len = pi->l3_len - (uint32_t)(pi->l4_off - pi->l3_off);
	uint32_t s = xgro_pseudo_sum(d + pi->l3_off, pi->ipv6, pi->key.proto,
				     l4_len);

	return fold32(xgro_csum_partial(d + pi->l4_off, l4_len, s)) == 0xffff;
}

/* The checksum mode's work on a candidate: false when its L4 checksum is
 * bad (verify), else true with the payload sum for fold mode in *fold. */
static inline HOT_INLINE bool csum_check(const struct xgro_ctx *ctx,
					 const uint8_t *d,
					 const struct pinfo *pi, uint16_t *fold)
{
	if (ctx->cfg.csum_mode == XGRO_CSUM_TRUST)
		return true;
	if (ctx->cfg.csum_mode == XGRO_CSUM_FOLD &&
	    pi->key.proto == PROTO_TCP) {
		*fold = fold_payload_sum(d, pi);
		return true;
	}
	return l4_csum_ok(d, pi);
}

static uint16_t bswap16_(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

/*
 * The merge rules, in two parts. can_merge_hdr() holds those about header
 * bytes that are equal in every segment of a flow, which a frame whose
 * header matched the flow's template (fast_check()) has already met:
 * tmpl_mask[] leaves none of these bytes out. can_merge_state() holds
 * those about what changes from segment to segment and what the flow has
 * gathered so far. The slow path applies both (can_merge()), the fast path
 * only the second. Each returns -1 when the segment may merge, else the
 * flush reason; every reason but the last is XGRO_FLUSH_MISMATCH, so the
 * order of the two parts does not change the outcome.
 */
static inline HOT_INLINE int
can_merge_hdr(const struct flow *f, const uint8_t *d, const struct pinfo *pi)
{
	const uint8_t *h = f->hdr;
	uint32_t l3 = f->l3_off, l4 = f->l4_off;

	if (pi->pay_off != f->hdr_len)
		return XGRO_FLUSH_MISMATCH;
	if (!f->ipv6) {
		/* TOS, flags/DF, TTL must be equal */
		if (d[l3 + 1] != h[l3 + 1] || d[l3 + 6] != h[l3 + 6] ||
		    d[l3 + 8] != h[l3 + 8])
			return XGRO_FLUSH_MISMATCH;
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
		if (a)
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
	return -1;
}

static inline HOT_INLINE int can_merge_state(const struct xgro_ctx *ctx,
					     const struct flow *f,
					     const uint8_t *d,
					     const struct pinfo *pi)
{
	if (pi->pay_len > f->gso_size)
		return XGRO_FLUSH_MISMATCH;
	if (!f->ipv6) {
		uint16_t id = ld16(d + f->l3_off + 4);

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
	}
	if (f->key.proto == PROTO_TCP && ld32(d + f->l4_off + 4) != f->next_seq)
		return XGRO_FLUSH_MISMATCH;
	if (f->l3_len + pi->pay_len > ctx->cfg.max_size)
		return XGRO_FLUSH_SIZE;
	return -1;
}

static int can_merge(const struct xgro_ctx *ctx, const struct flow *f,
		     const uint8_t *d, const struct pinfo *pi)
{
	int why = can_merge_hdr(f, d, pi);

	return why >= 0 ? why : can_merge_state(ctx, f, d, pi);
}

/* After a segment joined: emit now if nothing more can follow. The flow
 * goes on far more often than it ends: one test for all four ends. */
static void check_full(struct xgro_ctx *ctx, struct flow *f, uint32_t pay_len,
		       bool psh)
{
	if (__builtin_expect(!psh && pay_len >= f->gso_size &&
				     f->nsegs < ctx->cfg.max_segs &&
				     f->l3_len < ctx->cfg.max_size,
			     1))
		return;
	if (psh) {
		f->psh = 1;
		flush_flow(ctx, f, XGRO_FLUSH_PSH);
	} else if (pay_len < f->gso_size)
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
	struct seg *s = seg_alloc(ctx, f);

	s->handle = pkt->handle;
	s->pay = pkt->data + pi->pay_off;
	/* fold mode only (else fold is 0): a payload that starts at an odd
	 * offset of the merged one adds its sum byte-swapped; l3_len has this
	 * segment already */
	if (fold) {
		if ((flow_pay_total(f) - pi->pay_len) & 1)
			fold = bswap16_(fold);
		f->fold_sum += fold;
	}
	f->nsegs++;
}

static void tmpl_set(struct flow *f, const struct pinfo *pi);

/*
 * How many more full segments (gso_size) a flow may take with
 * check_full() keeping it held each time: fewer than max_segs segments
 * and an IP length below max_size after each. Every full segment that
 * joins takes one (merge()); any other ends the flow. feed_steady() needs
 * only this, where it had two limits to test; both are fixed while a flow
 * is held (xgro_ctx_reconfigure() flushes when they change).
 */
static uint8_t flow_room(const struct xgro_ctx *ctx, const struct flow *f)
{
	uint32_t segs, bytes;

	if (f->nsegs + 1u >= ctx->cfg.max_segs ||
	    f->l3_len + f->gso_size >= ctx->cfg.max_size)
		return 0;
	segs = ctx->cfg.max_segs - 1u - f->nsegs;
	bytes = (ctx->cfg.max_size - 1u - f->l3_len) / f->gso_size;
	return (uint8_t)(segs < bytes ? segs : bytes);
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
	f->psh = 0;
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
	/* what the steady compare reads past the header, under a zero mask,
	 * must be defined bytes: the frame's own, or zeros */
	if (pi->pay_off <= STEADY_LEN && pkt->len >= STEADY_LEN) {
		/* one fixed-size copy, inlined */
		memcpy(f->hdr, d, STEADY_LEN);
	} else {
		memcpy(f->hdr, d, pi->pay_off);
		if (pi->pay_off < STEADY_LEN)
			memset(f->hdr + pi->pay_off, 0,
			       STEADY_LEN - pi->pay_off);
	}
	tmpl_set(f, pi);
	/* In the flow cache only with its true hash: the frames that find it
	 * there are then the ones the slow path's lookup would find it for
	 * (a hinted frame must carry the same hash, feed_cached()). */
	f->fslot = 0;
	if (ctx->fcache && f->tmpl != T_NONE) {
		/* kept for flush_flow(), which clears it */
		f->fslot = fc_slot(ctx, f->hdr, f->l4_off);
		if (!(pkt->flags & XGRO_PKT_HASH) ||
		    hash == xgro_flow_hash(&pi->key, ctx->cfg.seed))
			ctx->fcache[f->fslot] = idx + 1;
	}
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
	f->room = flow_room(ctx, f);
	/* a first segment already shorter than a later one could be is not
	 * known to be short yet: gso_size is its own length */
	check_full(ctx, f, f->gso_size, pi->tcp_flags & TCPF_PSH);
}

static void merge(struct xgro_ctx *ctx, struct flow *f,
		  const struct xgro_pkt *pkt, const struct pinfo *pi,
		  uint16_t fold)
{
	/* a full one takes a place; one of any other length ends the flow */
	if (f->room)
		f->room--;
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
	check_full(ctx, f, pi->pay_len, pi->tcp_flags & TCPF_PSH);
}

/* ---- fast path: the next frame of a held flow ---- */

/*
 * A held flow keeps its first frame's header. The next frame of the flow
 * differs from it only in a few fields: IP length, ID and checksum; TCP
 * sequence, PSH and checksum; UDP length and checksum. When every other
 * header byte is equal, the frame has the flow's layout and key, so parse,
 * key hash and key compare can be skipped: the hash is computed from the
 * bytes where an untagged frame keeps its key (or taken from the XDP
 * hint), and the header compared with the template in 16-byte steps under
 * a mask. What the compare cannot know (lengths in range, the IPv4 header
 * checksum, a UDP checksum not zero) is checked as the parser would; the
 * checksum mode and the merge decision are the slow path's own functions
 * (csum_check(), can_merge(), merge()). Any frame the fast path is not sure
 * of, including one that matches but must not merge, takes the slow path,
 * which decides it from scratch. The fuzzer checks that both agree
 * (XGRO_PARSE_CROSSCHECK).
 */

#define T_L3 ETH_HLEN_
#define T_L4_V4 (T_L3 + 20)
#define T_L4_V6 (T_L3 + 40)

/* 0xff where a frame must equal its flow's first header */
static uint8_t tmpl_mask[T_N][XGRO_MAX_HDR] __attribute__((aligned(16)));

/*
 * The steady path's compare (feed_steady()): five fixed 16-byte steps over
 * 80 bytes, with a mask per header length that is zero past the header,
 * so that neither the offsets nor the number of steps depend on the flow.
 * TCP headers are whole 32-bit words: TCP/IPv4 headers of 54..78 bytes,
 * TCP/IPv6 ones of 74 and 78, one mask each.
 */
#define STEADY_MASKS 7
static uint8_t steady_mask[2][STEADY_MASKS][STEADY_LEN]
	__attribute__((aligned(16)));
/* by header length, NULL where there is none: one load instead of a range
 * test and an index computed */
static const uint8_t *steady_mask_of[2][256];

static inline unsigned steady_base(bool v6)
{
	return v6 ? T_L4_V6 + 20 : T_L4_V4 + 20;
}

static void mask_clear(uint8_t *m, unsigned off, unsigned n)
{
	memset(m + off, 0, n);
}

__attribute__((constructor)) static void tmpl_init(void)
{
	for (unsigned t = T_TCP4; t < T_N; t++) {
		uint8_t *m = tmpl_mask[t];
		bool v6 = t >= T_TCP6;
		unsigned l4 = v6 ? T_L4_V6 : T_L4_V4;

		memset(m, 0xff, XGRO_MAX_HDR);
		if (v6) {
			mask_clear(m, T_L3 + 4, 2); /* payload length */
		} else {
			mask_clear(m, T_L3 + 2, 4);  /* total length, ID */
			mask_clear(m, T_L3 + 10, 2); /* header checksum */
		}
		if (t == T_TCP4 || t == T_TCP6) {
			mask_clear(m, l4 + 4, 4); /* sequence */
			m[l4 + 13] = (uint8_t)~TCPF_PSH;
			mask_clear(m, l4 + 16, 2); /* checksum */
		} else {
			mask_clear(m, l4 + 4, 4); /* length, checksum */
		}
	}
	for (unsigned v6 = 0; v6 < 2; v6++) {
		for (unsigned k = 0; k < STEADY_MASKS; k++) {
			unsigned hl = steady_base(v6) + 4 * k;

			if (hl > STEADY_LEN)
				break;
			memcpy(steady_mask[v6][k],
			       tmpl_mask[v6 ? T_TCP6 : T_TCP4], hl);
			steady_mask_of[v6][hl] = steady_mask[v6][k];
		}
	}
}

/* At start_flow(): whether the fast path may compare with this flow. */
static void tmpl_set(struct flow *f, const struct pinfo *pi)
{
	bool tcp = pi->key.proto == PROTO_TCP;
	uint8_t ip[20];

	f->tmpl = T_NONE;
	if (pi->l3_off != T_L3 || pi->key.nvlan)
		return;
	if (!pi->ipv6 && pi->l4_off == T_L4_V4) {
		f->tmpl = tcp ? T_TCP4 : T_UDP4;
		memcpy(ip, f->hdr + T_L3, 20);
		memset(ip + 2, 0, 4);
		memset(ip + 10, 0, 2);
		f->ip_sum = fold64(sum32(ip, 5));
		st16((uint8_t *)&f->full_len_n, (uint16_t)(pi->l3_len));
	} else if (pi->ipv6 && pi->l4_off == T_L4_V6) {
		f->tmpl = tcp ? T_TCP6 : T_UDP6;
		st16((uint8_t *)&f->full_len_n, (uint16_t)(pi->l3_len - 40));
	}
}

/*
 * The flow hash of an untagged TCP or UDP frame over IPv4 without options
 * or IPv6 without extension headers, from the bytes where the parser would
 * take the key: 4 or 6 with *hash set, or 0 when the frame cannot be one
 * (the template compare makes sure of the rest).
 */
static inline HOT_INLINE unsigned
fast_hash(const struct xgro_ctx *ctx, const struct xgro_pkt *p, uint32_t *hash)
{
	const uint8_t *d = p->data;
	uint64_t s = ctx->hseed, w0 = 0, w1, w2 = 0, w3, w4 = 0, h;
	unsigned fam, l4;
	uint8_t proto;

	if (p->len < T_L4_V4 + 20)
		return 0;
	if (d[12] == 0x08 && d[13] == 0x00) {
		fam = 4;
		l4 = T_L4_V4;
	} else if (d[12] == 0x86 && d[13] == 0xdd && p->len >= T_L4_V6 + 8) {
		fam = 6;
		l4 = T_L4_V6;
	} else {
		return 0;
	}
	if ((p->flags & XGRO_PKT_OFFSETS) &&
	    (p->l3_off != T_L3 || p->l4_off != l4))
		return 0;
	if (p->flags & XGRO_PKT_HASH) {
		*hash = p->hash;
		return fam;
	}
	/* the key's words as xgro_parse() would lay them out, read where
	 * they sit: each copied into a zeroed word as the key holds it */
	proto = d[fam == 4 ? T_L3 + 9 : T_L3 + 6];
	if (proto != PROTO_TCP && proto != PROTO_UDP)
		return 0;
	memcpy(&w4, d + l4, 4); /* the ports; no VLAN */
	h = xgro_hash_term(4, w4, s) +
	    ctx->hfixed[fam == 6][proto == PROTO_UDP];
	if (fam == 4) {
		memcpy(&w0, d + T_L3 + 12, 4);
		memcpy(&w2, d + T_L3 + 16, 4);
		h += xgro_hash_term(0, w0, s) + xgro_hash_term(2, w2, s);
	} else {
		memcpy(&w0, d + T_L3 + 8, 8);
		memcpy(&w1, d + T_L3 + 16, 8);
		memcpy(&w2, d + T_L3 + 24, 8);
		memcpy(&w3, d + T_L3 + 32, 8);
		h += xgro_hash_term(0, w0, s) + xgro_hash_term(1, w1, s) +
		     xgro_hash_term(2, w2, s) + xgro_hash_term(3, w3, s);
	}
	*hash = xgro_hash_final(h);
	return fam;
}

typedef uint8_t v16 __attribute__((vector_size(16)));

static inline v16 tmpl_diff(const uint8_t *d, const uint8_t *h,
			    const uint8_t *m, uint32_t o)
{
	v16 a, b, k;

	memcpy(&a, d + o, 16);
	memcpy(&b, h + o, 16);
	memcpy(&k, m + o, 16);
	return (a ^ b) & k;
}

/*
 * The header equal to the template where the mask says so; 32 <= len
 * (UDP/IPv4, the shortest, is 42). Straight-line up to 80 bytes (TCP/IPv4
 * with timestamps is 66), the last step overlapping the one before so that
 * no byte past len is read.
 */
static inline bool tmpl_equal(const uint8_t *d, const uint8_t *h,
			      const uint8_t *m, uint32_t len)
{
	v16 acc = tmpl_diff(d, h, m, 0) | tmpl_diff(d, h, m, 16) |
		  tmpl_diff(d, h, m, len - 16);
	uint64_t x[2];

	/* 48..80 bytes (TCP/IPv4 with up to 24 bytes of options, TCP/IPv6
	 * with up to 8) in five fixed steps, the last two overlapping: one
	 * branch instead of one per step */
	if (__builtin_expect(len - 48 <= 32, 1)) {
		acc |= tmpl_diff(d, h, m, 32) | tmpl_diff(d, h, m, len - 32);
	} else {
		if (len > 48)
			acc |= tmpl_diff(d, h, m, 32);
		if (len > 64)
			acc |= tmpl_diff(d, h, m, 48);
		for (uint32_t o = 64; o + 16 < len; o += 16)
			acc |= tmpl_diff(d, h, m, o);
	}
	memcpy(x, &acc, 16);
	return !(x[0] | x[1]);
}

/* The same for feed_steady(): 80 bytes of the frame, a mask zero past
 * the header. */
static inline bool steady_equal(const uint8_t *d, const uint8_t *hdr,
				const uint8_t *mask)
{
	const uint8_t *h = __builtin_assume_aligned(hdr, 16);
	const uint8_t *m = __builtin_assume_aligned(mask, 16);
	v16 acc = tmpl_diff(d, h, m, 0) | tmpl_diff(d, h, m, 16) |
		  tmpl_diff(d, h, m, 32) | tmpl_diff(d, h, m, 48) |
		  tmpl_diff(d, h, m, 64);
	uint64_t x[2];

	memcpy(x, &acc, 16);
	return !(x[0] | x[1]);
}

/* The held flow the fast path takes a frame of this hash to be, by the
 * first bucket with the hash; fast_check() or the steady path confirm. */
static inline struct flow *fast_find(struct xgro_ctx *ctx, uint32_t hash)
{
	const struct bucket *b;
	uint32_t i;

	for (i = hash & ctx->mask;; i = (i + 1) & ctx->mask) {
		b = &ctx->buckets[i];
		if (!b->idx1)
			return NULL;
		if (b->hash == hash)
			return &ctx->flows[b->idx1 - 1];
	}
}

/* Whether the frame is the next of held flow f, by the template, with the
 * frame's pinfo filled as the parser would (the key but its protocol
 * left out: the flow has it). */
static inline HOT_INLINE bool fast_check(const struct xgro_pkt *p,
					 const struct flow *f, struct pinfo *pi)
{
	const uint8_t *d = p->data, *l3 = d + T_L3, *l4;
	uint32_t l3_len;

	if (f->tmpl == T_NONE || p->len < f->hdr_len ||
	    !tmpl_equal(d, f->hdr, tmpl_mask[f->tmpl], f->hdr_len))
		return false;
	l4 = d + f->l4_off;
	if (!f->ipv6) {
		l3_len = ld16(l3 + 2);
		/* four 16-bit terms: two folds are enough */
		uint32_t c = f->ip_sum + ldn16(l3 + 2) + ldn16(l3 + 4) +
			     ldn16(l3 + 10);

		c = (c & 0xffff) + (c >> 16);
		c = (c & 0xffff) + (c >> 16);
		if (c != 0xffff)
			return false;
	} else {
		l3_len = 40u + ld16(l3 + 4);
	}
	/* inside the frame, and a payload: else the parser decides */
	if (T_L3 + l3_len > p->len || T_L3 + l3_len <= f->hdr_len)
		return false;
	if (f->key.proto == PROTO_UDP &&
	    (ld16(l4 + 4) != T_L3 + l3_len - f->l4_off || !ldn16(l4 + 6)))
		return false;
	pi->key.proto = f->key.proto;
	pi->l3_off = T_L3;
	pi->l4_off = f->l4_off;
	pi->pay_off = f->hdr_len;
	pi->l3_len = l3_len;
	pi->pay_len = T_L3 + l3_len - f->hdr_len;
	pi->status = P_CANDIDATE;
	pi->tcp_flags = f->key.proto == PROTO_TCP ? l4[13] : 0;
	pi->ipv6 = f->ipv6;
	return true;
}

#ifdef XGRO_PARSE_CROSSCHECK
/* The slow path's view of a frame the fast path took: the same pinfo, the
 * same hash and the same flow, or the fuzzer stops here. */
static void fast_crosscheck(struct xgro_ctx *ctx, const struct xgro_pkt *p,
			    uint32_t hash, const struct flow *f,
			    const struct pinfo *pi)
{
	struct pinfo slow, fast = *pi;
	uint32_t h;

	xgro_parse(p, ctx->cfg.protos, !ctx->cfg.no_udp_gso, &slow);
	fast.key = f->key;
	fast.pad = slow.pad = 0;
	fast.pad2 = slow.pad2 = 0;
	fast.pad3 = slow.pad3 = 0;
	if (memcmp(&slow, &fast, sizeof(slow)))
		__builtin_trap();
	h = (p->flags & XGRO_PKT_HASH)
		    ? p->hash
		    : xgro_flow_hash(&slow.key, ctx->cfg.seed);
	if (h != hash || lookup(ctx, h, &slow.key) != f)
		__builtin_trap();
}
#endif

/* feed_one() for a frame fast_check() confirmed: true when it merged, false
 * (nothing changed) for the slow path to decide. */
static inline HOT_INLINE bool feed_fast(struct xgro_ctx *ctx, struct flow *f,
					const struct xgro_pkt *pkt,
					const struct pinfo *pi)
{
	uint16_t fold = 0;

	/* the template compare has met can_merge_hdr() */
	if (!csum_check(ctx, pkt->data, pi, &fold) ||
	    can_merge_state(ctx, f, pkt->data, pi) >= 0 || !seg_available(ctx))
		return false;
	merge(ctx, f, pkt, pi, fold);
	return true;
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
	if (pi->status == P_CANDIDATE &&
	    !csum_check(ctx, pkt->data, pi, &fold)) {
		if (f)
			flush_flow(ctx, f, XGRO_FLUSH_UNMERGEABLE);
		emit_alone(ctx, pkt, pi, XGRO_ALONE_CSUM_BAD);
		return;
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
 * Frames are taken in groups: hash all of them and prefetch their buckets,
 * then prefetch the flows those buckets name, then merge in order. With
 * many flows the table misses cache on every frame; this way the misses of
 * a group overlap instead of queueing. The second pass only warms the
 * cache: the merge pass looks up again, so flows emitted or started
 * meanwhile cannot mislead it. A frame that may be the next of a held flow
 * (fast_hash()) is hashed from its bytes, tried on the steady path
 * (steady_flow()) and parsed only if fast_find(), fast_check() or
 * feed_fast() turn it down.
 */
#define GROUP 16

bool xgro_fast_path_off;

static void parse_hash(const struct xgro_ctx *ctx, const struct xgro_pkt *p,
		       struct pinfo *pi, uint32_t *hash)
{
	parse_frame(p, ctx->cfg.protos, !ctx->cfg.no_udp_gso, pi);
	*hash = 0;
	if (pi->status == P_CANDIDATE || pi->status == P_UNMERGEABLE)
		*hash = (p->flags & XGRO_PKT_HASH)
				? p->hash
				: xgro_flow_hash(&pi->key, ctx->cfg.seed);
}

/* verify reads every byte: the next frame's come in while this one's are
 * summed */
static inline HOT_INLINE void prefetch_next(const struct xgro_ctx *ctx,
					    const struct xgro_pkt *p, bool more)
{
	if (ctx->cfg.csum_mode == XGRO_CSUM_VERIFY && more && p[1].len > 128)
		prefetch_lines(p[1].data + 128, (p[1].len - 128 + 63) / 64);
}

enum { FC_MISS, FC_MERGED, FC_SLOW };

/*
 * The fast path's first try, for small tables: the flow cache names the
 * flow a frame most likely belongs to without the flow hash and the
 * bucket probe, and the template compare confirms it as after fast_find()
 * (it proves the key equal). FC_MISS: not found there, fast_find() may
 * still find it; FC_SLOW: it is that flow's next frame by its header but
 * feed_fast() turned it down, as it would after fast_find().
 */
static inline HOT_INLINE int feed_cached(struct xgro_ctx *ctx,
					 const struct xgro_pkt *p)
{
	const uint8_t *d = p->data;
	struct pinfo fp;
	struct flow *f;
	uint32_t idx1, l4;

	if (__builtin_expect(p->len < T_L4_V6 + 4, 0))
		return FC_MISS;
	l4 = d[12] == 0x86 && d[13] == 0xdd ? T_L4_V6 : T_L4_V4;
	idx1 = ctx->fcache[fc_slot(ctx, d, l4)];
	if (__builtin_expect(!idx1, 0))
		return FC_MISS;
	f = &ctx->flows[idx1 - 1];
	/* hints as fast_hash() takes them: a hash that is not the flow's
	 * would not find it in the table, offsets not its own send the
	 * frame to the parser */
	if (p->flags && (((p->flags & XGRO_PKT_HASH) && p->hash != f->hash) ||
			 ((p->flags & XGRO_PKT_OFFSETS) &&
			  (p->l3_off != T_L3 || p->l4_off != f->l4_off))))
		return FC_MISS;
	if (__builtin_expect(!fast_check(p, f, &fp), 0))
		return FC_MISS;
#ifdef XGRO_PARSE_CROSSCHECK
	/* a flow in the cache has its true hash (start_flow()) */
	fast_crosscheck(ctx, p, f->hash, f, &fp);
#endif
	return __builtin_expect(feed_fast(ctx, f, p, &fp), 1) ? FC_MERGED
							      : FC_SLOW;
}

/*
 * The steady state of a held TCP flow, in front of feed_cached() (and,
 * for large tables, of fast_check(), steady_flow()): its next full-sized
 * segment, in order, not the last (no PSH, room left for more). Most
 * frames of a bulk flow are that, and for them every rule has one answer
 * the flow can know ahead: the IP length is the flow's full one
 * (full_len_n), so the lengths the fast path derives and checks are the
 * flow's own, the payload is gso_size long, and check_full() will not
 * emit (room); what is left to compare is the template (80 bytes under a
 * mask for the header's length, steady_equal()), the length field, ID,
 * sequence and the IPv4 header checksum, which is right when the frame's
 * header sums to a multiple of 0xffff (ip_sum holds the rest of the
 * header; the words that change are added as one 32-bit and one 16-bit
 * load, 2^16 being 1 modulo 0xffff; a header never sums to zero, its
 * first byte being 0x45). Whatever it is not sure of it leaves to the
 * fast path and the slow path, with nothing changed. Its outcome is the
 * one feed_fast() would have: the fuzzer's cross-check traps where the
 * slow path would decide otherwise.
 */
#ifdef XGRO_PARSE_CROSSCHECK
static void steady_crosscheck(struct xgro_ctx *ctx, const struct xgro_pkt *p,
			      const struct flow *f, const struct pinfo *pi)
{
	struct pinfo slow;

	fast_crosscheck(ctx, p, f->hash, f, pi);
	xgro_parse(p, ctx->cfg.protos, !ctx->cfg.no_udp_gso, &slow);
	/* merges, and check_full() does not emit */
	if (slow.status != P_CANDIDATE ||
	    can_merge(ctx, f, p->data, &slow) >= 0 ||
	    (slow.tcp_flags & TCPF_PSH) || slow.pay_len != f->gso_size ||
	    f->nsegs + 1u >= ctx->cfg.max_segs ||
	    f->l3_len + slow.pay_len >= ctx->cfg.max_size)
		__builtin_trap();
}
#endif

/* What the steady loop reads of the context, copied into locals once per
 * burst: stores into a flow may alias the context as far as the compiler
 * knows (-fno-strict-aliasing), and made it load these again each frame. */
struct steady_env {
	struct xgro_ctx *ctx;
	const uint32_t *fcache;
	struct flow *flows;
	uint64_t hseed;
	uint32_t fshift;
	uint32_t max_frames;
};

/* feed_steady()'s outcomes */
enum { ST_MERGED, ST_MISS, ST_OTHER };

static inline HOT_INLINE int steady_flow(struct xgro_ctx *ctx,
					 uint32_t max_frames, struct flow *f,
					 const struct xgro_pkt *p,
					 unsigned mode, bool v6);

static inline HOT_INLINE int feed_steady(const struct steady_env *e,
					 const struct xgro_pkt *p,
					 unsigned mode, bool v6)
{
	const uint8_t *d = p->data;
	const unsigned l4_off = v6 ? T_L4_V6 : T_L4_V4;
	struct xgro_ctx *ctx = e->ctx;
	struct flow *f;
	uint32_t idx1;
	uint64_t a;
	uint32_t b;

	memcpy(&a, d + l4_off - 8, 8);
	memcpy(&b, d + l4_off, 4);
	/* fc_slot() */
	idx1 = e->fcache[((a + b + e->hseed) * XGRO_HASH_SEED_MUL) >>
			 e->fshift];
	if (__builtin_expect(!idx1, 0))
		return ST_MISS; /* nor will feed_cached() find it */
	f = &e->flows[idx1 - 1];
	/* the hints as feed_cached() takes them */
	if (p->flags && (((p->flags & XGRO_PKT_HASH) && p->hash != f->hash) ||
			 ((p->flags & XGRO_PKT_OFFSETS) &&
			  (p->l3_off != T_L3 || p->l4_off != l4_off))))
		return ST_OTHER;
	return steady_flow(ctx, e->max_frames, f, p, mode, v6);
}

/* What parse() would have said of a segment the steady path takes, as
 * far as the checksum code reads it (the fuzzer's cross-check adds the
 * rest); trust mode builds none. */
static inline struct pinfo steady_pinfo(unsigned l4_off, unsigned hl,
					unsigned g, bool v6)
{
	return (struct pinfo){
		.key.proto = PROTO_TCP,
		.l3_off = T_L3,
		.l4_off = (uint16_t)l4_off,
		.pay_off = (uint16_t)hl,
		.l3_len = hl + g - T_L3,
		.pay_len = g,
		.ipv6 = v6,
	};
}

/* feed_steady() once the flow is named, for large tables also (by the
 * flow hash and the bucket, feed_frame()) */
static inline HOT_INLINE int steady_flow(struct xgro_ctx *ctx,
					 uint32_t max_frames, struct flow *f,
					 const struct xgro_pkt *p,
					 unsigned mode, bool v6)
{
	const uint8_t *d = p->data, *l4, *m;
	const unsigned l4_off = v6 ? T_L4_V6 : T_L4_V4;
	uint32_t hl, g;
	uint16_t fold = 0, id = 0;
	struct seg *sg;

	hl = f->hdr_len;
	g = f->gso_size;
	m = steady_mask_of[v6][hl];
	if (f->tmpl != (v6 ? T_TCP6 : T_TCP4) || !m || p->len < hl + g ||
	    p->len < STEADY_LEN || !steady_equal(d, f->hdr, m))
		return ST_OTHER;
	if (!v6) {
		const uint8_t *l3 = d + T_L3;
		uint64_t x =
			(uint64_t)f->ip_sum + ldn32(l3 + 2) + ldn16(l3 + 10);

		id = ld16(l3 + 4);
		if (ldn16(l3 + 2) != f->full_len_n || x % 0xffff)
			return ST_OTHER;
		/* can_merge_state()'s rule for the ID */
		if (__builtin_expect(f->id_mode == ID_UNKNOWN, 0)) {
			if (id != f->next_id && id != f->first_id)
				return ST_OTHER;
		} else if (id !=
			   (f->id_mode == ID_INC ? f->next_id : f->first_id)) {
			return ST_OTHER;
		}
	} else if (ldn16(d + T_L3 + 4) != f->full_len_n) {
		return ST_OTHER;
	}
	l4 = d + l4_off;
	/* the same address, but not known to be: read from memory, not
	 * taken apart from the vectors the compare loaded (which took the
	 * compiler 8 instructions for the sequence number) */
	__asm__("" : "+r"(l4));
	if ((l4[13] & TCPF_PSH) || ld32(l4 + 4) != f->next_seq || !f->room ||
	    ctx->held_frames >= max_frames)
		return ST_OTHER;
	if (mode != XGRO_CSUM_TRUST) {
		struct pinfo pi = steady_pinfo(l4_off, hl, g, v6);

		if (mode == XGRO_CSUM_FOLD)
			fold = fold_payload_sum(d, &pi);
		else if (!l4_csum_ok(d, &pi))
			return ST_OTHER;
	}
#ifdef XGRO_PARSE_CROSSCHECK
	{
		struct pinfo pi = steady_pinfo(l4_off, hl, g, v6);

		pi.status = P_CANDIDATE;
		pi.tcp_flags = l4[13];
		steady_crosscheck(ctx, p, f, &pi);
	}
#endif
	/* merge() for this segment */
	if (!v6) {
		if (__builtin_expect(f->id_mode == ID_UNKNOWN, 0))
			f->id_mode = id == f->next_id ? ID_INC : ID_FIXED;
		f->next_id = (uint16_t)(id + 1);
	}
	f->next_seq += g;
	f->l3_len += g;
	f->room--;
	sg = seg_alloc(ctx, f);
	sg->handle = p->handle;
	sg->pay = d + hl;
	if (fold) {
		if ((flow_pay_total(f) - g) & 1)
			fold = bswap16_(fold);
		f->fold_sum += fold;
	}
	f->nsegs++;
	return ST_MERGED;
}

/* The merge step of one frame: fast_hash() said whether it may be the next
 * of a held flow (hash then set), else pi and hash are the parser's. */
static inline HOT_INLINE void feed_frame(struct xgro_ctx *ctx,
					 const struct xgro_pkt *p, bool more,
					 bool fast, uint32_t hash,
					 struct pinfo *pi, uint64_t now_ns)
{
	prefetch_next(ctx, p, more);
	if (fast) {
		/* a local, not pi: it can live in registers */
		struct pinfo fp;
		struct flow *f = fast_find(ctx, hash);

		/* the steady path first: for most frames of a bulk flow */
		if (f && p->len >= STEADY_LEN) {
			bool v6 = p->data[12] == 0x86;

			if (steady_flow(ctx, ctx->cfg.max_frames, f, p,
					ctx->cfg.csum_mode, v6) == ST_MERGED)
				return;
		}
		if (f && !fast_check(p, f, &fp))
			f = NULL;

#ifdef XGRO_PARSE_CROSSCHECK
		if (f)
			fast_crosscheck(ctx, p, hash, f, &fp);
#endif
		if (f && feed_fast(ctx, f, p, &fp))
			return;
		parse_hash(ctx, p, pi, &hash);
	}
	feed_one(ctx, p, pi, hash, now_ns);
}

/* A small table's frame that feed_cached() did not merge: the rest of
 * the fast path if it may still find the flow, else the slow path. Out of
 * line, to leave feed_cached() its registers; prefetch when feed_cached()
 * did not run. */
static __attribute__((noinline)) void
feed_uncached(struct xgro_ctx *ctx, const struct xgro_pkt *p, bool prefetch,
	      bool try_fast, uint64_t now_ns)
{
	struct pinfo pi;
	uint32_t hash;
	bool fa = try_fast && fast_hash(ctx, p, &hash);

	if (!fa)
		parse_hash(ctx, p, &pi, &hash);
	feed_frame(ctx, p, prefetch, fa, hash, &pi, now_ns);
}

/* A small table's frame that feed_steady() did not take. Out of line: the
 * steady loop keeps its registers. */
static __attribute__((noinline)) void
feed_small_rest(struct xgro_ctx *ctx, const struct xgro_pkt *p, bool try_fast,
		bool cached, bool prefetch, uint64_t now_ns)
{
	int r = FC_MISS;

	if (try_fast && cached)
		r = feed_cached(ctx, p);
	if (r != FC_MERGED)
		feed_uncached(ctx, p, prefetch, try_fast && r == FC_MISS,
			      now_ns);
}

/* The small tables' loop, one copy per checksum mode (a constant here),
 * so that trust mode's steady path has no test of the mode. */
static inline HOT_INLINE void feed_small(struct xgro_ctx *ctx,
					 const struct xgro_pkt *pkts,
					 unsigned n, uint64_t now_ns,
					 unsigned mode)
{
	const struct steady_env e = {
		.ctx = ctx,
		.fcache = ctx->fcache,
		.flows = ctx->flows,
		.hseed = ctx->hseed,
		.fshift = ctx->fshift,
		.max_frames = ctx->cfg.max_frames,
	};
	uint64_t bytes = 0;

	/* the headers, out of L1 when a burst comes in */
	for (unsigned i = 0; i < n; i++)
		prefetch_lines(pkts[i].data, 2);
	if (__builtin_expect(xgro_fast_path_off, 0)) {
		for (unsigned i = 0; i < n; i++) {
			bytes += pkts[i].len;
			feed_small_rest(ctx, &pkts[i], false, false, i + 1 < n,
					now_ns);
		}
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct xgro_pkt *p = &pkts[i];
		int r = ST_OTHER;

		bytes += p->len;
		if (mode == XGRO_CSUM_VERIFY)
			prefetch_next(ctx, p, i + 1 < n);
		if (__builtin_expect(p->len >= T_L4_V6 + 4, 1)) {
			if (p->data[12] == 0x86 && p->data[13] == 0xdd)
				r = feed_steady(&e, p, mode, true);
			else
				r = feed_steady(&e, p, mode, false);
		}
		if (__builtin_expect(r != ST_MERGED, 0))
			feed_small_rest(ctx, p, true, r != ST_MISS, false,
					now_ns);
	}
out:
	ctx->st.packets_in += n;
	ctx->st.bytes_in += bytes;
}

/* each its own function: inlined into xgro_feed() the loop shared its
 * registers with the large tables' code and spilled */
#define FEED_SMALL(name, mode)                                                 \
	static __attribute__((noinline)) void name(                            \
		struct xgro_ctx *ctx, const struct xgro_pkt *pkts, unsigned n, \
		uint64_t now_ns)                                               \
	{                                                                      \
		feed_small(ctx, pkts, n, now_ns, mode);                        \
	}
FEED_SMALL(feed_small_trust, XGRO_CSUM_TRUST)
FEED_SMALL(feed_small_fold, XGRO_CSUM_FOLD)
FEED_SMALL(feed_small_verify, XGRO_CSUM_VERIFY)

void xgro_feed(struct xgro_ctx *ctx, const struct xgro_pkt *pkts, unsigned n,
	       uint64_t now_ns)
{
	struct pinfo pi[GROUP];
	uint32_t hash[GROUP];
	uint8_t fast[GROUP];
	uint64_t bytes = 0;
	bool try_fast = !xgro_fast_path_off;

	if (ctx->cfg.max_flows <= SMALL_TABLE) {
		switch (ctx->cfg.csum_mode) {
		case XGRO_CSUM_TRUST:
			feed_small_trust(ctx, pkts, n, now_ns);
			break;
		case XGRO_CSUM_FOLD:
			feed_small_fold(ctx, pkts, n, now_ns);
			break;
		default:
			feed_small_verify(ctx, pkts, n, now_ns);
			break;
		}
		return;
	}
	for (unsigned base = 0; base < n; base += GROUP) {
		unsigned g = n - base < GROUP ? n - base : GROUP;

		/* the headers too: a frame out of L2 stalled the hash */
		for (unsigned i = 0; i < g; i++)
			prefetch_lines(pkts[base + i].data, 2);
		for (unsigned i = 0; i < g; i++) {
			const struct xgro_pkt *p = &pkts[base + i];

			bytes += p->len;
			fast[i] = try_fast && fast_hash(ctx, p, &hash[i]);
			if (!fast[i]) {
				parse_hash(ctx, p, &pi[i], &hash[i]);
				if (pi[i].status != P_CANDIDATE &&
				    pi[i].status != P_UNMERGEABLE)
					continue;
			}
			__builtin_prefetch(&ctx->buckets[hash[i] & ctx->mask]);
		}
		for (unsigned i = 0; i < g; i++) {
			const struct bucket *b;

			if (!fast[i] && pi[i].status != P_CANDIDATE &&
			    pi[i].status != P_UNMERGEABLE)
				continue;
			b = &ctx->buckets[hash[i] & ctx->mask];
			if (b->idx1) {
				const uint8_t *fl =
					(const uint8_t *)&ctx
						->flows[b->idx1 - 1];

				prefetch_lines(fl, FLOW_HOT_LINES);
			}
		}
		for (unsigned i = 0; i < g; i++)
			feed_frame(ctx, &pkts[base + i], base + i + 1 < n,
				   fast[i], hash[i], &pi[i], now_ns);
	}
	ctx->st.packets_in += n;
	ctx->st.bytes_in += bytes;
}

/* ---- burst ---- */

/* the context of XGRO_BURST_MAX flows and frames, its flow cache (4 KiB)
 * included, on the stack */
#define BURST_MEM (72 * 1024)

int xgro_burst(const struct xgro_engine_config *cfg,
	       const struct xgro_pkt *pkts, unsigned n, xgro_emit_fn emit,
	       void *user, struct xgro_engine_stats *stats)
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
	return reason < sizeof(flush_names) / sizeof(flush_names[0])
		       ? flush_names[reason]
		       : "?";
}

const char *xgro_alone_reason_name(unsigned reason)
{
	return reason < sizeof(alone_names) / sizeof(alone_names[0])
		       ? alone_names[reason]
		       : "?";
}
