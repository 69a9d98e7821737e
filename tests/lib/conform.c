// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"

#define SEQ0 100 /* the selftest's START_SEQ */
#define IP_MAX 65535
#define HDR6 60 /* IPv6 + TCP: the selftest's MAX_PAYLOAD is 65535 - 60 */

/* Appends a frame of the case's flow at sequence offset off; the flow's
 * IPv4 ID moves on by one, as a sender's would. */
static int add(struct cf_build *b, uint32_t off, size_t plen)
{
	static uint8_t pay[CF_FRAME];
	size_t len;

	if (b->n == CF_MAX_FRAMES)
		return -1;
	memset(pay, 'a', plen);
	b->f.seq = SEQ0 + off;
	len = pg_build(&b->f, pay, plen, b->frame[b->n], CF_FRAME);
	if (!len)
		return -1;
	b->len[b->n] = len;
	b->f.ip_id++;
	return b->n++;
}

static void want(struct cf_build *b, int n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (b->nwant = 0; b->nwant < n && b->nwant < CF_MAX_OUT; b->nwant++)
		b->want[b->nwant] = va_arg(ap, int);
	va_end(ap);
}

/* ---- data: same sizes merge; a shorter one merges and ends it ---- */

static void data_same(struct cf_build *b)
{
	add(b, 0, CF_PAYLOAD);
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	want(b, 1, 2 * CF_PAYLOAD);
}

static void data_large_small(struct cf_build *b)
{
	add(b, 0, CF_PAYLOAD);
	add(b, CF_PAYLOAD, CF_PAYLOAD / 2);
	want(b, 1, CF_PAYLOAD * 3 / 2);
}

static void data_small_large(struct cf_build *b)
{
	add(b, 0, CF_PAYLOAD / 2);
	add(b, CF_PAYLOAD / 2, CF_PAYLOAD);
	want(b, 2, CF_PAYLOAD / 2, CF_PAYLOAD);
}

/* ---- ack: a pure ACK never merges, a duplicate neither ---- */

static void ack(struct cf_build *b)
{
	add(b, 0, 0);
	add(b, 0, 0);
	b->f.ack++;
	add(b, 0, 0);
	want(b, 3, 0, 0, 0);
}

/* ---- flags: five segments, the third (and for CWR the second) with
 * the flag; with SYN, RST or URG it carries no payload ---- */

static void flags_case(struct cf_build *b, uint8_t flag)
{
	bool cwr = flag == 0x80, psh = flag == 0x08;
	uint32_t plen = psh || cwr ? CF_PAYLOAD : 0;

	for (uint32_t i = 0; i < 5; i++) {
		bool flagged = i == 2 || (i == 1 && cwr);

		b->f.flags = (uint8_t)(0x10 | (flagged ? flag : 0));
		if (flagged)
			add(b, i * plen, plen);
		else
			add(b, i * CF_PAYLOAD, CF_PAYLOAD);
	}
	b->f.flags = 0x10;
}

/* PSH merges and ends the super-packet (tcp_gro_receive: flush on PSH) */
static void flags_psh(struct cf_build *b)
{
	flags_case(b, 0x08);
	want(b, 2, 3 * CF_PAYLOAD, 2 * CF_PAYLOAD);
}

static void flags_syn(struct cf_build *b)
{
	flags_case(b, 0x02);
	want(b, 3, 2 * CF_PAYLOAD, 0, 2 * CF_PAYLOAD);
}

static void flags_rst(struct cf_build *b)
{
	flags_case(b, 0x04);
	want(b, 3, 2 * CF_PAYLOAD, 0, 2 * CF_PAYLOAD);
}

static void flags_urg(struct cf_build *b)
{
	flags_case(b, 0x20);
	want(b, 3, 2 * CF_PAYLOAD, 0, 2 * CF_PAYLOAD);
}

/* 6.18 (RFC 3168 CWR flushes, tcp_gro_receive "flags & TCP_FLAG_CWR"):
 * each CWR segment leaves alone. 6.19's selftest wants {100 200 200}
 * (AccECN: CWR segments merge with each other); this kernel is 6.18. */
static void flags_cwr(struct cf_build *b)
{
	flags_case(b, 0x80);
	want(b, 4, CF_PAYLOAD, CF_PAYLOAD, CF_PAYLOAD, 2 * CF_PAYLOAD);
}

/* ---- tcp: checksum, sequence, timestamps, options ---- */

