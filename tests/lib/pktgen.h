/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Builds test frames with correct lengths and checksums. */
#ifndef XGRO_PKTGEN_H
#define XGRO_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pg_flow {
	int family; /* 4 or 6 */
	int proto;  /* 6 or 17 */
	uint8_t dmac[6], smac[6];
	int nvlan;
	uint16_t vlan_tpid[2], vlan_tci[2];
	uint8_t saddr[16], daddr[16];
	uint16_t sport, dport;
	uint8_t tos, ttl;
	bool df;
	uint32_t flowlabel;
	uint16_t ip_id;
	uint8_t ipopts[40];
	int ipoptlen;	      /* multiple of 4 */
	bool mf;	      /* IPv4 more-fragments */
	uint16_t frag_off;    /* IPv4 fragment offset in 8-byte units */
	uint8_t v6_ext;	      /* IPv6: one extension header first, PG_EXT_* */
	uint8_t v6_ext_units; /* its length in 8-byte units (0: 1) */
	uint8_t v6_ext_fill;  /* the bytes after its first four */
	uint32_t seq, ack;
	uint16_t window;
	uint8_t flags;
	uint8_t opts[40];
	int optlen; /* multiple of 4 */
	int pad;    /* Ethernet padding bytes after the IP packet */
	bool udp_zero_csum;
};

enum { /* pg_flow.v6_ext */
       PG_EXT_NONE,
       PG_EXT_DSTOPTS,	/* destination options, one PadN */
       PG_EXT_HBH,	/* hop-by-hop options, one PadN */
       PG_EXT_ROUTING,	/* routing header type 4, segments left 0 */
       PG_EXT_FRAGMENT, /* an atomic fragment: offset 0, no MF */
};

/* Fills a flow with defaults: TCP/IPv4 10.0.0.1:1000 -> 10.0.0.2:2000,
 * ACK, DF, TTL 64, incrementing IDs. `n` varies the ports. */
void pg_init(struct pg_flow *f, int family, int proto, unsigned n);

/* Builds a frame; returns its length or 0 if it does not fit cap. */
size_t pg_build(const struct pg_flow *f, const uint8_t *payload, size_t plen,
		uint8_t *out, size_t cap);

/* Payload byte i of a flow's stream, so that any slice can be checked. */
static inline uint8_t pg_byte(unsigned flow, uint64_t off)
{
	uint64_t x = (off + 1) * 0x9e3779b97f4a7c15ull ^ (flow * 0x85ebca6bu);

	return (uint8_t)(x >> 56);
}

void pg_fill(unsigned flow, uint64_t off, uint8_t *dst, size_t len);

/* Offsets of a frame built by pg_build. */
size_t pg_l3_off(const struct pg_flow *f);
size_t pg_l4_off(const struct pg_flow *f);

#endif
