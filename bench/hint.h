/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The metadata the XDP program writes in front of a steered frame (struct
 * xgro_meta: the flow hash with the configured seed, L3 and L4 offsets),
 * made for the benchmark's untagged TCP/IPv4 frames, untimed, the way
 * DPDK's rows get their l2/l3/l4 lengths and packet type.
 */
#ifndef XGRO_BENCH_HINT_H
#define XGRO_BENCH_HINT_H

#include <string.h>

#include "xgro_engine.h"

static inline void bench_hint(struct xgro_pkt *p, uint32_t seed)
{
	struct xgro_flow_key k = { .family = 4, .proto = 6 };

	memcpy(&k.saddr[0], p->data + 26, 4);
	memcpy(&k.daddr[0], p->data + 30, 4);
	memcpy(&k.sport, p->data + 34, 2);
	memcpy(&k.dport, p->data + 36, 2);
	p->hash = xgro_flow_hash(&k, seed);
	p->l3_off = 14;
	p->l4_off = 34;
	p->flags = XGRO_PKT_HASH | XGRO_PKT_OFFSETS;
}

#endif
