// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The XDP classifier under BPF_PROG_TEST_RUN, one table row per parse path
 * and malformed case: the frame, the setup, the verdict, the counter that
 * must move, and whether the flow map must hold the flow afterwards.
 * BPF_PROG_TEST_RUN performs no redirect and the XSKMAP is empty, so a
 * frame the program would steer ends as "no socket" (fail open): that is
 * how steering shows here; delivery itself is tested on veth.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "check.h"
#include "pktgen.h"
#include "xgro.h"
#include "xgro_engine.h"
#include "xgro.skel.h"

static struct xgro *skel;
static int ncpu;

enum setup {
	S_DEFAULT = 0,
	S_STALE = 1 << 0, /* no heartbeat */
	S_VLAN = 1 << 1,  /* steer tagged frames */
	S_NO_UDP = 1 << 2,
	S_SMALL_FRAME = 1 << 3,
	S_MIN_PAYLOAD = 1 << 4, /* min_payload 1000 */
	S_RELEASED = 1 << 5,	/* a worker released this flow */
	S_STEERED = 1 << 6,	/* the flow is already steered */
	S_DRAINING = 1 << 7,	/* a worker asked for release; no frame since */
	S_STAMPED = 1 << 8,	/* with S_DRAINING: a frame redirected since */
	S_DRAINED = 1 << 9,	/* the worker has emitted up to that frame */
	S_PRESSURE = 1 << 10,	/* the worker says its RX ring is filling */
	S_LAGGING = 1 << 11,	/* the worker has not looped for 60 ms */
	S_PROBATION = 1 << 12,	/* released 20 s ago, probation 10 s */
	S_QUIET = 1 << 13,	/* the flow's last frame 50 ms ago */
	S_CSUM = 1 << 14,	/* released for checksums */
	S_SHORT_IDLE = 1 << 15, /* idle_release_ms 1, last frame 5 ms ago */
	S_RING_FULL = 1 << 16,	/* the ring has no room past the margin */
	S_RING_EDGE = 1 << 17,	/* room for exactly one frame past it */
};

