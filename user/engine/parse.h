/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Frame classifier, included by engine.c only: it is inlined into the
 * per-packet loop, so the parse result never goes through memory. Every read is
 * bounded by the frame length; a frame that lies about a length is malformed
 * and goes out alone. The parser decides only what a frame is; whether it
 * merges with a held flow is the engine's business.
 */
#ifndef XGRO_PARSE_H
#define XGRO_PARSE_H

#include "internal.h"

#define PARSE_INLINE static inline __attribute__((always_inline))

#define IP6_HBH 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_AH 51
#define IP6_DSTOPTS 60
#define IP6_MAX_EXT 8

PARSE_INLINE void set_ports(struct pinfo *pi, const uint8_t *l4)
{
	memcpy(&pi->key.sport, l4, 2);
	memcpy(&pi->key.dport, l4 + 2, 2);
}

/* Declared ahead: extension headers the kernel merges end in parse_l4. */
PARSE_INLINE void parse_l4(const uint8_t *d, uint32_t l3_end, uint32_t protos,
			   bool udp_gso, bool plain_ip, struct pinfo *pi);

/*
 * Walks IPv6 extension headers. Linux's GRO (ipv6_gro_receive, 6.18) steps
 * over hop-by-hop, routing and destination options (the ones
 * ipv6_gso_pull_exthdrs pulls) and merges segments whose extension headers
 * are byte for byte the same; it has no GRO for a fragment header or AH,
 * so those only attribute the frame to its flow. A routing header with
 * segments left is not merged: its pseudo-header names the final
 * destination, which the merged checksum would not.
 */
static void ipv6_ext_walk(const uint8_t *d, uint32_t end, uint32_t off,
			  uint8_t nh, uint32_t protos, bool udp_gso,
			  struct pinfo *pi)
{
	bool plain = true;

	for (int i = 0; i < IP6_MAX_EXT; i++) {
		uint32_t hl;

		if ((nh == PROTO_TCP || nh == PROTO_UDP) && plain) {
			pi->key.proto = nh;
			pi->l4_off = (uint16_t)off;
			parse_l4(d, end, protos, udp_gso, true, pi);
			/* a flow keeps its header in XGRO_MAX_HDR bytes */
			if (pi->status == P_CANDIDATE &&
			    pi->pay_off > XGRO_MAX_HDR)
				pi->status = P_UNMERGEABLE;
			return;
		}
		if (nh == PROTO_TCP || nh == PROTO_UDP) {
			if (off + 4 > end)
				break;
			pi->key.proto = nh;
			set_ports(pi, d + off);
			pi->status = P_UNMERGEABLE;
			return;
		}
		if (off + 8 > end)
			break;
		switch (nh) {
		case IP6_HBH:
		case IP6_DSTOPTS:
			hl = ((uint32_t)d[off + 1] + 1) * 8;
			break;
		case IP6_ROUTING:
			hl = ((uint32_t)d[off + 1] + 1) * 8;
			if (d[off + 3])
				plain = false;
			break;
		case IP6_AH:
			hl = ((uint32_t)d[off + 1] + 2) * 4;
			plain = false;
			break;
		case IP6_FRAGMENT:
			if (ld16(d + off + 2) & 0xfff8)
				goto not_flow; /* no L4 header here */
			hl = 8;
			plain = false;
			break;
		default:
			goto not_flow;
		}
		nh = d[off];
		off += hl;
	}
not_flow:
	pi->status = P_NOT_FLOW;
}

PARSE_INLINE void parse_l4(const uint8_t *d, uint32_t l3_end, uint32_t protos,
			   bool udp_gso, bool plain_ip, struct pinfo *pi)
{
	uint32_t l4 = pi->l4_off;
	uint8_t proto = pi->key.proto;

	if (proto == PROTO_TCP) {
		uint32_t hl;
		uint8_t f;

		if (l4 + 20 > l3_end)
			goto malformed;
		hl = (uint32_t)(d[l4 + 12] >> 4) * 4;
		if (hl < 20 || l4 + hl > l3_end)
			goto malformed;
		set_ports(pi, d + l4);
		pi->pay_off = (uint16_t)(l4 + hl);
		pi->pay_len = l3_end - (l4 + hl);
		f = d[l4 + 13];
		pi->tcp_flags = f;
		if (!plain_ip || !(protos & XGRO_PROTO_TCP) || !pi->pay_len ||
		    !(f & TCPF_ACK) ||
		    (f &
		     (TCPF_SYN | TCPF_FIN | TCPF_RST | TCPF_URG | TCPF_CWR)))
			pi->status = P_UNMERGEABLE;
		else
			pi->status = P_CANDIDATE;
		return;
	}
	if (proto == PROTO_UDP) {
		uint32_t ulen;

		if (l4 + 8 > l3_end)
			goto malformed;
		ulen = ld16(d + l4 + 4);
		if (ulen < 8 || l4 + ulen > l3_end)
			goto malformed;
		set_ports(pi, d + l4);
		pi->pay_off = (uint16_t)(l4 + 8);
		pi->pay_len = ulen - 8;
		/* a zero checksum (IPv4: none; IPv6: invalid) never merges,
		 * nor does a datagram shorter than its IP packet */
		if (!plain_ip || !(protos & XGRO_PROTO_UDP) || !udp_gso ||
		    !pi->pay_len || l4 + ulen != l3_end || !ldn16(d + l4 + 6))
			pi->status = P_UNMERGEABLE;
		else
			pi->status = P_CANDIDATE;
		return;
	}
	pi->status = P_NOT_FLOW;
	return;
malformed:
	pi->status = P_MALFORMED;
}