static void tcp_csum(struct cf_build *b)
{
	size_t l4 = pg_l4_off(&b->f);
	int i;

	add(b, 0, CF_PAYLOAD);
	i = add(b, CF_PAYLOAD, CF_PAYLOAD);
	if (i >= 0) /* the selftest's "check - 1" */
		b->frame[i][l4 + 17]--;
	want(b, 2, CF_PAYLOAD, CF_PAYLOAD);
}

static void tcp_seq(struct cf_build *b)
{
	add(b, 0, CF_PAYLOAD);
	add(b, CF_PAYLOAD + 1, CF_PAYLOAD);
	want(b, 2, CF_PAYLOAD, CF_PAYLOAD);
}

/* NOP NOP TS in the order given (0, 1, 2: where the NOPs stand) */
static void ts_opts(struct cf_build *b, uint32_t tsval, int order)
{
	uint8_t ts[10] = { 8,
			   10,
			   (uint8_t)(tsval >> 24),
			   (uint8_t)(tsval >> 16),
			   (uint8_t)(tsval >> 8),
			   (uint8_t)tsval };
	static const int at[3] = { 2, 1, 0 };

	memset(b->f.opts, 1, 12);
	memcpy(b->f.opts + at[order], ts, sizeof(ts));
	b->f.optlen = 12;
}

/* options compared word by word: a new TSval, or the same ones in
 * another order, do not merge */
static void tcp_ts(struct cf_build *b)
{
	ts_opts(b, 0, 0);
	add(b, 0, CF_PAYLOAD);
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	ts_opts(b, 100, 0);
	add(b, 2 * CF_PAYLOAD, CF_PAYLOAD);
	ts_opts(b, 100, 1);
	add(b, 3 * CF_PAYLOAD, CF_PAYLOAD);
	ts_opts(b, 100, 2);
	add(b, 4 * CF_PAYLOAD, CF_PAYLOAD);
	want(b, 4, 2 * CF_PAYLOAD, CF_PAYLOAD, CF_PAYLOAD, CF_PAYLOAD);
}

static void tcp_opt(struct cf_build *b)
{
	static const uint8_t ws[4] = { 1, 3, 3, 0 }; /* NOP, window scale */

	ts_opts(b, 0, 0);
	add(b, 0, CF_PAYLOAD);
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	memcpy(b->f.opts, ws, sizeof(ws));
	b->f.optlen = 4;
	add(b, 2 * CF_PAYLOAD, CF_PAYLOAD);
	want(b, 2, 2 * CF_PAYLOAD, CF_PAYLOAD);
}

/* ---- ip: ECN, TOS, TTL, options, fragments, IDs, extension headers ---- */

static void two_changed(struct cf_build *b, uint8_t *field, uint8_t v)
{
	add(b, 0, CF_PAYLOAD);
	*field = v;
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	want(b, 2, CF_PAYLOAD, CF_PAYLOAD);
}

static void ip_ecn(struct cf_build *b)
{
	two_changed(b, &b->f.tos, b->f.tos ^ 0x02);
}

static void ip_tos(struct cf_build *b)
{
	/* IPv4 TOS 1; IPv6 the selftest's priority 0xf */
	two_changed(b, &b->f.tos, b->family == 4 ? 1 : 0xf0);
}

/* inet_gro_flush compares TTL; ipv6_gro_flush the hop limit */
static void ip_ttl(struct cf_build *b)
{
	two_changed(b, &b->f.ttl, (uint8_t)(b->f.ttl - 1));
}

/* IPv4 options: inet_gro_receive takes only a 20-byte header */
static void ip_options(struct cf_build *b)
{
	static const uint8_t ts[12] = { 68, 12, 5, 0 }; /* IP timestamp */

	add(b, 0, CF_PAYLOAD);
	memcpy(b->f.ipopts, ts, sizeof(ts));
	b->f.ipoptlen = 12;
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	b->f.ipoptlen = 0;
	add(b, 2 * CF_PAYLOAD, CF_PAYLOAD);
	want(b, 3, CF_PAYLOAD, CF_PAYLOAD, CF_PAYLOAD);
}

static void ip_frag4(struct cf_build *b)
{
	add(b, 0, CF_PAYLOAD);
	b->f.mf = true; /* a first fragment */
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	b->f.mf = false;
	want(b, 2, CF_PAYLOAD, CF_PAYLOAD);
}