struct row {
	const char *name;
	void (*build)(struct pg_flow *f, size_t *plen, int *truncate);
	unsigned setup;
	int lie;	  /* L_*: a field of the built frame made to lie */
	unsigned counter; /* XGRO_CNT_* that must count this frame */
	bool flow;	  /* a flow-map entry must exist afterwards */
	unsigned event;	  /* an event counter that must be 1 (0: none) */
	unsigned after;	  /* 1 + the steer state afterwards (0: unchecked) */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- frames ---- */
static void tcp4(struct pg_flow *f, size_t *p, int *t)
{
	(void)f;
	*p = 1000;
	(void)t;
}
static void tcp6(struct pg_flow *f, size_t *p, int *t)
{
	pg_init(f, 6, 6, 1);
	*p = 1000;
	(void)t;
}
static void udp4(struct pg_flow *f, size_t *p, int *t)
{
	pg_init(f, 4, 17, 1);
	*p = 1000;
	(void)t;
}
static void udp6(struct pg_flow *f, size_t *p, int *t)
{
	pg_init(f, 6, 17, 1);
	*p = 500;
	(void)t;
}
static void pure_ack(struct pg_flow *f, size_t *p, int *t)
{
	(void)f;
	*p = 0;
	(void)t;
}
static void ipopts(struct pg_flow *f, size_t *p, int *t)
{
	f->ipoptlen = 8;
	memset(f->ipopts, 1, 8);
	*p = 1000;
	(void)t;
}
static void frag_first(struct pg_flow *f, size_t *p, int *t)
{
	f->mf = true;
	*p = 800;
	(void)t;
}
static void frag_later(struct pg_flow *f, size_t *p, int *t)
{
	f->frag_off = 100;
	*p = 800;
	(void)t;
}
static void v6ext(struct pg_flow *f, size_t *p, int *t)
{
	pg_init(f, 6, 6, 1);
	f->v6_ext = PG_EXT_DSTOPTS;
	*p = 100;
	(void)t;
}
static void v6hbh(struct pg_flow *f, size_t *p, int *t)
{
	v6ext(f, p, t);
	f->v6_ext = PG_EXT_HBH;
}
static void v6rt(struct pg_flow *f, size_t *p, int *t)
{
	v6ext(f, p, t);
	f->v6_ext = PG_EXT_ROUTING;
}
static void v6frag(struct pg_flow *f, size_t *p, int *t)
{
	v6ext(f, p, t);
	f->v6_ext = PG_EXT_FRAGMENT;
}
static void v6ext_udp(struct pg_flow *f, size_t *p, int *t)
{
	pg_init(f, 6, 17, 1);
	f->v6_ext = PG_EXT_DSTOPTS;
	f->v6_ext_units = 2;
	*p = 500;
	(void)t;
}
static void vlan(struct pg_flow *f, size_t *p, int *t)
{
	f->nvlan = 1;
	f->vlan_tpid[0] = 0x8100;
	f->vlan_tci[0] = 7;
	*p = 1000;
	(void)t;
}
static void qinq(struct pg_flow *f, size_t *p, int *t)
{
	vlan(f, p, t);
	f->nvlan = 2;
	f->vlan_tpid[0] = 0x88a8;
	f->vlan_tpid[1] = 0x8100;
	f->vlan_tci[1] = 8;
}
static void ll4(struct pg_flow *f, size_t *p, int *t)
{
	f->daddr[0] = 169;
	f->daddr[1] = 254;
	*p = 100;
	(void)t;
}
static void ll6(struct pg_flow *f, size_t *p, int *t)
{
	pg_init(f, 6, 6, 1);
	f->daddr[0] = 0xfe;
	f->daddr[1] = 0x80;
	*p = 100;
	(void)t;
}
static void small(struct pg_flow *f, size_t *p, int *t)
{
	(void)f;
	*p = 10;
	(void)t;
}
/* truncations: t is the length to cut the frame to */
static void cut_eth(struct pg_flow *f, size_t *p, int *t)
{
	(void)f;
	*p = 100;
	*t = 14;
}
static void cut_vlan(struct pg_flow *f, size_t *p, int *t)
{
	vlan(f, p, t);
	*t = 16;
}
static void cut_ip4(struct pg_flow *f, size_t *p, int *t)
{
	(void)f;
	*p = 100;
	*t = 14 + 19;
}
static void cut_ip6(struct pg_flow *f, size_t *p, int *t)
{
	tcp6(f, p, t);
	*t = 14 + 39;
}
static void cut_tcp(struct pg_flow *f, size_t *p, int *t)
{
	(void)f;
	*p = 0;
	*t = 14 + 20 + 19;
}
static void cut_udp(struct pg_flow *f, size_t *p, int *t)
{
	udp4(f, p, t);
	*p = 0;
	*t = 14 + 20 + 7;
}
static void cut_payload(struct pg_flow *f, size_t *p, int *t)
{
	(void)f;
	*p = 100;
	*t = 14 + 20 + 20 + 50;
}

/* lies, patched into the built frame by index */
static int lie;
enum {
	L_NONE,
	L_IHL4,
	L_TOTLEN_BIG,
	L_TOTLEN_SMALL,
	L_DOFF4,
	L_DOFF15,
	L_UDPLEN_BIG,
	L_UDPLEN_SMALL,
	L_IPVER,
	L_V6VER,
	L_ARP,
	L_ICMP,
	L_THREE_TAGS,
	L_RT_SEGLEFT
};
static void lie_base(struct pg_flow *f, size_t *p, int *t)
{
	(void)f;
	*p = 100;
	(void)t;
}
static void lie_udp(struct pg_flow *f, size_t *p, int *t)
{
	udp4(f, p, t);
	*p = 100;
}
static void lie_v6(struct pg_flow *f, size_t *p, int *t)
{
	tcp6(f, p, t);
}
static void lie_qinq(struct pg_flow *f, size_t *p, int *t)
{
	qinq(f, p, t);
}

static void apply_lie(uint8_t *fr, size_t len)
{
	uint8_t *ip = fr + 14;

	switch (lie) {
	case L_IHL4:
		ip[0] = 0x44;
		break;
	case L_TOTLEN_BIG:
		ip[2] = 0x40;
		break;
	case L_TOTLEN_SMALL:
		ip[2] = 0;
		ip[3] = 19;
		break;
	case L_DOFF4:
		ip[20 + 12] = 0x40;
		break;
	case L_DOFF15:
		ip[20 + 12] = 0xf0;
		ip[2] = 0;
		ip[3] = 70; /* 50 bytes of TCP: doff 60 overruns it */
		break;
	case L_UDPLEN_BIG:
		ip[20 + 4] = 0x10;
		break;
	case L_UDPLEN_SMALL:
		ip[20 + 4] = 0;
		ip[20 + 5] = 4;
		break;
	case L_IPVER:
		ip[0] = 0x65;
		break;
	case L_V6VER:
		ip[0] = 0x40;
		break;
	case L_ARP:
		fr[12] = 0x08;
		fr[13] = 0x06;
		break;
	case L_ICMP:
		ip[9] = 1;
		break;
	case L_THREE_TAGS:
		fr[20] = 0x81; /* the inner ethertype says: one more tag */
		fr[21] = 0x00;
		break;
	case L_RT_SEGLEFT:
		ip[40 + 3] = 1; /* a routing header with a segment left */
		break;
	}
	(void)len;
}

static const struct row rows[] = {
	{ "tcp4_steered", tcp4, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET, true, 0,
	  0 },
	{ "tcp6_steered", tcp6, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET, true, 0,
	  0 },
	{ "udp4_steered", udp4, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET, true, 0,
	  0 },
	{ "udp6_steered", udp6, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET, true, 0,
	  0 },
	{ "udp_not_enabled", udp4, S_NO_UDP, L_NONE, XGRO_CNT_PASS_PROTO, true,
	  0, 0 },
	{ "zero_payload_not_steered", pure_ack, 0, L_NONE,
	  XGRO_CNT_PASS_NOT_STEERED, true, 0, 0 },
	{ "zero_payload_of_steered_flow", pure_ack, S_STEERED, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 0 },
	{ "below_min_payload", small, S_MIN_PAYLOAD, L_NONE,
	  XGRO_CNT_PASS_NOT_STEERED, true, 0, 0 },
	{ "released_flow", tcp4, S_RELEASED, L_NONE, XGRO_CNT_PASS_RELEASED,
	  true, 0, 1 + XGRO_STEER_RELEASED },
	/* xgro -> kernel: the drain (include/xgro.h, struct xgro_steer) */
	{ "draining_first_frame_stamped", tcp4, S_DRAINING, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 1 + XGRO_STEER_DRAINING },
	{ "draining_not_yet_drained", tcp4, S_DRAINING | S_STAMPED, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 1 + XGRO_STEER_DRAINING },
	{ "draining_ack_still_steered", pure_ack, S_DRAINING | S_STAMPED,
	  L_NONE, XGRO_CNT_PASS_NO_SOCKET, true, 0, 1 + XGRO_STEER_DRAINING },
	{ "drained_switches_to_released", tcp4,
	  S_DRAINING | S_STAMPED | S_DRAINED, L_NONE, XGRO_CNT_PASS_RELEASED,
	  true, XGRO_CNT_DRAINED, 1 + XGRO_STEER_RELEASED },
	{ "drained_watermark_of_nothing", tcp4, S_DRAINING | S_DRAINED, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 1 + XGRO_STEER_DRAINING },
	/* fail open under load: new flows refused, steered ones stay */
	{ "pressure_refuses_new_flow", tcp4, S_PRESSURE, L_NONE,
	  XGRO_CNT_PASS_PRESSURE, true, 0, 1 + XGRO_STEER_RELEASED },
	{ "pressure_keeps_steered_flow", tcp4, S_PRESSURE | S_STEERED, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 1 + XGRO_STEER_ON },
	{ "lagging_refuses_new_flow", tcp4, S_LAGGING, L_NONE,
	  XGRO_CNT_PASS_LAGGING, true, 0, 1 + XGRO_STEER_RELEASED },
	{ "lagging_keeps_steered_flow", tcp4, S_LAGGING | S_STEERED, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 1 + XGRO_STEER_ON },
	{ "pressure_ack_creates_nothing", pure_ack, S_PRESSURE, L_NONE,
	  XGRO_CNT_PASS_NOT_STEERED, true, 0, 0 },
	/* kernel -> xgro: only after probation and a quiet spell */
	{ "probation_over_quiet_readmitted", tcp4,
	  S_RELEASED | S_PROBATION | S_QUIET, L_NONE, XGRO_CNT_PASS_NO_SOCKET,
	  true, XGRO_CNT_READMITTED, 1 + XGRO_STEER_ON },
	{ "probation_over_not_quiet_passed", tcp4, S_RELEASED | S_PROBATION,
	  L_NONE, XGRO_CNT_PASS_RELEASED, true, 0, 1 + XGRO_STEER_RELEASED },
	{ "probation_not_over_passed", tcp4, S_RELEASED | S_QUIET, L_NONE,
	  XGRO_CNT_PASS_RELEASED, true, 0, 1 + XGRO_STEER_RELEASED },
	{ "probation_ack_not_readmitted", pure_ack,
	  S_RELEASED | S_PROBATION | S_QUIET, L_NONE, XGRO_CNT_PASS_RELEASED,
	  true, 0, 1 + XGRO_STEER_RELEASED },
	{ "checksum_release_no_probation", tcp4,
	  S_RELEASED | S_CSUM | S_PROBATION | S_QUIET, L_NONE,
	  XGRO_CNT_PASS_RELEASED, true, 0, 1 + XGRO_STEER_RELEASED },
	{ "probation_readmit_under_pressure", tcp4,
	  S_RELEASED | S_PROBATION | S_QUIET | S_PRESSURE, L_NONE,
	  XGRO_CNT_PASS_PRESSURE, true, 0, 1 + XGRO_STEER_RELEASED },
	{ "released_idle_but_not_quiet_kept", tcp4, S_RELEASED | S_SHORT_IDLE,
	  L_NONE, XGRO_CNT_PASS_RELEASED, true, 0, 1 + XGRO_STEER_RELEASED },
	{ "steered_short_idle_readmitted", tcp4, S_STEERED | S_SHORT_IDLE,
	  L_NONE, XGRO_CNT_PASS_NO_SOCKET, true, XGRO_CNT_ADMITTED,
	  1 + XGRO_STEER_ON },
	{ "new_flow_admitted", tcp4, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET, true,
	  XGRO_CNT_ADMITTED, 1 + XGRO_STEER_ON },
	{ "ipv4_options", ipopts, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET, true, 0,
	  0 },
	{ "fragment_first", frag_first, 0, L_NONE, XGRO_CNT_PASS_FRAGMENT,
	  false, 0, 0 },
	{ "fragment_later", frag_later, 0, L_NONE, XGRO_CNT_PASS_FRAGMENT,
	  false, 0, 0 },
	/* the extension headers the engine merges over are steered */
	{ "ipv6_dstopts_steered", v6ext, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET,
	  true, XGRO_CNT_ADMITTED, 1 + XGRO_STEER_ON },
	{ "ipv6_hop_by_hop_steered", v6hbh, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET,
	  true, XGRO_CNT_ADMITTED, 1 + XGRO_STEER_ON },
	{ "ipv6_routing_steered", v6rt, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET,
	  true, XGRO_CNT_ADMITTED, 1 + XGRO_STEER_ON },
	{ "ipv6_udp_dstopts_steered", v6ext_udp, 0, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, XGRO_CNT_ADMITTED, 1 + XGRO_STEER_ON },
	{ "ipv6_routing_segments_left_passed", v6rt, 0, L_RT_SEGLEFT,
	  XGRO_CNT_PASS_IPV6_EXT, false, 0, 0 },
	{ "ipv6_fragment_header_passed", v6frag, 0, L_NONE,
	  XGRO_CNT_PASS_IPV6_EXT, false, 0, 0 },
	{ "vlan_default_passed", vlan, 0, L_NONE, XGRO_CNT_PASS_VLAN, true, 0,
	  0 },
	{ "vlan_steered_when_enabled", vlan, S_VLAN, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 0 },
	{ "qinq_steered_when_enabled", qinq, S_VLAN, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 0 },
	{ "link_local_v4", ll4, 0, L_NONE, XGRO_CNT_PASS_LINK_LOCAL, true, 0,
	  0 },
	{ "link_local_v6", ll6, 0, L_NONE, XGRO_CNT_PASS_LINK_LOCAL, true, 0,
	  0 },
	{ "stale_worker", tcp4, S_STALE | S_STEERED, L_NONE,
	  XGRO_CNT_PASS_STALE_WORKER, true, 0, 0 },
	{ "stale_worker_refuses_new_flow", tcp4, S_STALE, L_NONE,
	  XGRO_CNT_PASS_LAGGING, true, 0, 1 + XGRO_STEER_RELEASED },
	/* fail open before the RX ring overflows: a worker kept from running */
	{ "ring_full_passes_steered_flow", tcp4, S_RING_FULL | S_STEERED,
	  L_NONE, XGRO_CNT_PASS_RING_FULL, true, 0, 1 + XGRO_STEER_ON },
	{ "ring_full_new_flow_stays_admitted", tcp4, S_RING_FULL, L_NONE,
	  XGRO_CNT_PASS_RING_FULL, true, XGRO_CNT_ADMITTED, 1 + XGRO_STEER_ON },
	{ "ring_room_for_one_more", tcp4, S_RING_EDGE | S_STEERED, L_NONE,
	  XGRO_CNT_PASS_NO_SOCKET, true, 0, 1 + XGRO_STEER_ON },
	{ "too_large_for_umem", tcp4, S_SMALL_FRAME, L_NONE,
	  XGRO_CNT_PASS_TOO_LARGE, true, 0, 0 },
	{ "truncated_ethernet", cut_eth, 0, L_NONE, XGRO_CNT_PASS_MALFORMED,
	  false, 0, 0 },
	{ "truncated_vlan", cut_vlan, 0, L_NONE, XGRO_CNT_PASS_MALFORMED, false,
	  0, 0 },
	{ "truncated_ipv4", cut_ip4, 0, L_NONE, XGRO_CNT_PASS_MALFORMED, false,
	  0, 0 },
	{ "truncated_ipv6", cut_ip6, 0, L_NONE, XGRO_CNT_PASS_MALFORMED, false,
	  0, 0 },
	{ "truncated_tcp", cut_tcp, 0, L_NONE, XGRO_CNT_PASS_MALFORMED, false,
	  0, 0 },
	{ "truncated_udp", cut_udp, 0, L_NONE, XGRO_CNT_PASS_MALFORMED, false,
	  0, 0 },
	{ "truncated_payload", cut_payload, 0, L_NONE, XGRO_CNT_PASS_MALFORMED,
	  false, 0, 0 },
	{ "bogus_ihl", lie_base, 0, L_IHL4, XGRO_CNT_PASS_MALFORMED, false, 0,
	  0 },
	{ "ip_length_beyond_frame", lie_base, 0, L_TOTLEN_BIG,
	  XGRO_CNT_PASS_MALFORMED, false, 0, 0 },
	{ "ip_length_below_header", lie_base, 0, L_TOTLEN_SMALL,
	  XGRO_CNT_PASS_MALFORMED, false, 0, 0 },
	{ "ip_version", lie_base, 0, L_IPVER, XGRO_CNT_PASS_MALFORMED, false, 0,
	  0 },
	{ "ipv6_version", lie_v6, 0, L_V6VER, XGRO_CNT_PASS_MALFORMED, false, 0,
	  0 },
	{ "tcp_doff_below_5", lie_base, 0, L_DOFF4, XGRO_CNT_PASS_MALFORMED,
	  false, 0, 0 },
	{ "tcp_doff_beyond_ip", lie_base, 0, L_DOFF15, XGRO_CNT_PASS_MALFORMED,
	  false, 0, 0 },
	{ "udp_length_beyond_ip", lie_udp, 0, L_UDPLEN_BIG,
	  XGRO_CNT_PASS_MALFORMED, false, 0, 0 },
	{ "udp_length_below_8", lie_udp, 0, L_UDPLEN_SMALL,
	  XGRO_CNT_PASS_MALFORMED, false, 0, 0 },
	{ "not_ip", lie_base, 0, L_ARP, XGRO_CNT_PASS_NOT_IP, false, 0, 0 },
	{ "icmp_not_enabled", lie_base, 0, L_ICMP, XGRO_CNT_PASS_PROTO, false,
	  0, 0 },
	{ "three_tags", lie_qinq, 0, L_THREE_TAGS, XGRO_CNT_PASS_VLAN, false, 0,
	  0 },
};

/* ---- harness ---- */

static void reset_maps(void)
{
	struct xgro_flow_key k, next;
	uint64_t *zeros = calloc((size_t)ncpu, sizeof(uint64_t));
	int cfd = bpf_map__fd(skel->maps.counters);

	for (uint32_t i = 0; i < XGRO_CNT_MAX; i++)
		bpf_map_update_elem(cfd, &i, zeros, BPF_ANY);
	free(zeros);
	while (!bpf_map_get_next_key(bpf_map__fd(skel->maps.flows), NULL,
				     &next)) {
		k = next;
		bpf_map_delete_elem(bpf_map__fd(skel->maps.flows), &k);
	}
	while (!bpf_map_get_next_key(bpf_map__fd(skel->maps.steer), NULL,
				     &next)) {
		k = next;
		bpf_map_delete_elem(bpf_map__fd(skel->maps.steer), &k);
	}
}

static uint64_t counter(unsigned idx)
{
	uint64_t *v = calloc((size_t)ncpu, sizeof(uint64_t)), sum = 0;

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.counters), &idx, v);
	for (int c = 0; c < ncpu; c++)
		sum += v[c];
	free(v);
	return sum;
}

