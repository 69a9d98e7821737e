/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* An emit callback that keeps a copy of every engine output. */
#ifndef XGRO_RECORD_H
#define XGRO_RECORD_H

#include "xgro_engine.h"

struct rec_out {
	struct virtio_net_hdr vnet;
	uint8_t kind, reason;
	uint16_t segs;
	uint32_t flags;
	uint16_t l3_off, l4_off;
	uint32_t len;
	uint8_t *bytes; /* the frame, header and payload joined */
	uint64_t handles[XGRO_MAX_SEGS];
	uint32_t nhandles;
	uint32_t hdr_len; /* iov[1] length */
};

struct rec {
	struct rec_out *v;
	size_t n, cap;
};

void rec_emit(void *user, const struct xgro_out *out);
void rec_reset(struct rec *r);
/* Rebuilds an xgro_out (one payload piece) from a record, to segment it. */
void rec_as_out(const struct rec_out *o, struct xgro_out *out,
		struct iovec iov[3]);
/* 1 if the L4 checksum of a recorded frame is right: completed first when
 * NEEDS_CSUM. Also checks the IPv4 header checksum and lengths. */
int rec_csum_ok(const struct rec_out *o);

#endif