PARSE_INLINE void parse_ipv4(const uint8_t *d, uint32_t len, uint32_t protos,
			     bool udp_gso, struct pinfo *pi)
{
	uint32_t l3 = pi->l3_off, ihl, tot;
	uint16_t frag;
	bool plain;

	if (l3 + 20 > len || (d[l3] >> 4) != 4)
		goto malformed;
	ihl = (uint32_t)(d[l3] & 0xf) * 4;
	tot = ld16(d + l3 + 2);
	if (ihl < 20 || l3 + ihl > len || tot < ihl || l3 + tot > len)
		goto malformed;
	if (fold64(sum32(d + l3, ihl / 4)) != 0xffff) {
		pi->status = P_IP_CSUM_BAD;
		return;
	}
	pi->key.family = 4;
	pi->key.proto = d[l3 + 9];
	memcpy(&pi->key.saddr[0], d + l3 + 12, 4);
	memcpy(&pi->key.daddr[0], d + l3 + 16, 4);
	pi->l3_len = tot;
	pi->l4_off = (uint16_t)(l3 + ihl);
	frag = ld16(d + l3 + 6);
	if (frag & 0x1fff) { /* not the first fragment: no L4 header */
		pi->status = P_NOT_FLOW;
		return;
	}
	if (frag & 0x2000) { /* first fragment: L4 lengths cover more */
		bool ports = (pi->key.proto == PROTO_TCP ||
			      pi->key.proto == PROTO_UDP) &&
			     l3 + ihl + 4 <= l3 + tot;

		if (ports)
			set_ports(pi, d + l3 + ihl);
		pi->status = ports ? P_UNMERGEABLE : P_NOT_FLOW;
		return;
	}
	plain = ihl == 20;
	parse_l4(d, l3 + tot, protos, udp_gso, plain, pi);
	return;
malformed:
	pi->status = P_MALFORMED;
}

static void parse_ipv6(const uint8_t *d, uint32_t len, uint32_t protos,
		       bool udp_gso, struct pinfo *pi)
{
	uint32_t l3 = pi->l3_off, plen;
	uint8_t nh;

	if (l3 + 40 > len || (d[l3] >> 4) != 6)
		goto malformed;
	plen = ld16(d + l3 + 4);
	if (l3 + 40 + plen > len)
		goto malformed;
	pi->ipv6 = 1;
	pi->key.family = 6;
	memcpy(pi->key.saddr, d + l3 + 8, 16);
	memcpy(pi->key.daddr, d + l3 + 24, 16);
	pi->l3_len = 40 + plen;
	pi->l4_off = (uint16_t)(l3 + 40);
	nh = d[l3 + 6];
	if (!plen) { /* jumbogram or nothing: leave it to the stack */
		pi->status = P_NOT_FLOW;
		return;
	}
	if (nh != PROTO_TCP && nh != PROTO_UDP) {
		ipv6_ext_walk(d, l3 + 40 + plen, l3 + 40, nh, protos, udp_gso,
			      pi);
		return;
	}
	pi->key.proto = nh;
	parse_l4(d, l3 + 40 + plen, protos, udp_gso, true, pi);
	return;
malformed:
	pi->status = P_MALFORMED;
}