/* frames passed, whatever the reason */
static uint64_t passed_total(void)
{
	uint64_t n = 0;

	for (unsigned i = XGRO_CNT_PASS_FIRST; i < XGRO_CNT_MAX; i++)
		n += counter(i);
	return n;
}

static size_t count_flows(void)
{
	struct xgro_flow_key k, next;
	size_t n = 0;
	bool first = true;

	while (!bpf_map_get_next_key(bpf_map__fd(skel->maps.flows),
				     first ? NULL : &k, &next)) {
		first = false;
		k = next;
		n++;
	}
	return n;
}

/* the key the program would build for this frame, for S_RELEASED etc. */
static void key_of(const struct pg_flow *f, struct xgro_flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)f->family;
	k->proto = (uint8_t)f->proto;
	memcpy(k->saddr, f->saddr, f->family == 4 ? 4 : 16);
	memcpy(k->daddr, f->daddr, f->family == 4 ? 4 : 16);
	k->sport = htons(f->sport);
	k->dport = htons(f->dport);
	k->nvlan = (uint8_t)f->nvlan;
	for (int i = 0; i < f->nvlan; i++)
		k->vlan[i] = (uint32_t)f->vlan_tpid[i] << 16 | f->vlan_tci[i];
}

static const struct xgro_config base_cfg = {
	.protos = XGRO_PROTO_TCP | XGRO_PROTO_UDP,
	.min_payload = 1,
	.idle_release_ms = 1000,
	.flush_us = 50,
	.max_size = 65535,
	.heartbeat_ms = 100,
	.frame_size = 3840,
	.max_segs = 64,
};