/* IDs as the selftest's flush_id cases: ids[] of n segments */
static void ip_ids(struct cf_build *b, bool df, const uint16_t *ids, int n)
{
	b->f.df = df;
	for (int i = 0; i < n; i++) {
		b->f.ip_id = ids[i];
		add(b, (uint32_t)i * CF_PAYLOAD, CF_PAYLOAD);
	}
}

static void id_df1_inc(struct cf_build *b)
{
	ip_ids(b, true, (const uint16_t[]){ 8, 9 }, 2);
	want(b, 1, 2 * CF_PAYLOAD);
}

static void id_df1_fixed(struct cf_build *b)
{
	ip_ids(b, true, (const uint16_t[]){ 8, 8 }, 2);
	want(b, 1, 2 * CF_PAYLOAD);
}

static void id_df0_inc(struct cf_build *b)
{
	ip_ids(b, false, (const uint16_t[]){ 8, 9 }, 2);
	want(b, 1, 2 * CF_PAYLOAD);
}

/* 6.18, "net: gro: remove unnecessary df checks" */
static void id_df0_fixed(struct cf_build *b)
{
	ip_ids(b, false, (const uint16_t[]){ 8, 8 }, 2);
	want(b, 1, 2 * CF_PAYLOAD);
}

/* the second segment decides the mode for the rest */
static void id_inc_then_fixed(struct cf_build *b)
{
	ip_ids(b, true, (const uint16_t[]){ 8, 9, 9 }, 3);
	want(b, 2, 2 * CF_PAYLOAD, CF_PAYLOAD);
}

static void id_fixed_then_inc(struct cf_build *b)
{
	ip_ids(b, true, (const uint16_t[]){ 8, 8, 9 }, 3);
	want(b, 2, 2 * CF_PAYLOAD, CF_PAYLOAD);
}

/* no GRO for a fragment header: it leaves alone, after what is held */
static void ip_frag6(struct cf_build *b)
{
	add(b, 0, CF_PAYLOAD);
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	b->f.v6_ext = PG_EXT_FRAGMENT;
	add(b, 2 * CF_PAYLOAD, CF_PAYLOAD);
	b->f.v6_ext = PG_EXT_NONE;
	add(b, 3 * CF_PAYLOAD, CF_PAYLOAD);
	want(b, 3, 2 * CF_PAYLOAD, CF_PAYLOAD, CF_PAYLOAD);
}

/* ipv6_gro_receive: extension headers compared byte for byte */
static void ip6_ext_same(struct cf_build *b)
{
	b->f.v6_ext = PG_EXT_DSTOPTS;
	add(b, 0, CF_PAYLOAD);
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	want(b, 1, 2 * CF_PAYLOAD);
}

static void ip6_ext_differ(struct cf_build *b)
{
	b->f.v6_ext = PG_EXT_DSTOPTS;
	add(b, 0, CF_PAYLOAD);
	b->f.v6_ext_fill = 0x11;
	add(b, CF_PAYLOAD, CF_PAYLOAD);
	want(b, 2, CF_PAYLOAD, CF_PAYLOAD);
}

/* ---- large: the 64 KB limit (skb_gro_receive: p->len + len < 65536) ---- */

/* Full segments up to the limit, then one of `last` bytes, then one more
 * after a gap. */
static void large_case(struct cf_build *b, int extra)
{
	/* the selftest's MAX_PAYLOAD, 20 more for IPv4's shorter header */
	uint32_t max = IP_MAX - HDR6 + (b->family == 4 ? 20 : 0);
	uint32_t n = max / b->mss, rem = max % b->mss + (uint32_t)extra;

	for (uint32_t i = 0; i < n; i++)
		add(b, i * b->mss, b->mss);
	add(b, n * b->mss, rem);
	add(b, (n + 1) * b->mss, rem);
	if (!extra) /* the last one fits exactly */
		want(b, 2, (int)(n * b->mss + rem), (int)rem);
	else
		want(b, 3, (int)(n * b->mss), (int)rem, (int)rem);
}

static void large_fits(struct cf_build *b)
{
	large_case(b, 0);
}

static void large_over(struct cf_build *b)
{
	large_case(b, 1);
}

