/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Engine internals shared by its source files; not part of the API. */
#ifndef XGRO_ENGINE_INTERNAL_H
#define XGRO_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <string.h>

#include "xgro_engine.h"

#define ETH_HLEN_ 14
#define TPID_8021Q 0x8100
#define TPID_8021AD 0x88a8
#define ETYPE_IPV4 0x0800
#define ETYPE_IPV6 0x86dd
#define PROTO_TCP 6
#define PROTO_UDP 17

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

/* What the parser concluded about a frame. */
enum pstatus {
	P_CANDIDATE,   /* may merge, if its flow rules and checksum allow */
	P_UNMERGEABLE, /* belongs to a flow (key valid) but never merges */
	P_NOT_FLOW,    /* not TCP/UDP over plain IP: no flow to flush */
	P_MALFORMED,
	P_IP_CSUM_BAD,
};

struct pinfo {
	struct xgro_flow_key key;
	uint16_t l3_off;
	uint16_t l4_off;
	uint16_t pay_off; /* L2..L4 header bytes */
	uint16_t pad;
	uint32_t l3_len; /* IP packet length, Ethernet padding excluded */
	uint32_t pay_len;
	uint8_t status; /* enum pstatus */
	uint8_t tcp_flags;
	uint8_t ipv6;
	uint8_t pad2;
	uint32_t pad3; /* no implicit padding: the fuzzer compares whole structs
			*/
};
_Static_assert(sizeof(struct pinfo) == 72, "pinfo has no hidden padding");

/* The checksum's implementations; xgro_csum_partial() takes the best this
 * CPU has. Exported for the benchmark and the tests. */
uint32_t xgro_csum_scalar(const void *buf, size_t len, uint32_t sum);
uint32_t xgro_csum_avx2(const void *buf, size_t len, uint32_t sum);
bool xgro_csum_have_avx2(void);

/* Tests only: every frame takes the slow path, to compare the two. */
extern bool xgro_fast_path_off;

/* Network-order loads as one load and a byte swap: built from single
 * bytes, the compiler took them from a vector the template compare had
 * loaded, spilled to the stack byte by byte. */
static inline uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap16(v);
#endif
	return v;
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline void st16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void st32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Native-order 16-bit value for checksum arithmetic. */
static inline uint16_t ldn16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static inline uint32_t ldn32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline void stn16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Ones' complement sum of n 32-bit words, unfolded: the fixed-size
 * headers (IPv4, pseudo-headers) take this instead of the generic loop. */
static inline uint64_t sum32(const uint8_t *p, unsigned n)
{
	uint64_t s = 0;

	for (unsigned i = 0; i < n; i++) {
		uint32_t w;

		memcpy(&w, p + 4 * i, 4);
		s += w;
	}
	return s;
}

static inline uint16_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* xgro_csum_fold(), inlined: a call to it was a fifth of finish_header(). */
static inline uint16_t fold32(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Pseudo-header sum for the L3 header at l3 and an L4 length. */
static inline uint32_t xgro_pseudo_sum(const uint8_t *l3, bool ipv6,
				       uint8_t proto, uint32_t l4_len)
{
	/* IPv6 length is 32 bits; ours always fits 16 */
	uint8_t tail[4] = { 0, proto, (uint8_t)(l4_len >> 8), (uint8_t)l4_len };
	uint64_t s = ipv6 ? sum32(l3 + 8, 8) : sum32(l3 + 12, 2);

	s += sum32(tail, 1);
	return fold64(s);
}

#endif