static void run_case(void (*build)(struct pg_flow *, size_t *, int *),
		     unsigned setup, int lie_kind, unsigned cnt_idx,
		     bool want_flow, unsigned event, unsigned after)
{
	struct xgro_config cfg = base_cfg;
	uint8_t frame[2048], pay[1500] = { 0 };
	struct pg_flow f;
	size_t plen = 0, len;
	int cut = 0;
	uint32_t zero = 0;
	uint64_t t0 = now_ns(), stamp = (t0 - 5000000) & ~XGRO_DRAIN_SWITCHED;
	struct xgro_beacon hb = {
		.heartbeat_ns = (setup & S_STALE)     ? 0
				: (setup & S_LAGGING) ? t0 - 60000000
						      : t0,
		.drained_ns = (setup & S_DRAINED) ? stamp : stamp - 1000,
		.pressure = !!(setup & S_PRESSURE),
		.ring_limit = (setup & S_RING_FULL)   ? XGRO_RING_MARGIN
			      : (setup & S_RING_EDGE) ? XGRO_RING_MARGIN + 1
						      : UINT64_MAX,
	};
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .repeat = 1);

	pg_init(&f, 4, 6, 1);
	build(&f, &plen, &cut);
	len = pg_build(&f, pay, plen, frame, sizeof(frame));
	CHECK(len > 0);
	lie = lie_kind;
	apply_lie(frame, len);
	if (cut)
		len = (size_t)cut;
	if (setup & S_VLAN)
		cfg.steer_vlan = 1;
	if (setup & S_NO_UDP)
		cfg.protos = XGRO_PROTO_TCP;
	if (setup & S_SMALL_FRAME)
		cfg.frame_size = 200;
	if (setup & S_MIN_PAYLOAD)
		cfg.min_payload = 1000;
	if (setup & S_PROBATION)
		cfg.probation_ms = 10000;
	if (setup & S_SHORT_IDLE)
		cfg.idle_release_ms = 1;
	reset_maps();
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg,
				   BPF_ANY));
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.heartbeat), &zero,
				   &hb, BPF_ANY));
	if (setup & (S_RELEASED | S_STEERED | S_DRAINING)) {
		struct xgro_flow_key k;
		struct xgro_steer s = {
			.last_ns = (setup & S_QUIET)	    ? t0 - 50000000
				   : (setup & S_SHORT_IDLE) ? t0 - 5000000
							    : t0,
			.since_ns = (setup & S_PROBATION) ? t0 - 20000000000ull
							  : t0,
			.state = (setup & S_RELEASED)	? XGRO_STEER_RELEASED
				 : (setup & S_DRAINING) ? XGRO_STEER_DRAINING
							: XGRO_STEER_ON,
			.reason = (setup & S_CSUM)	? XGRO_RELEASE_CSUM
				  : (setup & S_STEERED) ? XGRO_RELEASE_NONE
							: XGRO_RELEASE_NO_MERGE,
			.drain = (setup & S_STAMPED)	? stamp
				 : (setup & S_RELEASED) ? XGRO_DRAIN_SWITCHED
							: 0,
		};

		key_of(&f, &k);
		CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.steer), &k,
					   &s, BPF_ANY));
	}
	o.data_size_in = (uint32_t)len;
	CHECK(!bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xgro_xdp),
				      &o));
	CHECKF(o.retval == XDP_PASS, "verdict %u", o.retval);
	CHECK(counter(XGRO_CNT_RX) == 1);
	CHECKF(counter(cnt_idx) == 1, "counter %u is %llu", cnt_idx,
	       (unsigned long long)counter(cnt_idx));
	CHECK(passed_total() == 1 && counter(XGRO_CNT_STEERED) == 0);
	CHECKF(count_flows() == (want_flow ? 1u : 0u), "%zu flows",
	       count_flows());
	/* a frame on its way to the socket takes its room in the ring */
	CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.heartbeat), &zero,
				   &hb));
	CHECKF(hb.redirected == (cnt_idx == XGRO_CNT_PASS_NO_SOCKET ? 1u : 0u),
	       "redirected %llu", (unsigned long long)hb.redirected);
	if (event)
		CHECKF(counter(event) == 1, "event %u is %llu", event,
		       (unsigned long long)counter(event));
	if (after) {
		struct xgro_flow_key k;
		struct xgro_steer s;

		key_of(&f, &k);
		CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.steer), &k,
					   &s));
		CHECKF(s.state == after - 1, "steer state %u", s.state);
		/* a redirected frame of a draining flow moves its stamp on */
		if (s.state == XGRO_STEER_DRAINING)
			CHECKF(s.drain >= t0 &&
				       !(s.drain & XGRO_DRAIN_SWITCHED),
			       "drain stamp %llu", (unsigned long long)s.drain);
		if (s.state == XGRO_STEER_RELEASED && (setup & S_DRAINED))
			CHECK(s.drain == XGRO_DRAIN_SWITCHED);
	}
	if (want_flow) {
		struct xgro_flow_key k;
		struct xgro_flow_stats *st = calloc((size_t)ncpu, sizeof(*st));
		uint64_t pk = 0, data = 0;

		key_of(&f, &k);
		CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.flows), &k,
					   st));
		for (int c = 0; c < ncpu; c++) {
			pk += st[c].packets;
			data += st[c].data_packets;
		}
		free(st);
		CHECK(pk == 1 && data == (plen ? 1u : 0u));
	}
}

