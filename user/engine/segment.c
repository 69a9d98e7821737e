// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * GSO in software: cuts an engine output back into wire frames with full
 * checksums, as the kernel's segmentation would. The tests use it to show
 * that segment(merge(x)) == x; the sink falls back to it where the kernel
 * refuses a GSO write.
 */
#include <errno.h>

#include "internal.h"

/* Copies len bytes of the payload stream, from iov[*idx] at byte *off. */
static void gather(const struct iovec *iov, uint32_t iovcnt, uint32_t *idx,
		   size_t *off, uint8_t *dst, size_t len)
{
	while (len && *idx < iovcnt) {
		size_t avail = iov[*idx].iov_len - *off;
		size_t n = avail < len ? avail : len;

		memcpy(dst, (const uint8_t *)iov[*idx].iov_base + *off, n);
		dst += n;
		len -= n;
		*off += n;
		if (*off == iov[*idx].iov_len) {
			(*idx)++;
			*off = 0;
		}
	}
}

/* Completes a NEEDS_CSUM checksum: the field holds the pseudo-header sum. */
static int complete_csum(uint8_t *f, size_t len, uint32_t start, uint32_t off)
{
	uint16_t c;

	if (start + off + 2 > len)
		return -EINVAL;
	c = (uint16_t)~xgro_csum_fold(
		xgro_csum_partial(f + start, len - start, 0));
	stn16(f + start + off, c);
	return 0;
}

static int whole(const struct xgro_out *out, uint8_t *buf, size_t buflen,
		 xgro_frame_fn frame, void *user)
{
	uint32_t idx = 1;
	size_t off = 0;
	int err;

	if (out->len > buflen)
		return -ENOSPC;
	gather(out->iov, out->iovcnt, &idx, &off, buf, out->len);
	if (out->vnet.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		err = complete_csum(buf, out->len, out->vnet.csum_start,
				    out->vnet.csum_offset);
		if (err)
			return err;
	}
	err = frame(user, buf, out->len);
	return err < 0 ? err : 1;
}

int xgro_segment(const struct xgro_out *out, uint8_t *buf, size_t buflen,
		 xgro_frame_fn frame, void *user)
{
	const struct virtio_net_hdr *v;
	uint32_t hdr_len, gso, l3, l4, idx = 2, pay, pos, ihl = 0;
	const uint8_t *h;
	bool tcp, ipv6;
	uint16_t id0 = 0;
	uint32_t seq0 = 0;
	uint8_t flags0 = 0;
	size_t off = 0;
	int k;

	if (!out || !buf || !frame || out->iovcnt < 2)
		return -EINVAL;
	/* only now may out be read */
	v = &out->vnet;
	hdr_len = v->hdr_len;
	gso = v->gso_size;
	l3 = out->l3_off;
	l4 = out->l4_off;
	if (v->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return whole(out, buf, buflen, frame, user);
	tcp = v->gso_type == VIRTIO_NET_HDR_GSO_TCPV4 ||
	      v->gso_type == VIRTIO_NET_HDR_GSO_TCPV6;
	if (!tcp && v->gso_type != VIRTIO_NET_HDR_GSO_UDP_L4)
		return -EINVAL;
	h = out->iov[1].iov_base;
	if (!gso || out->iov[1].iov_len != hdr_len || out->len < hdr_len ||
	    l3 + 20 > l4 || l4 + (tcp ? 20u : 8u) > hdr_len)
		return -EINVAL;
	if (hdr_len + gso > buflen)
		return -ENOSPC;
	ipv6 = (h[l3] >> 4) == 6;
	if (ipv6 && l3 + 40 > l4)
		return -EINVAL;
	if (!ipv6) {
		ihl = (uint32_t)(h[l3] & 0xf) * 4;
		if (ihl < 20 || l3 + ihl > l4)
			return -EINVAL;
		id0 = ld16(h + l3 + 4);
	}
	if (tcp) {
		seq0 = ld32(h + l4 + 4);
		flags0 = h[l4 + 13];
	}
	pay = out->len - hdr_len;
	for (pos = 0, k = 0; pos < pay || (!pay && !k); k++) {
		uint32_t n = pay - pos < gso ? pay - pos : gso;
		uint32_t l4_len = hdr_len - l4 + n;
		bool last = pos + n >= pay;
		uint8_t *l3p = buf + l3, *l4p = buf + l4;
		uint32_t s;
		int err;

		memcpy(buf, h, hdr_len);
		gather(out->iov, out->iovcnt, &idx, &off, buf + hdr_len, n);
		if (!ipv6) {
			uint16_t id = out->flags & XGRO_OUT_FIXEDID
					      ? id0
					      : (uint16_t)(id0 + k);

			st16(l3p + 2, (uint16_t)(l4 - l3 + l4_len));
			st16(l3p + 4, id);
			stn16(l3p + 10, 0);
			stn16(l3p + 10,
			      (uint16_t)~xgro_csum_fold(
				      xgro_csum_partial(l3p, ihl, 0)));
		} else {
			st16(l3p + 4, (uint16_t)(l4 - l3 - 40 + l4_len));
		}
		s = xgro_pseudo_sum(l3p, ipv6, tcp ? PROTO_TCP : PROTO_UDP,
				    l4_len);
		if (tcp) {
			st32(l4p + 4, seq0 + pos);
			l4p[13] = last ? flags0
				       : (uint8_t)(flags0 &
						   ~(TCPF_PSH | TCPF_FIN));
			stn16(l4p + 16, 0);
			s = xgro_csum_partial(l4p, l4_len, s);
			stn16(l4p + 16, (uint16_t)~xgro_csum_fold(s));
		} else {
			uint16_t c;

			st16(l4p + 4, (uint16_t)l4_len);
			stn16(l4p + 6, 0);
			s = xgro_csum_partial(l4p, l4_len, s);
			c = (uint16_t)~xgro_csum_fold(s);
			stn16(l4p + 6, c ? c : 0xffff);
		}
		err = frame(user, buf, hdr_len + n);
		if (err < 0)
			return err;
		pos += n;
	}
	return k;
}
