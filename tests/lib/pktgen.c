// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <string.h>

#include "pktgen.h"
#include "xgro_engine.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void pg_init(struct pg_flow *f, int family, int proto, unsigned n)
{
	static const uint8_t dmac[6] = { 0x02, 0, 0, 0, 0, 2 };
	static const uint8_t smac[6] = { 0x02, 0, 0, 0, 0, 1 };

	memset(f, 0, sizeof(*f));
	f->family = family;
	f->proto = proto;
	memcpy(f->dmac, dmac, 6);
	memcpy(f->smac, smac, 6);
	if (family == 4) {
		uint8_t s[4] = { 10, 0, 0, 1 }, d[4] = { 10, 0, 0, 2 };

		memcpy(f->saddr, s, 4);
		memcpy(f->daddr, d, 4);
	} else {
		f->saddr[0] = 0xfd;
		f->saddr[15] = 1;
		f->daddr[0] = 0xfd;
		f->daddr[15] = 2;
	}
	f->sport = (uint16_t)(1000 + (n & 0x7fff));
	f->dport = (uint16_t)(2000 + (n >> 15));
	f->ttl = 64;
	f->df = true;
	f->ip_id = (uint16_t)(n * 7919);
	f->seq = 1000000u * (n + 1);
	f->ack = 1;
	f->window = 502;
	f->flags = 0x10;
}

static size_t pg_ext_len(const struct pg_flow *f)
{
	if (!f->v6_ext)
		return 0;
	if (f->v6_ext == PG_EXT_FRAGMENT || !f->v6_ext_units)
		return 8;
	return 8 * (size_t)f->v6_ext_units;
}

size_t pg_l3_off(const struct pg_flow *f)
{
	return 14 + 4 * (size_t)f->nvlan;
}

size_t pg_l4_off(const struct pg_flow *f)
{
	return pg_l3_off(f) +
	       (f->family == 4 ? 20 + (size_t)f->ipoptlen : 40 + pg_ext_len(f));
}

void pg_fill(unsigned flow, uint64_t off, uint8_t *dst, size_t len)
{
	for (size_t i = 0; i < len; i++)
		dst[i] = pg_byte(flow, off + i);
}

size_t pg_build(const struct pg_flow *f, const uint8_t *payload, size_t plen,
		uint8_t *out, size_t cap)
{
	size_t l3 = pg_l3_off(f), l4 = pg_l4_off(f);
	size_t l4h = f->proto == 6 ? 20 + (size_t)f->optlen : 8;
	size_t l4len = l4h + plen, l3len = l4 - l3 + l4len;
	size_t len = l4 + l4len + (size_t)f->pad;
	uint8_t *p = out;
	uint32_t s;
	uint16_t c;

	if (len > cap || l3len > 65535 + (f->family == 6 ? 40 : 0))
		return 0;
	memset(out, 0, len);
	memcpy(p, f->dmac, 6);
	memcpy(p + 6, f->smac, 6);
	p += 12;
	for (int i = 0; i < f->nvlan; i++) {
		put16(p, f->vlan_tpid[i]);
		put16(p + 2, f->vlan_tci[i]);
		p += 4;
	}
	put16(p, f->family == 4 ? 0x0800 : 0x86dd);
	p = out + l3;
	if (f->family == 4) {
		p[0] = (uint8_t)(0x40 | (20 + f->ipoptlen) / 4);
		p[1] = f->tos;
		put16(p + 2, (uint16_t)l3len);
		put16(p + 4, f->ip_id);
		put16(p + 6, (uint16_t)((f->df ? 0x4000 : 0) |
					(f->mf ? 0x2000 : 0) | f->frag_off));
		p[8] = f->ttl;
		p[9] = (uint8_t)f->proto;
		memcpy(p + 12, f->saddr, 4);
		memcpy(p + 16, f->daddr, 4);
		memcpy(p + 20, f->ipopts, (size_t)f->ipoptlen);
		c = (uint16_t)~xgro_csum_fold(
			xgro_csum_partial(p, 20 + (size_t)f->ipoptlen, 0));
		memcpy(p + 10, &c, 2);
	} else {
		put32(p, 0x60000000u | (uint32_t)f->tos << 20 |
				 (f->flowlabel & 0xfffff));
		put16(p + 4, (uint16_t)(l3len - 40));
		static const uint8_t ext_type[] = { [PG_EXT_DSTOPTS] = 60,
						    [PG_EXT_HBH] = 0,
						    [PG_EXT_ROUTING] = 43,
						    [PG_EXT_FRAGMENT] = 44 };
		size_t el = pg_ext_len(f);

		p[6] = f->v6_ext ? ext_type[f->v6_ext] : (uint8_t)f->proto;
		p[7] = f->ttl;
		memcpy(p + 8, f->saddr, 16);
		memcpy(p + 24, f->daddr, 16);
		if (f->v6_ext) {
			memset(p + 44, f->v6_ext_fill, el - 4);
			p[40] = (uint8_t)f->proto;
			p[41] = (uint8_t)(el / 8 - 1);
			if (f->v6_ext == PG_EXT_ROUTING) {
				p[42] = 4; /* type */
				p[43] = 0; /* segments left */
			} else if (f->v6_ext == PG_EXT_FRAGMENT) {
				p[41] = 0; /* reserved */
				p[42] = 0; /* offset 0, no more fragments */
				p[43] = 0;
			} else {
				p[42] = 1; /* PadN over the rest */
				p[43] = (uint8_t)(el - 4);
			}
		}
	}
	p = out + l4;
	put16(p, f->sport);
	put16(p + 2, f->dport);
	if (f->proto == 6) {
		put32(p + 4, f->seq);
		put32(p + 8, f->ack);
		p[12] = (uint8_t)((l4h / 4) << 4);
		p[13] = f->flags;
		put16(p + 14, f->window);
		memcpy(p + 20, f->opts, (size_t)f->optlen);
	} else {
		put16(p + 4, (uint16_t)l4len);
	}
	if (plen)
		memcpy(p + l4h, payload, plen);
	/* pseudo-header */
	{
		uint8_t ph[40];
		size_t n;

		if (f->family == 4) {
			memcpy(ph, f->saddr, 4);
			memcpy(ph + 4, f->daddr, 4);
			ph[8] = 0;
			ph[9] = (uint8_t)f->proto;
			put16(ph + 10, (uint16_t)l4len);
			n = 12;
		} else {
			memcpy(ph, f->saddr, 16);
			memcpy(ph + 16, f->daddr, 16);
			put32(ph + 32, (uint32_t)l4len);
			memset(ph + 36, 0, 3);
			ph[39] = (uint8_t)f->proto;
			n = 40;
		}
		s = xgro_csum_partial(ph, n, 0);
	}
	s = xgro_csum_partial(p, l4len, s);
	c = (uint16_t)~xgro_csum_fold(s);
	if (f->proto == 17) {
		if (!c)
			c = 0xffff;
		if (f->udp_zero_csum)
			c = 0;
		memcpy(p + 6, &c, 2);
	} else {
		memcpy(p + 16, &c, 2);
	}
	return len;
}
