/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The conformance cases: what Linux 6.18's GRO merges (net/core/gro.c,
 * net/ipv4/tcp_offload.c, net/ipv6/ip6_offload.c, include/net/gro.h), case
 * by case after tools/testing/selftests/net/gro.c, each with the TCP
 * payload sizes the kernel delivers. Written from the kernel's rules; the
 * selftest's code is not ours. Shared by the engine's table
 * (tests/unit/test_conform.c) and the end-to-end one (tests/e2e/conform.c).
 */
#ifndef XGRO_CONFORM_H
#define XGRO_CONFORM_H

#include <stddef.h>
#include <stdint.h>

#include "pktgen.h"

#define CF_MAX_FRAMES 48 /* 45 segments of 1448 bytes and two more */
#define CF_MAX_OUT 8
#define CF_FRAME 4200	  /* the selftest's 4036-byte MSS and headers */
#define CF_PAYLOAD 100	  /* the selftest's PAYLOAD_LEN */
#define CF_MSS_LARGE 4036 /* its MSS for the 64 KB cases */

struct cf_build {
	int family;	/* 4 or 6 */
	unsigned mss;	/* of the 64 KB cases: CF_MSS_LARGE, or less for a
			 * link whose MTU is smaller */
	uint16_t sport; /* one flow per case */
	uint8_t dmac[6], smac[6];
	struct pg_flow f; /* the case's flow, as the next frame will be */
	int n;
	size_t len[CF_MAX_FRAMES];
	uint8_t frame[CF_MAX_FRAMES][CF_FRAME];
	int want[CF_MAX_OUT]; /* the kernel's payload sizes, in order */
	int nwant;
};

struct cf_case {
	const char *group; /* the selftest's test name: data, ack, ... */
	const char *name;
	unsigned families; /* CF_V4 | CF_V6 */
	void (*build)(struct cf_build *b);
};
#define CF_V4 1u
#define CF_V6 2u

extern const struct cf_case cf_cases[];
extern const size_t cf_ncases;

/* Builds case c for b->family (b->mss, b->sport and the MACs set by the
 * caller; zero MACs take pktgen's). Returns 0, or -EINVAL when the case is
 * not for that family. */
int cf_build(const struct cf_case *c, struct cf_build *b);

/* The TCP payload bytes of a frame, from its IP lengths (Ethernet padding
 * not counted); -1 when it is not TCP over IPv4/IPv6. *sport and *fin,
 * when not NULL, get the source port and the FIN flag. */
int cf_payload(const uint8_t *frame, size_t len, uint16_t *sport, int *fin);

/* "{200 100}" of n sizes into buf. */
const char *cf_sizes(const int *v, int n, char *buf, size_t cap);

#endif
