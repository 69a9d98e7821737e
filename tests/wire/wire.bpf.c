// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro-wire's XDP programs.
 *   wire_xdp: attached to the sender's interface, both of these:
 *   wire_rx: catches every segment of
 *     the tool's connections (SYN-ACK, ACKs, FIN, RST), records it in
 *     acks[] and drops it, so the sender namespace's stack never sees the
 *     connections. Everything else passes.
 *   wire_tx: the same program run by BPF_PROG_RUN in live-frames mode; frame i
 * of a run becomes segment plan[i], its headers and 8-byte index rewritten (the
 *     page keeps the pattern from data_in), and goes out with XDP_TX.
 *   wire_pass: XDP_PASS, for a receiver that needs an XDP program to take
 *     XDP frames (veth without GRO).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "wire.h"

struct wire_cfg cfg;
struct wire_ack acks[WIRE_MAX_FLOWS];
struct wire_flow flows[WIRE_MAX_FLOWS];
struct wire_slot plan[WIRE_MAX_PLAN];

static __always_inline __u16 fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (__u16)s;
}

static __always_inline int after(__u32 a, __u32 b)
{
	return (__s32)(a - b) > 0;
}

/* MSS and window scale from a SYN-ACK's options */
static __always_inline void syn_options(struct tcphdr *th, void *end,
					struct wire_ack *a)
{
	__u8 *o = (__u8 *)(th + 1);
	__u32 len = th->doff * 4;
	__u32 i = 20;

	a->peer_mss = 536;
	a->peer_wscale = 0xff;
	for (int n = 0; n < 20 && i < len && i < 60; n++) {
		__u8 *p = (__u8 *)th + i;

		if (p + 1 > (__u8 *)end || p[0] == 0) /* end of options */
			break;
		if (p[0] == 1) { /* NOP */
			i++;
			continue;
		}
		if (p + 2 > (__u8 *)end || p[1] < 2)
			break;
		if (p[0] == 2 && p[1] == 4 && p + 4 <= (__u8 *)end)
			a->peer_mss = (__u16)(p[2] << 8 | p[3]);
		if (p[0] == 3 && p[1] == 3 && p + 3 <= (__u8 *)end)
			a->peer_wscale = p[2] > 14 ? 14 : p[2];
		i += p[1];
	}
	(void)o;
}

static __always_inline int wire_rx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct tcphdr *th;
	struct wire_ack *a;
	__u32 plen, idx, ack, wnd;
	__u8 shift;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP) && !cfg.v6) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl != 5 ||
		    ip->protocol != IPPROTO_TCP || ip->saddr != cfg.daddr[0] ||
		    ip->daddr != cfg.saddr[0])
			goto other;
		th = (void *)(ip + 1);
		plen = bpf_ntohs(ip->tot_len) - 20;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6) && cfg.v6) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);
		__u32 *s, *d;

		if ((void *)(ip6 + 1) > end || ip6->nexthdr != IPPROTO_TCP)
			goto other;
		s = (__u32 *)&ip6->saddr;
		d = (__u32 *)&ip6->daddr;
		if (s[0] != cfg.daddr[0] || s[1] != cfg.daddr[1] ||
		    s[2] != cfg.daddr[2] || s[3] != cfg.daddr[3] ||
		    d[0] != cfg.saddr[0] || d[1] != cfg.saddr[1] ||
		    d[2] != cfg.saddr[2] || d[3] != cfg.saddr[3])
			goto other;
		th = (void *)(ip6 + 1);
		plen = bpf_ntohs(ip6->payload_len);
	} else {
		goto other;
	}
	if ((void *)(th + 1) > end || bpf_ntohs(th->source) != cfg.dport)
		goto other;
	idx = (__u32)bpf_ntohs(th->dest) - cfg.sport_lo;
	if (idx >= cfg.nflows || idx >= WIRE_MAX_FLOWS)
		goto other;
	a = &acks[idx];
	a->acks++;
	if (th->rst) {
		a->state |= WIRE_RST;
		return XDP_DROP;
	}
	if (!th->ack)
		return XDP_DROP;
	ack = bpf_ntohl(th->ack_seq);
	if (th->syn) {
		syn_options(th, end, a);
		a->peer_isn = bpf_ntohl(th->seq);
		a->una = ack;
		a->wnd_end = ack + bpf_ntohs(th->window); /* never scaled */
		a->dupacks = 0;
		a->state |= WIRE_SYNACK;
		return XDP_DROP;
	}
	shift = a->peer_wscale == 0xff ? 0 : a->peer_wscale;
	wnd = (__u32)bpf_ntohs(th->window) << shift;
	plen -= th->doff * 4;
	if (after(ack, a->una)) {
		a->una = ack;
		a->dupacks = 0;
		a->wnd_end = ack + wnd;
	} else if (ack == a->una) {
		/* RFC 5681's duplicate: no data, no FIN, same window */
		if (!plen && !th->fin && a->wnd_end == ack + wnd)
			a->dupacks++;
		a->wnd_end = ack + wnd;
	}
	if (th->fin) {
		a->peer_fin = bpf_ntohl(th->seq) + plen;
		a->state |= WIRE_FIN;
	}
	return XDP_DROP;