static void xgro_parse(const struct xgro_pkt *pkt, uint32_t protos,
		       bool udp_gso, struct pinfo *pi)
{
	const uint8_t *d = pkt->data;
	uint32_t len = pkt->len, off = 12;
	uint16_t et;

	memset(pi, 0, sizeof(*pi));
	if (len < ETH_HLEN_)
		goto malformed;
	et = ld16(d + off);
	while (et == TPID_8021Q || et == TPID_8021AD) {
		if (pi->key.nvlan == 2 || off + 6 > len) {
			pi->status =
				pi->key.nvlan == 2 ? P_NOT_FLOW : P_MALFORMED;
			return;
		}
		pi->key.vlan[pi->key.nvlan++] =
			(uint32_t)et << 16 | ld16(d + off + 2);
		off += 4;
		et = ld16(d + off);
	}
	pi->l3_off = (uint16_t)(off + 2);
	/* Offset hints are checked, not trusted: walking the tags costs less
	 * than a wrong hint would. */
	if ((pkt->flags & XGRO_PKT_OFFSETS) && pkt->l3_off != pi->l3_off)
		goto malformed;
	if (et == ETYPE_IPV4)
		parse_ipv4(d, len, protos, udp_gso, pi);
	else if (et == ETYPE_IPV6)
		parse_ipv6(d, len, protos, udp_gso, pi);
	else
		pi->status = P_NOT_FLOW;
	if ((pkt->flags & XGRO_PKT_OFFSETS) &&
	    (pi->status == P_CANDIDATE || pi->status == P_UNMERGEABLE) &&
	    pkt->l4_off != pi->l4_off)
		goto malformed;
	return;
malformed:
	pi->status = P_MALFORMED;
}

/*
 * The common case, untagged TCP/IPv4 without options that may merge, in
 * straight-line code. Anything else returns false and takes the general
 * parser above, which classifies it; both fill pinfo identically for the
 * frames the fast path accepts (the fuzzer checks this, see
 * XGRO_PARSE_CROSSCHECK).
 */
PARSE_INLINE bool parse_fast(const struct xgro_pkt *pkt, uint32_t protos,
			     struct pinfo *pi)
{
	const uint8_t *d = pkt->data, *ip = d + ETH_HLEN_, *th = ip + 20;
	uint32_t len = pkt->len, tot, hl, pay;
	uint32_t sa, da;
	uint16_t sp, dp;
	uint8_t f;

	/* offset hints (the XDP program's) must agree, as in the general
	 * parser; one that does not is for that parser to call malformed */
	if ((pkt->flags & XGRO_PKT_OFFSETS) &&
	    (pkt->l3_off != ETH_HLEN_ || pkt->l4_off != ETH_HLEN_ + 20))
		return false;
	if (len < 54 || d[12] != 0x08 || d[13] != 0x00 || ip[0] != 0x45 ||
	    ip[9] != PROTO_TCP || !(protos & XGRO_PROTO_TCP))
		return false;
	tot = ld16(ip + 2);
	hl = (uint32_t)(th[12] >> 4) * 4;
	f = th[13];
	if (tot < 40 || ETH_HLEN_ + tot > len || (ip[6] & 0x3f) || ip[7] ||
	    hl < 20 || 20 + hl >= tot ||
	    (f & (TCPF_ACK | TCPF_SYN | TCPF_FIN | TCPF_RST | TCPF_URG |
		  TCPF_CWR)) != TCPF_ACK ||
	    fold64(sum32(ip, 5)) != 0xffff)
		return false;
	pay = tot - 20 - hl;
	memcpy(&sa, ip + 12, 4);
	memcpy(&da, ip + 16, 4);
	memcpy(&sp, th, 2);
	memcpy(&dp, th + 2, 2);
	pi->key = (struct xgro_flow_key){ .saddr = { sa },
					  .daddr = { da },
					  .sport = sp,
					  .dport = dp,
					  .family = 4,
					  .proto = PROTO_TCP };
	pi->l3_off = ETH_HLEN_;
	pi->l4_off = ETH_HLEN_ + 20;
	pi->pay_off = (uint16_t)(ETH_HLEN_ + 20 + hl);
	pi->pad = 0;
	pi->l3_len = tot;
	pi->pay_len = pay;
	pi->status = P_CANDIDATE;
	pi->tcp_flags = f;
	pi->ipv6 = 0;
	pi->pad2 = 0;
	pi->pad3 = 0;
	return true;
}

PARSE_INLINE void parse_frame(const struct xgro_pkt *pkt, uint32_t protos,
			      bool udp_gso, struct pinfo *pi)
{
#ifdef XGRO_PARSE_CROSSCHECK
	struct pinfo slow;

	xgro_parse(pkt, protos, udp_gso, &slow);
	if (parse_fast(pkt, protos, pi)) {
		if (memcmp(&slow, pi, sizeof(slow)))
			__builtin_trap();
		return;
	}
#else
	if (parse_fast(pkt, protos, pi))
		return;
#endif
	xgro_parse(pkt, protos, udp_gso, pi);
}

#endif
