// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * libFuzzer target over the parser, the engine and the segmenter.
 *
 * Input: 8 configuration bytes, then operations. Every frame is copied into
 * a heap block of exactly its length, so ASan catches any read past it, and
 * freed the moment the engine hands its handle back, so ASan also catches
 * an engine that touches a frame it has released. At the end every frame
 * must have been handed back exactly once.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xgro_engine.h"

#define MAXFRAMES 4096
#define BATCH 64

static uint8_t *live[MAXFRAMES]; /* frame buffers not yet handed back */
static unsigned nlive, nframes;
static uint8_t segbuf[70000];

static int seg_frame(void *user, const uint8_t *f, size_t len)
{
	(void)user;
	if (len > sizeof(segbuf) || (len && !f))
		abort();
	return 0;
}

static void emit(void *user, const struct xgro_out *o)
{
	size_t sum = 0;

	(void)user;
	if (o->iovcnt < 2 || o->iovcnt > 2 + XGRO_MAX_SEGS ||
	    o->nhandles != o->segs || !o->nhandles ||
	    o->nhandles > XGRO_MAX_SEGS)
		abort();
	for (uint32_t i = 1; i < o->iovcnt; i++) {
		const volatile uint8_t *p = o->iov[i].iov_base;

		/* touch the first and last byte of every piece */
		if (o->iov[i].iov_len) {
			(void)p[0];
			(void)p[o->iov[i].iov_len - 1];
		}
		sum += o->iov[i].iov_len;
	}
	if (sum != o->len)
		abort();
	if (o->kind == XGRO_OUT_MERGED && o->segs > 1 &&
	    (o->len - o->l3_off > XGRO_MAX_L3_LEN + 40u || !o->vnet.gso_size))
		abort();
	/* cutting it back must work for any super-packet we emit */
	if (xgro_segment(o, segbuf, sizeof(segbuf), seg_frame, NULL) < 0 &&
	    o->kind == XGRO_OUT_MERGED && o->segs > 1)
		abort();
	for (uint32_t i = 0; i < o->nhandles; i++) {
		uint64_t h = o->handles[i];

		if (h >= MAXFRAMES || !live[h])
			abort(); /* unknown or handed back twice */
		free(live[h]);
		live[h] = NULL;
		nlive--;
	}
}

struct in {
	const uint8_t *p;
	size_t n;
};

static unsigned take(struct in *in, unsigned bytes)
{
	unsigned v = 0;

	for (unsigned i = 0; i < bytes; i++) {
		v = v << 8 | (in->n ? *in->p : 0);
		if (in->n) {
			in->p++;
			in->n--;
		}
	}
	return v;
}

static void config_from(struct in *in, struct xgro_engine_config *c)
{
	unsigned v;

	memset(c, 0, sizeof(*c));
	c->csum_mode = take(in, 1) % 3;
	v = take(in, 1);
	/* past 128 flows the engine takes frames in prefetch groups, below
	 * in one pass (SMALL_TABLE in user/engine/engine.c): both */
	c->max_flows = 1 + v % 16 + (v & 0x80 ? 128 : 0);
	c->max_frames = 1 + take(in, 1) % 64;
	c->max_segs = 1 + take(in, 1) % XGRO_MAX_SEGS;
	c->max_size = take(in, 2);
	c->protos = take(in, 1) % 4;
	c->no_udp_gso = take(in, 1) & 1;
	c->set_dst_mac = c->no_udp_gso ? 0 : 1;
	c->flush_ns = 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct in in = { data, size };
	struct xgro_engine_config cfg;
	struct xgro_pkt batch[BATCH];
	struct xgro_ctx *ctx;
	struct xgro_engine_stats bst; /* frames that went through xgro_burst */
	unsigned nb = 0;
	uint64_t now = 0;

	memset(&bst, 0, sizeof(bst));

	config_from(&in, &cfg);
	if (xgro_ctx_create(&cfg, emit, NULL, &ctx))
		return 0;
	nlive = nframes = 0;
	while (in.n && nframes < MAXFRAMES) {
		unsigned op = take(&in, 1);

		if (op < 200) { /* a frame of op + extra bytes */
			unsigned len =
				op < 100 ? op : 100 + take(&in, 2) % 1600;
			struct xgro_pkt *p = &batch[nb++];
			uint8_t *buf;

			if (len > in.n)
				len = (unsigned)in.n;
			buf = malloc(len ? len : 1);
			if (!buf)
				abort();
			memcpy(buf, in.p, len);
			in.p += len;
			in.n -= len;
			memset(p, 0, sizeof(*p));
			p->data = buf;
			p->len = len;
			p->handle = nframes;
			if (op & 1) { /* hints, possibly lying */
				p->flags = (uint16_t)(op & 6) >> 1;
				p->hash = op * 2654435761u;
				p->l3_off = (uint16_t)(14 + 4 * (op % 3));
				p->l4_off = (uint16_t)(p->l3_off + 20);
			}
			live[nframes++] = buf;
			nlive++;
		}
		if (nb == BATCH || op >= 200 || !in.n || nframes == MAXFRAMES) {
			if (op >= 250 && nb) {
				if (xgro_burst(&cfg, batch, nb, emit, NULL,
					       &bst))
					abort();
			} else {
				xgro_feed(ctx, batch, nb, now);
			}
			nb = 0;
		}
		switch (op) {
		case 200 ... 219:
			now += (op - 200) * 100;
			xgro_flush_expired(ctx, now);
			break;
		case 220 ... 229:
			xgro_flush_to(ctx, op - 220);
			if (xgro_held_frames(ctx) > op - 220)
				abort();
			break;
		case 230:
			xgro_flush_all(ctx);
			break;
		case 231 ... 240:
			cfg.csum_mode = (op - 231) % 3;
			cfg.max_size = 1000u * (op - 230);
			if (xgro_ctx_reconfigure(ctx, &cfg))
				abort();
			break;
		default:
			break;
		}
	}
	xgro_flush_all(ctx);
	{
		const struct xgro_engine_stats *st = xgro_stats(ctx);

		if (nlive || xgro_held_frames(ctx) ||
		    st->packets_in + bst.packets_in != nframes ||
		    st->segments_merged + st->packets_out -
				    st->superpackets_out !=
			    st->packets_in ||
		    bst.segments_merged + bst.packets_out -
				    bst.superpackets_out !=
			    bst.packets_in)
			abort();
	}
	xgro_ctx_destroy(ctx);
	return 0;
}