static const struct row *cur_row;

static void row_test(void)
{
	run_case(cur_row->build, cur_row->setup, cur_row->lie, cur_row->counter,
		 cur_row->flow, cur_row->event, cur_row->after);
}

/* The steering decision sticks: a flow stays on one path. */
static void steer_sticks_and_releases(void)
{
	uint8_t frame[2048], pay[100] = { 0 };
	struct pg_flow f;
	struct xgro_flow_key k;
	struct xgro_steer s;
	size_t len;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .repeat = 1);

	run_case(tcp4, 0, L_NONE, XGRO_CNT_PASS_NO_SOCKET, true, 0, 0);
	if (check_failed)
		return;
	pg_init(&f, 4, 6, 1);
	key_of(&f, &k);
	CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.steer), &k, &s));
	CHECK(s.state == XGRO_STEER_ON && s.last_ns);
	/* idle longer than idle_release_ms: the next pure ACK is not steered */
	s.last_ns -= 2000000000ull;
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.steer), &k, &s,
				   BPF_ANY));
	len = pg_build(&f, pay, 0, frame, sizeof(frame));
	o.data_size_in = (uint32_t)len;
	CHECK(!bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xgro_xdp),
				      &o));
	CHECK(counter(XGRO_CNT_PASS_NOT_STEERED) == 1);
	CHECK(bpf_map_lookup_elem(bpf_map__fd(skel->maps.steer), &k, &s));
}

