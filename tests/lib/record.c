// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>

#include "record.h"

void rec_emit(void *user, const struct xgro_out *out)
{
	struct rec *r = user;
	struct rec_out *o;
	size_t off = 0;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			abort();
	}
	o = &r->v[r->n++];
	memset(o, 0, sizeof(*o));
	o->vnet = out->vnet;
	o->kind = out->kind;
	o->reason = out->reason;
	o->segs = out->segs;
	o->flags = out->flags;
	o->l3_off = out->l3_off;
	o->l4_off = out->l4_off;
	o->len = out->len;
	o->hdr_len = (uint32_t)out->iov[1].iov_len;
	o->bytes = malloc(out->len ? out->len : 1);
	if (!o->bytes || out->nhandles > XGRO_MAX_SEGS)
		abort();
	for (uint32_t i = 1; i < out->iovcnt; i++) {
		if (off + out->iov[i].iov_len > out->len)
			abort(); /* the pieces must add up to len */
		memcpy(o->bytes + off, out->iov[i].iov_base,
		       out->iov[i].iov_len);
		off += out->iov[i].iov_len;
	}
	if (off != out->len || out->iov[0].iov_base != &out->vnet ||
	    out->iov[0].iov_len != sizeof(out->vnet))
		abort();
	memcpy(o->handles, out->handles, out->nhandles * sizeof(uint64_t));
	o->nhandles = out->nhandles;
}

void rec_reset(struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].bytes);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

void rec_as_out(const struct rec_out *o, struct xgro_out *out,
		struct iovec iov[3])
{
	memset(out, 0, sizeof(*out));
	out->vnet = o->vnet;
	out->kind = o->kind;
	out->segs = o->segs;
	out->len = o->len;
	out->flags = o->flags;
	out->l3_off = o->l3_off;
	out->l4_off = o->l4_off;
	iov[0].iov_base = &out->vnet;
	iov[0].iov_len = sizeof(out->vnet);
	iov[1].iov_base = o->bytes;
	iov[1].iov_len = o->hdr_len;
	iov[2].iov_base = o->bytes + o->hdr_len;
	iov[2].iov_len = o->len - o->hdr_len;
	out->iov = iov;
	out->iovcnt = 3;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int rec_csum_ok(const struct rec_out *o)
{
	const uint8_t *d = o->bytes, *l3 = d + o->l3_off;
	uint32_t l3len, l4len, s;
	uint8_t ph[40], proto;
	int v6;

	if (o->kind != XGRO_OUT_MERGED || o->l4_off <= o->l3_off)
		return 0;
	v6 = (l3[0] >> 4) == 6;
	if (!v6) {
		if (xgro_csum_fold(xgro_csum_partial(l3, 20, 0)) != 0xffff)
			return 0;
		l3len = rd16(l3 + 2);
		proto = l3[9];
		memcpy(ph, l3 + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		s = 12;
	} else {
		uint32_t off = 40;

		l3len = 40u + rd16(l3 + 4);
		proto = l3[6];
		/* the extension headers the engine merges over */
		while ((proto == 0 || proto == 43 || proto == 60) &&
		       o->l3_off + off < o->l4_off) {
			proto = l3[off];
			off += 8u * (l3[off + 1] + 1u);
		}
		memcpy(ph, l3 + 8, 32);
		s = 40;
	}
	if (o->l3_off + l3len != o->len)
		return 0;
	l4len = l3len - (o->l4_off - o->l3_off);
	if (!v6) {
		ph[10] = (uint8_t)(l4len >> 8);
		ph[11] = (uint8_t)l4len;
	} else {
		memset(ph + 32, 0, 8);
		ph[34] = (uint8_t)(l4len >> 8);
		ph[35] = (uint8_t)l4len;
		ph[39] = proto;
	}
	if (proto == 17 && rd16(d + o->l4_off + 4) != l4len)
		return 0;
	if (o->vnet.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		/* the field must hold exactly the folded pseudo-header sum */
		uint16_t want = xgro_csum_fold(xgro_csum_partial(ph, s, 0)),
			 got;

		memcpy(&got, d + o->vnet.csum_start + o->vnet.csum_offset, 2);
		if (o->vnet.csum_start != o->l4_off || got != want)
			return 0;
		/* the payload itself was verified segment by segment */
		return 1;
	}
	return xgro_csum_fold(xgro_csum_partial(d + o->l4_off, l4len,
						xgro_csum_partial(ph, s, 0))) ==
	       0xffff;
}