other:
	cfg.rx_other++;
	return XDP_PASS;
}

static __always_inline int wire_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct wire_flow *f;
	struct tcphdr *th;
	struct wire_slot s;
	__u32 i = cfg.plan_pos++, seq, sum;
	__u64 index;
	__u8 *pay;

	if (i >= cfg.plan_len || i >= WIRE_MAX_PLAN)
		goto bad;
	s = plan[i];
	if (s.flow >= WIRE_MAX_FLOWS)
		goto bad;
	f = &flows[s.flow];
	/* the longer (IPv6) headers plus the index */
	if (data + 14 + 40 + 20 + 8 > end)
		goto bad;
	__builtin_memcpy(eth->h_dest, cfg.dmac, 6);
	__builtin_memcpy(eth->h_source, cfg.smac, 6);
	if (!cfg.v6) {
		struct iphdr *ip = (void *)(eth + 1);
		__u16 id = bpf_htons(f->ip_id++);

		eth->h_proto = bpf_htons(ETH_P_IP);
		ip->version = 4;
		ip->ihl = 5;
		ip->tos = 0;
		ip->tot_len = bpf_htons(40 + cfg.mss);
		ip->id = id;
		ip->frag_off = bpf_htons(0x4000); /* DF */
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->check = (__u16)~fold(cfg.ip_base + id);
		ip->saddr = cfg.saddr[0];
		ip->daddr = cfg.daddr[0];
		th = (void *)(ip + 1);
	} else {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		eth->h_proto = bpf_htons(ETH_P_IPV6);
		*(__u32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(20 + cfg.mss);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		__builtin_memcpy(&ip6->saddr, cfg.saddr, 16);
		__builtin_memcpy(&ip6->daddr, cfg.daddr, 16);
		th = (void *)(ip6 + 1);
	}
	if ((void *)(th + 1) + 8 > end)
		goto bad;
	seq = bpf_htonl(f->seq0 + s.seg * (__u32)cfg.mss);
	th->source = f->sport;
	th->dest = bpf_htons(cfg.dport);
	th->seq = seq;
	th->ack_seq = bpf_htonl(f->ack);
	*((__u16 *)th + 6) = bpf_htons(0x5000 | 0x10); /* doff 5, ACK */
	th->window = 0xffff;
	th->urg_ptr = 0;
	index = bpf_cpu_to_be64((__u64)s.flow << 56 | s.seg);
	pay = (__u8 *)(th + 1);
	__builtin_memcpy(pay, &index, 8);
	sum = f->csum_base + (seq & 0xffff) + (seq >> 16);
	sum += (__u32)(index & 0xffff) + (__u32)(index >> 16 & 0xffff) +
	       (__u32)(index >> 32 & 0xffff) + (__u32)(index >> 48);
	th->check = (__u16)~fold(sum);
	cfg.tx_frames++;
	return XDP_TX;
bad:
	cfg.tx_bad++;
	return XDP_DROP;
}

/*
 * One program for both: BPF_PROG_RUN with repeat > 1 puts the program in
 * the kernel's XDP dispatcher and takes it out again, two text pokes with
 * IPIs costing milliseconds per run, unless the program is in it already,
 * being attached. Our frames are told apart by their length (cfg.frame_len,
 * 0 until the data phase) and source MAC: ours, or zero in a page fresh from
 * data_in. A frame from the wire never carries our own source MAC.
 */
SEC("xdp")
int wire_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u16 *s = (__u16 *)eth->h_source, *m = (__u16 *)cfg.smac;

	if ((void *)(eth + 1) > end)
		return XDP_PASS;
	if (cfg.frame_len && end - data == cfg.frame_len &&
	    ((s[0] == m[0] && s[1] == m[1] && s[2] == m[2]) ||
	     !(s[0] | s[1] | s[2])))
		return wire_tx(ctx);
	return wire_rx(ctx);
}

SEC("xdp")
int wire_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