/* The multi-buffer program (xdp.frags) with a jumbo frame, whose IP
 * packet reaches past the first buffer: steered when the sockets take
 * chained frames (frame_size 9216), passed as too large when they do not,
 * malformed when its IP length says more than the frame has. */
static void jumbo_frags_program(void)
{
	static uint8_t frame[XGRO_JUMBO_FRAME], pay[8948];
	struct xgro_config cfg = base_cfg;
	struct xgro_beacon hb = { .heartbeat_ns = now_ns(),
				  .ring_limit = UINT64_MAX };
	const unsigned sizes[3] = { XGRO_JUMBO_FRAME, 3840, XGRO_JUMBO_FRAME };
	const unsigned want[3] = { XGRO_CNT_PASS_NO_SOCKET,
				   XGRO_CNT_PASS_TOO_LARGE,
				   XGRO_CNT_PASS_MALFORMED };
	struct pg_flow f;
	uint32_t zero = 0;
	size_t len;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .repeat = 1);

	pg_init(&f, 4, 6, 1);
	len = pg_build(&f, pay, sizeof(pay), frame, sizeof(frame));
	CHECK(len == 14 + 40 + 8948);
	for (int i = 0; i < 3; i++) {
		reset_maps();
		cfg.frame_size = sizes[i];
		hb.heartbeat_ns = now_ns();
		CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.config),
					   &zero, &cfg, BPF_ANY));
		CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.heartbeat),
					   &zero, &hb, BPF_ANY));
		/* the last: the frame cut short of its IP length */
		o.data_size_in = (uint32_t)(i == 2 ? len - 1000 : len);
		CHECK(!bpf_prog_test_run_opts(
			bpf_program__fd(skel->progs.xgro_xdp_frags), &o));
		CHECKF(counter(want[i]) == 1, "case %d: counter %u is %llu", i,
		       want[i], (unsigned long long)counter(want[i]));
		/* 9,002 bytes take three 4 KB umem frames, and their room */
		CHECK(!bpf_map_lookup_elem(bpf_map__fd(skel->maps.heartbeat),
					   &zero, &hb));
		CHECKF(hb.redirected == (i == 0 ? 3u : 0u),
		       "case %d: %llu descriptors counted", i,
		       (unsigned long long)hb.redirected);
		hb.redirected = 0;
	}
}