#define BOTH (CF_V4 | CF_V6)
const struct cf_case cf_cases[] = {
	{ "data", "same_size", BOTH, data_same },
	{ "data", "large_then_small", BOTH, data_large_small },
	{ "data", "small_then_large", BOTH, data_small_large },
	{ "ack", "pure_and_dup_ack", BOTH, ack },
	{ "flags", "psh", BOTH, flags_psh },
	{ "flags", "syn", BOTH, flags_syn },
	{ "flags", "rst", BOTH, flags_rst },
	{ "flags", "urg", BOTH, flags_urg },
	{ "flags", "cwr", BOTH, flags_cwr },
	{ "tcp", "bad_checksum", BOTH, tcp_csum },
	{ "tcp", "seq_gap", BOTH, tcp_seq },
	{ "tcp", "timestamps", BOTH, tcp_ts },
	{ "tcp", "other_options", BOTH, tcp_opt },
	{ "ip", "ecn", BOTH, ip_ecn },
	{ "ip", "tos", BOTH, ip_tos },
	{ "ip", "ttl_hoplimit", BOTH, ip_ttl },
	{ "ip", "ip_options", CF_V4, ip_options },
	{ "ip", "fragment", CF_V4, ip_frag4 },
	{ "ip", "id_df1_inc", CF_V4, id_df1_inc },
	{ "ip", "id_df1_fixed", CF_V4, id_df1_fixed },
	{ "ip", "id_df0_inc", CF_V4, id_df0_inc },
	{ "ip", "id_df0_fixed", CF_V4, id_df0_fixed },
	{ "ip", "id_inc_then_fixed", CF_V4, id_inc_then_fixed },
	{ "ip", "id_fixed_then_inc", CF_V4, id_fixed_then_inc },
	{ "ip", "fragment", CF_V6, ip_frag6 },
	{ "ip", "ext_header_same", CF_V6, ip6_ext_same },
	{ "ip", "ext_header_differs", CF_V6, ip6_ext_differ },
	{ "large", "last_fits_65535", BOTH, large_fits },
	{ "large", "last_over_65535", BOTH, large_over },
};
const size_t cf_ncases = sizeof(cf_cases) / sizeof(cf_cases[0]);

int cf_build(const struct cf_case *c, struct cf_build *b)
{
	static const uint8_t zero[6];

	if (!(c->families & (b->family == 4 ? CF_V4 : CF_V6)))
		return -EINVAL;
	pg_init(&b->f, b->family, 6, 0);
	b->f.sport = b->sport;
	b->f.dport = 8000;
	b->f.ack = 100;
	b->f.window = 65535;
	if (memcmp(b->dmac, zero, 6))
		memcpy(b->f.dmac, b->dmac, 6);
	if (memcmp(b->smac, zero, 6))
		memcpy(b->f.smac, b->smac, 6);
	if (!b->mss)
		b->mss = CF_MSS_LARGE;
	b->n = 0;
	b->nwant = 0;
	c->build(b);
	return 0;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int cf_payload(const uint8_t *d, size_t len, uint16_t *sport, int *fin)
{
	size_t l3 = 14, l4, end;
	uint8_t nh;

	if (len < l3 + 40)
		return -1;
	if (rd16(d + 12) == 0x0800 && (d[l3] >> 4) == 4) {
		l4 = l3 + (size_t)(d[l3] & 0xf) * 4;
		end = l3 + rd16(d + l3 + 2);
		nh = d[l3 + 9];
	} else if (rd16(d + 12) == 0x86dd && (d[l3] >> 4) == 6) {
		l4 = l3 + 40;
		end = l4 + rd16(d + l3 + 4);
		nh = d[l3 + 6];
		while ((nh == 0 || nh == 43 || nh == 60 || nh == 44) &&
		       l4 + 8 <= len) {
			size_t hl = nh == 44 ? 8 : 8 * ((size_t)d[l4 + 1] + 1);

			nh = d[l4];
			l4 += hl;
		}
	} else {
		return -1;
	}
	if (nh != 6 || l4 + 20 > len || end > len)
		return -1;
	if (sport)
		*sport = rd16(d + l4);
	if (fin)
		*fin = d[l4 + 13] & 0x01;
	return (int)(end - l4 - (size_t)(d[l4 + 12] >> 4) * 4);
}

const char *cf_sizes(const int *v, int n, char *buf, size_t cap)
{
	size_t off = 0;

	buf[0] = 0;
	off += (size_t)snprintf(buf, cap, "{");
	for (int i = 0; i < n && off < cap; i++)
		off += (size_t)snprintf(buf + off, cap - off, "%s%d",
					i ? " " : "", v[i]);
	if (off < cap)
		snprintf(buf + off, cap - off, "}");
	return buf;
}