/*
 * The contract between the two parsers: the hash and offsets the XDP
 * program writes into a steered frame's metadata are what the engine
 * itself finds. The engine checks offset hints and calls a frame that
 * disagrees malformed, so a disagreement would send every frame of a flow
 * out unmerged; a hash other than xgro_flow_hash() of the engine's key
 * would place flows where lookups without hints do not find them. For
 * each frame the program steers: its offsets equal pktgen's, and the
 * engine fed the frame with the hints behaves exactly as without them and
 * keys it to the same hash.
 */
struct contract_case {
	const char *what;
	int family, proto, nvlan, ipoptlen, optlen, pad, v6_ext;
};

static const struct contract_case contract_cases[] = {
	{ "tcp4", 4, 6, 0, 0, 0, 0, 0 },
	{ "udp4", 4, 17, 0, 0, 0, 0, 0 },
	{ "tcp6", 6, 6, 0, 0, 0, 0, 0 },
	{ "udp6", 6, 17, 0, 0, 0, 0, 0 },
	{ "tcp4_timestamps", 4, 6, 0, 0, 12, 0, 0 },
	{ "tcp4_ip_options", 4, 6, 0, 4, 0, 0, 0 },
	{ "tcp4_vlan", 4, 6, 1, 0, 0, 0, 0 },
	{ "udp6_qinq", 6, 17, 2, 0, 0, 0, 0 },
	{ "tcp4_padded", 4, 6, 0, 0, 0, 6, 0 },
	{ "tcp6_dstopts", 6, 6, 0, 0, 0, 0, PG_EXT_DSTOPTS },
	{ "tcp6_hbh", 6, 6, 0, 0, 0, 0, PG_EXT_HBH },
	{ "udp6_routing", 6, 17, 0, 0, 0, 0, PG_EXT_ROUTING },
};

static struct {
	uint32_t hash;
	unsigned outs;
	bool keyed;
} engine_seen;

static void contract_emit(void *user, const struct xgro_out *o)
{
	const uint32_t *seed = user;

	engine_seen.outs++;
	if (o->flags & XGRO_OUT_FLOW) {
		engine_seen.keyed = true;
		engine_seen.hash = xgro_flow_hash(o->key, *seed);
	}
}

/* The engine's view of one frame, with or without the program's hints. */
static struct xgro_engine_stats engine_view(const uint8_t *frame, size_t len,
					    const struct xgro_meta *m,
					    uint32_t seed)
{
	struct xgro_engine_config ec = { .seed = seed,
					 .csum_mode = XGRO_CSUM_VERIFY };
	struct xgro_pkt p = { .data = frame, .len = (uint32_t)len };
	struct xgro_engine_stats st;
	struct xgro_ctx *ctx;

	if (m) {
		p.hash = m->hash;
		p.l3_off = m->l3_off;
		p.l4_off = m->l4_off;
		p.flags = XGRO_PKT_HASH | XGRO_PKT_OFFSETS;
	}
	memset(&engine_seen, 0, sizeof(engine_seen));
	if (xgro_ctx_create(&ec, contract_emit, &seed, &ctx))
		abort();
	xgro_feed(ctx, &p, 1, 0);
	xgro_flush_all(ctx);
	st = *xgro_stats(ctx);
	xgro_ctx_destroy(ctx);
	return st;
}

/* A contract case's frame, flow i of its kind; its length (0: none). */
static size_t contract_frame(const struct contract_case *c, unsigned i,
			     uint8_t *frame, size_t cap, struct pg_flow *f)
{
	uint8_t pay[1000];

	memset(pay, 0x5a, sizeof(pay));
	pg_init(f, c->family, c->proto, i);
	f->nvlan = c->nvlan;
	f->vlan_tpid[0] = c->nvlan == 2 ? 0x88a8 : 0x8100;
	f->vlan_tpid[1] = 0x8100;
	f->vlan_tci[0] = 10;
	f->vlan_tci[1] = 20;
	f->ipoptlen = c->ipoptlen;
	if (c->ipoptlen)
		memset(f->ipopts, 1, (size_t)c->ipoptlen); /* NOPs */
	f->optlen = c->optlen;
	if (c->optlen)
		memcpy(f->opts, "\x01\x01\x08\x0a\0\0\0\1\0\0\0\2", 12);
	f->pad = c->pad;
	f->v6_ext = (uint8_t)c->v6_ext;
	return pg_build(f, pay, c->pad ? 10 : sizeof(pay), frame, cap);
}

static struct xgro_config contract_cfg(void)
{
	struct xgro_config cfg = base_cfg;

	cfg.steer_vlan = 1;
	cfg.hash_seed = 0x5eed1234;
	return cfg;
}

/*
 * One frame through the program and, if it steers it, through the engine
 * with and without the metadata: both must behave alike and key the same
 * hash. f, if not NULL, is the flow the frame was built as, whose offsets
 * the program must have found. *steered: whether the program steered it.
 */
static void contract_check(const char *what, const uint8_t *frame, size_t len,
			   const struct pg_flow *f, bool *steered)
{
	static uint8_t out[2048 + 256];
	struct xgro_config cfg = contract_cfg();
	struct xgro_beacon hb = { .heartbeat_ns = now_ns(),
				  .ring_limit = UINT64_MAX };
	struct xdp_md ctx_in = { .data_end = (uint32_t)len }, ctx_out = { 0 };
	struct xgro_engine_stats plain, hinted;
	const struct xgro_meta *m;
	uint32_t zero = 0, plain_hash;
	size_t moff;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame,
		    .data_size_in = (uint32_t)len, .data_out = out,
		    .data_size_out = sizeof(out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	reset_maps();
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &cfg,
				   BPF_ANY));
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.heartbeat), &zero,
				   &hb, BPF_ANY));
	CHECK(!bpf_prog_test_run_opts(bpf_program__fd(skel->progs.xgro_xdp),
				      &o));
	/* steered: the metadata is written, then no socket takes it */
	*steered = counter(XGRO_CNT_PASS_NO_SOCKET) == 1;
	CHECKF(*steered || !f, "%s: not steered", what);
	if (!*steered)
		return;
	moff = ctx_out.data - ctx_out.data_meta;
	CHECKF(moff == sizeof(struct xgro_meta), "%s: %zu bytes of metadata",
	       what, moff);
	m = (const void *)(out + ctx_out.data_meta);
	CHECKF(m->magic == XGRO_META_MAGIC, "%s: magic %#x", what, m->magic);
	if (f)
		CHECKF(m->l3_off == pg_l3_off(f) && m->l4_off == pg_l4_off(f),
		       "%s: program says l3 %u l4 %u, the frame has %zu %zu",
		       what, m->l3_off, m->l4_off, pg_l3_off(f), pg_l4_off(f));
	plain = engine_view(frame, len, NULL, cfg.hash_seed);
	plain_hash = engine_seen.hash;
	CHECKF(!f || engine_seen.keyed, "%s: the engine keyed no flow", what);
	hinted = engine_view(frame, len, m, cfg.hash_seed);
	CHECKF(!memcmp(&plain, &hinted, sizeof(plain)),
	       "%s: the engine treats the hinted frame differently "
	       "(malformed %llu vs %llu)",
	       what, (unsigned long long)hinted.malformed,
	       (unsigned long long)plain.malformed);
	if (engine_seen.keyed)
		CHECKF(m->hash == plain_hash && engine_seen.hash == plain_hash,
		       "%s: program hash %#x, engine's %#x", what, m->hash,
		       plain_hash);
}

static void parsers_agree(void)
{
	for (size_t i = 0;
	     i < sizeof(contract_cases) / sizeof(contract_cases[0]); i++) {
		const struct contract_case *c = &contract_cases[i];
		uint8_t frame[2048];
		struct pg_flow f;
		size_t len = contract_frame(c, (unsigned)i, frame,
					    sizeof(frame), &f);
		bool steered;

		CHECKF(len > 0, "%s: pg_build", c->what);
		contract_check(c->what, frame, len, &f, &steered);
	}
}

/*
 * The contract on frames no table lists: the cases' frames with one to
 * four header bytes changed at random, or cut short (a fixed seed, so a
 * failure repeats; the iteration is in its message). Whatever the program
 * steers of them, the engine must take as the program said; enough must
 * be steered for that to mean something.
 */
static void parsers_agree_mutated(void)
{
	const size_t ncase = sizeof(contract_cases) / sizeof(contract_cases[0]);
	uint64_t rnd = 0x9e3779b97f4a7c15ull;
	unsigned steered = 0, runs = 4000;

	for (unsigned i = 0; i < runs && !check_failed; i++) {
		const struct contract_case *c = &contract_cases[i % ncase];
		uint8_t frame[2048];
		struct pg_flow f;
		size_t len = contract_frame(c, i, frame, sizeof(frame), &f);
		size_t hdr = pg_l4_off(&f) + 20;
		char what[96];
		bool one = false;

		CHECK(len > hdr);
		for (int k = 0, n = 1 + (int)(i % 4); k < n; k++) {
			rnd = rnd * 6364136223846793005ull +
			      1442695040888963407ull;
			frame[(rnd >> 33) % hdr] = (uint8_t)(rnd >> 17);
		}
		if (i % 16 == 15) /* test runs take no less than Ethernet's */
			len = 14 + (size_t)((rnd >> 40) % (len - 14));
		snprintf(what, sizeof(what), "%s, mutated (iteration %u)",
			 c->what, i);
		contract_check(what, frame, len, NULL, &one);
		steered += one;
	}
	CHECKF(steered > runs / 10, "only %u of %u mutated frames steered",
	       steered, runs);
}

int main(int argc, char **argv)
{
	int failed = 0;

	if (geteuid()) {
		printf("SKIP: bpf/xdp: needs root to load BPF programs\n");
		return 0;
	}
	ncpu = libbpf_num_possible_cpus();
	skel = xgro__open_and_load();
	if (!skel) {
		printf("FAIL: bpf/load: %s\n", strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct check_test one = { rows[i].name, row_test };

		cur_row = &rows[i];
		failed |= check_run("bpf", &one, 1, argc, argv);
	}
	{
		struct check_test one[] = {
			{ "steer_sticks_then_idle_releases",
			  steer_sticks_and_releases },
			{ "jumbo_frags_program", jumbo_frags_program },
			{ "parsers_agree", parsers_agree },
			{ "parsers_agree_mutated", parsers_agree_mutated },
		};

		failed |= check_run("bpf", one, 4, argc, argv);
	}
	xgro__destroy(skel);
	return failed;
}
