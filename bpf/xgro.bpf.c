// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro XDP classifier: parses each frame, keeps per-flow statistics, and
 * steers bulk flows into the AF_XDP socket of the receiving queue. It
 * fails open: whatever it cannot or should not steer goes to the stack,
 * counted by reason.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "xgro.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct xgro_flow_key);
	__type(value, struct xgro_flow_stats);
} flows SEC(".maps");

/* Shared, not per-CPU: one flow's frames may run on any CPU (veth, no RSS)
 * and all must agree on which path the flow takes. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct xgro_flow_key);
	__type(value, struct xgro_steer);
} steer SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XGRO_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

/* Each queue's worker beacon (last loop, drained stamp, pressure), in the
 * bpf_ktime_get_ns() clock. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE); /* stamped without a syscall */
	__uint(max_entries, XGRO_MAX_QUEUES);
	__type(key, __u32);
	__type(value, struct xgro_beacon);
} heartbeat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XGRO_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE); /* workers read it every loop */
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xgro_config);
} config SEC(".maps");

/* Written by the workers only; here so that it is pinned with BTF. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, XGRO_MAX_QUEUES);
	__type(key, __u32);
	__type(value, struct xgro_worker_stats);
} worker_stats SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

/* Passed frames are counted by reason only: the total is their sum. */
static __always_inline int pass(__u32 reason)
{
	count(reason);
	return XDP_PASS;
}

struct parsed {
	struct xgro_flow_key key;
	__u32 l3_off;
	__u32 l4_off;
	__u32 pay_off;
	__u32 pay_len;
	__u8 tcp_flags;
	__u8 pad[3];
};

static __always_inline bool link_local(const struct xgro_flow_key *k)
{
	if (k->family == 4) /* 169.254.0.0/16, and multicast/broadcast */
		return (bpf_ntohl(k->daddr[0]) >> 16) == 0xa9fe ||
		       (bpf_ntohl(k->daddr[0]) >> 28) == 0xe ||
		       k->daddr[0] == 0xffffffff;
	/* fe80::/10 and multicast ff00::/8 */
	return (bpf_ntohl(k->daddr[0]) & 0xffc00000) == 0xfe800000 ||
	       (bpf_ntohl(k->daddr[0]) >> 24) == 0xff;
}

/*
 * Steps over the IPv6 extension headers the engine merges over, as Linux's
 * GRO does (hop-by-hop, routing with no segments left, destination
 * options), so that such flows are steered like any other. A fragment
 * header, AH, ESP or mobility header is not merged by either: the frame
 * stays on the stack.
 */
static __always_inline __u32 ipv6_ext_skip(void *data, void *end, __u32 *off,
					   __u8 *nh)
{
#pragma unroll
	for (int i = 0; i < XGRO_IP6_EXT_MAX; i++) {
		__u8 *eh = data + *off;

		if (*nh != 0 && *nh != 43 && *nh != 60)
			break;
		if ((void *)(eh + 8) > end)
			return XGRO_CNT_PASS_MALFORMED;
		if (*nh == 43 && eh[3]) /* segments left */
			return XGRO_CNT_PASS_IPV6_EXT;
		*nh = eh[0];
		*off += ((__u32)eh[1] + 1) * 8;
	}
	if (*nh != IPPROTO_TCP && *nh != IPPROTO_UDP) {
		switch (*nh) {
		case 0:	  /* hop-by-hop */
		case 43:  /* routing */
		case 44:  /* fragment */
		case 50:  /* ESP */
		case 51:  /* AH */
		case 60:  /* destination options */
		case 135: /* mobility */
			return XGRO_CNT_PASS_IPV6_EXT;
		}
	}
	return 0;
}

/* Returns 0 when the frame is a TCP/UDP flow, else the pass reason. The
 * headers must be in the linear part; the IP lengths are checked against
 * the whole frame (flen), which with multi-buffer XDP reaches past it. */
/* The Ethernet header and up to two VLAN tags; the EtherType after them
 * in *proto, the L3 offset in *off. */
static __always_inline __u32 parse_l2(void *data, void *end, struct parsed *p,
				      __u32 *off, __u16 *proto)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > end)
		return XGRO_CNT_PASS_MALFORMED;
	*proto = eth->h_proto;
	*off = sizeof(*eth);
#pragma unroll
	for (int i = 0; i < 2; i++) {
		__be16 *tag = data + *off;

		if (*proto != bpf_htons(ETH_P_8021Q) &&
		    *proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(tag + 2) > end)
			return XGRO_CNT_PASS_MALFORMED;
		p->key.vlan[i] =
			(__u32)bpf_ntohs(*proto) << 16 | bpf_ntohs(tag[0]);
		p->key.nvlan = (__u8)(i + 1);
		*proto = tag[1];
		*off += 4;
	}
	if (*proto == bpf_htons(ETH_P_8021Q) ||
	    *proto == bpf_htons(ETH_P_8021AD))
		return XGRO_CNT_PASS_VLAN; /* a third tag */
	return 0;
}

/* IPv4: addresses into the key, *off moved to L4, the end of the IP
 * packet (checked against the whole frame, flen) in *l3_end. */
static __always_inline __u32 parse_ipv4(void *data, void *end, __u64 flen,
					struct parsed *p, __u32 *off,
					__u32 *l3_end, __u8 *l4proto)
{
	struct iphdr *ip = data + *off;
	__u32 ihl;

	if ((void *)(ip + 1) > end)
		return XGRO_CNT_PASS_MALFORMED;
	ihl = ip->ihl * 4;
	if (ip->version != 4 || ihl < 20 || bpf_ntohs(ip->tot_len) < ihl)
		return XGRO_CNT_PASS_MALFORMED;
	*l3_end = *off + bpf_ntohs(ip->tot_len);
	if (*l3_end > flen)
		return XGRO_CNT_PASS_MALFORMED;
	if (ip->frag_off & bpf_htons(0x3fff))
		return XGRO_CNT_PASS_FRAGMENT;
	p->key.family = 4;
	p->key.saddr[0] = ip->saddr;
	p->key.daddr[0] = ip->daddr;
	*l4proto = ip->protocol;
	*off += ihl & 0x3c;
	return 0;
}

/* IPv6, and the extension headers the engine merges over. */
static __always_inline __u32 parse_ipv6(void *data, void *end, __u64 flen,
					struct parsed *p, __u32 *off,
					__u32 *l3_end, __u8 *l4proto)
{
	struct ipv6hdr *ip6 = data + *off;

	if ((void *)(ip6 + 1) > end)
		return XGRO_CNT_PASS_MALFORMED;
	if (ip6->version != 6)
		return XGRO_CNT_PASS_MALFORMED;
	*l3_end = *off + sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (*l3_end > flen)
		return XGRO_CNT_PASS_MALFORMED;
	p->key.family = 6;
	__builtin_memcpy(p->key.saddr, &ip6->saddr, 16);
	__builtin_memcpy(p->key.daddr, &ip6->daddr, 16);
	*l4proto = ip6->nexthdr;
	*off += sizeof(*ip6);
	return ipv6_ext_skip(data, end, off, l4proto);
}

/* TCP or UDP at off: ports, flags and where the payload starts. */
static __always_inline __u32 parse_l4(void *data, void *end, struct parsed *p,
				      __u32 off, __u32 l3_end, __u8 l4proto)
{
	p->key.proto = l4proto;
	p->l4_off = off;
	if (l4proto == IPPROTO_TCP) {
		struct tcphdr *th = data + off;
		__u32 doff;

		if ((void *)(th + 1) > end)
			return XGRO_CNT_PASS_MALFORMED;
		doff = th->doff * 4;
		if (doff < 20 || off + doff > l3_end)
			return XGRO_CNT_PASS_MALFORMED;
		p->key.sport = th->source;
		p->key.dport = th->dest;
		p->tcp_flags = ((__u8 *)th)[13];
		p->pay_off = off + doff;
	} else if (l4proto == IPPROTO_UDP) {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > end)
			return XGRO_CNT_PASS_MALFORMED;
		if (bpf_ntohs(uh->len) < 8 || off + bpf_ntohs(uh->len) > l3_end)
			return XGRO_CNT_PASS_MALFORMED;
		p->key.sport = uh->source;
		p->key.dport = uh->dest;
		p->pay_off = off + 8;
	} else {
		return XGRO_CNT_PASS_PROTO;
	}
	p->pay_len = l3_end - p->pay_off;
	return 0;
}

/* The flow a frame belongs to, or why it has none we steer. */
static __always_inline __u32 parse(struct xdp_md *ctx, struct parsed *p,
				   __u64 flen)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 off = 0, l3_end = 0, reason;
	__u16 proto = 0;
	__u8 l4proto = 0;

	reason = parse_l2(data, end, p, &off, &proto);
	if (reason)
		return reason;
	p->l3_off = off;
	if (proto == bpf_htons(ETH_P_IP))
		reason =
			parse_ipv4(data, end, flen, p, &off, &l3_end, &l4proto);
	else if (proto == bpf_htons(ETH_P_IPV6))
		reason =
			parse_ipv6(data, end, flen, p, &off, &l3_end, &l4proto);
	else
		reason = XGRO_CNT_PASS_NOT_IP;
	return reason ? reason : parse_l4(data, end, p, off, l3_end, l4proto);
}

static __always_inline void flow_account(const struct parsed *p, __u64 len,
					 __u64 now, bool steered)
{
	struct xgro_flow_stats *st, init = {};

	st = bpf_map_lookup_elem(&flows, &p->key);
	if (!st) {
		init.first_ns = now;
		bpf_map_update_elem(&flows, &p->key, &init, BPF_NOEXIST);
		st = bpf_map_lookup_elem(&flows, &p->key);
		if (!st)
			return;
	}
	/* a per-CPU entry: made on one CPU, it is zero on the others */
	if (!st->first_ns)
		st->first_ns = now;
	st->packets++;
	st->bytes += len;
	if (p->pay_len)
		st->data_packets++;
	if (steered)
		st->steered++;
	else
		st->passed++;
	st->last_ns = now;
	st->tcp_flags |= p->tcp_flags;
}

static __always_inline bool behind(const struct xgro_beacon *b, __u64 now,
				   __u64 limit_ns)
{
	/* a stamp taken on another CPU may be a little ahead of our now */
	return !b ||
	       (now > b->heartbeat_ns && now - b->heartbeat_ns > limit_ns);
}

/*
 * A flow asks to be steered: its first data frame, or a released flow's
 * after probation (s its entry). Refused while the queue cannot take more
 * (the flow then stays on the stack until probation or idle: it is never
 * split mid-stream), else put on the steered path.
 */
static __always_inline __u32 admit(const struct parsed *p,
				   const struct xgro_config *cfg,
				   const struct xgro_beacon *b,
				   struct xgro_steer *s, __u64 now)
{
	struct xgro_steer fresh = { .last_ns = now, .since_ns = now };
	__u64 lag = (__u64)XGRO_ADMIT_LAG_MS * 1000000;
	__u32 why = 0;

	if (lag > (__u64)cfg->heartbeat_ms * 1000000)
		lag = (__u64)cfg->heartbeat_ms * 1000000;
	if (behind(b, now, lag))
		why = XGRO_RELEASE_LAGGING;
	else if (b->pressure)
		why = XGRO_RELEASE_PRESSURE;
	if (why) {
		if (s) { /* probation starts again */
			s->since_ns = now;
			s->reason = (__u16)why;
		} else {
			fresh.state = XGRO_STEER_RELEASED;
			fresh.reason = (__u16)why;
			bpf_map_update_elem(&steer, &p->key, &fresh, BPF_ANY);
		}
		return why == XGRO_RELEASE_LAGGING ? XGRO_CNT_PASS_LAGGING
						   : XGRO_CNT_PASS_PRESSURE;
	}
	if (s) {
		s->drain = 0;
		s->reason = XGRO_RELEASE_NONE;
		s->since_ns = now;
		s->last_ns = now;
		s->state = XGRO_STEER_ON;
		count(XGRO_CNT_READMITTED);
	} else {
		bpf_map_update_elem(&steer, &p->key, &fresh, BPF_ANY);
	}
	count(XGRO_CNT_ADMITTED);
	return 0;
}

/*
 * A frame of a DRAINING flow: redirected, with its stamp kept in the
 * entry, until the worker of the queue that got the newest stamp says it
 * has emitted everything stamped up to that; then this frame is the first
 * one passed. One compare-and-swap decides between the two, so a frame on
 * another CPU cannot be redirected after one of ours was passed.
 */
static __always_inline __u32 drain_step(struct xgro_steer *s, __u32 queue,
					__u64 now, __u32 *mflags)
{
	__u64 stamp = now & ~XGRO_DRAIN_SWITCHED;

#pragma unroll
	for (int i = 0; i < 4; i++) {
		__u64 w = *(volatile __u64 *)&s->drain, want = stamp;
		__u32 q = s->queue;
		struct xgro_beacon *b;

		if (w & XGRO_DRAIN_SWITCHED)
			return XGRO_CNT_PASS_RELEASED;
		b = w ? bpf_map_lookup_elem(&heartbeat, &q) : NULL;
		if (b && *(volatile __u64 *)&b->drained_ns >= w) {
			if (__sync_val_compare_and_swap(
				    &s->drain, w, XGRO_DRAIN_SWITCHED) == w) {
				s->state = XGRO_STEER_RELEASED;
				s->since_ns = now;
				count(XGRO_CNT_DRAINED);
				return XGRO_CNT_PASS_RELEASED;
			}
			continue;
		}
		/* never move the stamp back (clocks of two CPUs) */
		if (want < w)
			want = w;
		if (__sync_val_compare_and_swap(&s->drain, w, want) == w) {
			s->queue = (__u16)queue;
			break;
		}
	}
	/* four lost races: another CPU keeps stamping, so not drained yet */
	*mflags |= XGRO_META_DRAINING;
	return 0;
}

/* 0 when the flow is on the steered path now, else the pass reason. */
static __always_inline __u32 steer_state(const struct parsed *p,
					 const struct xgro_config *cfg,
					 const struct xgro_beacon *b,
					 __u32 queue, __u64 now, __u32 *mflags)
{
	__u64 idle_ns = (__u64)cfg->idle_release_ms * 1000000;
	__u64 quiet_ns = (XGRO_READMIT_QUIET_MS + 1) * 1000000ull;
	struct xgro_steer *s;

	s = bpf_map_lookup_elem(&steer, &p->key);
	if (s) {
		__u64 age = now > s->last_ns ? now - s->last_ns : 0;
		__u32 state = s->state;
		bool alive = age <= idle_ns;

		/* kernel -> xgro only after a quiet spell
		 * (XGRO_READMIT_QUIET_MS), whichever way it comes */
		if (state == XGRO_STEER_RELEASED && age <= quiet_ns)
			alive = true;
		if (alive) {
			bool probation_over =
				cfg->probation_ms &&
				s->reason != XGRO_RELEASE_CSUM &&
				now - s->since_ns >
					(__u64)cfg->probation_ms * 1000000;

			if (state == XGRO_STEER_RELEASED && probation_over &&
			    age > quiet_ns && p->pay_len &&
			    p->pay_len >= cfg->min_payload)
				return admit(p, cfg, b, s, now);
			/* a shared line: write it once a millisecond, not per
			 * frame; idle release is measured in seconds */
			if (age > 1000000)
				s->last_ns = now;
			if (state == XGRO_STEER_ON)
				return 0;
			if (state == XGRO_STEER_DRAINING)
				return drain_step(s, queue, now, mflags);
			return XGRO_CNT_PASS_RELEASED;
		}
		/* idle long enough that nothing of it can still be held */
		bpf_map_delete_elem(&steer, &p->key);
	}
	if (!p->pay_len || p->pay_len < cfg->min_payload)
		return XGRO_CNT_PASS_NOT_STEERED;
	return admit(p, cfg, b, NULL, now);
}

/*
 * Room in the socket's RX ring for this frame, counted as it goes: the
 * worker says at every loop at which count of redirected descriptors the
 * ring is full. A worker kept from its CPU (a vCPU the hypervisor took, a
 * task of higher priority) for longer than its ring lasts would otherwise
 * lose every frame past it; passed, they reach TCP out of order instead
 * of not at all. The add is atomic: in skb mode two CPUs may run one queue.
 */
static __always_inline __u32 ring_room(struct xgro_beacon *b, __u64 len)
{
	/* len: a parsed frame's, so at least its headers */
	__u64 descs = 1 + (len - 1) / XGRO_RING_DESC_BYTES;

	if (b->redirected + descs + XGRO_RING_MARGIN >
	    *(volatile __u64 *)&b->ring_limit)
		return XGRO_CNT_PASS_RING_FULL;
	__sync_fetch_and_add(&b->redirected, descs);
	return 0;
}

/* 0 when the frame may go to its queue's socket, else why it may not. */
static __always_inline __u32 steer_verdict(const struct parsed *p,
					   const struct xgro_config *cfg,
					   __u32 queue, __u64 len, __u64 now,
					   __u32 *mflags)
{
	struct xgro_beacon *b;
	__u32 reason;

	if ((p->key.proto == IPPROTO_TCP && !(cfg->protos & XGRO_PROTO_TCP)) ||
	    (p->key.proto == IPPROTO_UDP && !(cfg->protos & XGRO_PROTO_UDP)))
		return XGRO_CNT_PASS_PROTO;
	if (p->key.nvlan && !cfg->steer_vlan)
		return XGRO_CNT_PASS_VLAN;
	if (link_local(&p->key))
		return XGRO_CNT_PASS_LINK_LOCAL;
	b = bpf_map_lookup_elem(&heartbeat, &queue);
	/* before the flow's entry: a halted queue admits nothing either */
	if (b && b->halt)
		return XGRO_CNT_PASS_HALTED;
	reason = steer_state(p, cfg, b, queue, now, mflags);
	if (reason)
		return reason;
	/* fail open: a frame the umem cannot hold, or a stalled worker */
	if (len > cfg->frame_size)
		return XGRO_CNT_PASS_TOO_LARGE;
	if (behind(b, now, (__u64)cfg->heartbeat_ms * 1000000))
		return XGRO_CNT_PASS_STALE_WORKER;
	return ring_room(b, len);
}

static __always_inline void write_meta(struct xdp_md *ctx,
				       const struct parsed *p, __u32 hash,
				       __u32 flags, __u64 now)
{
	struct xgro_meta *meta;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*meta)))
		return; /* the worker parses without it */
	data = (void *)(long)ctx->data;
	meta = (void *)(long)ctx->data_meta;
	if ((void *)(meta + 1) > data)
		return;
	meta->magic = XGRO_META_MAGIC;
	meta->l3_off = (__u16)p->l3_off;
	meta->l4_off = (__u16)p->l4_off;
	meta->payload_off = (__u16)p->pay_off;
	meta->hash = hash;
	meta->flags = flags;
	meta->stamp = now;
}

static __always_inline int classify(struct xdp_md *ctx)
{
	struct parsed p = {};
	struct xgro_config *cfg;
	__u32 zero = 0, reason, queue = ctx->rx_queue_index, mflags = 0;
	__u64 now, len;

	count(XGRO_CNT_RX);
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return pass(XGRO_CNT_PASS_NOT_STEERED);
	len = bpf_xdp_get_buff_len(ctx);
	reason = parse(ctx, &p, len);
	if (reason)
		return pass(reason); /* no flow to account it to */
	now = bpf_ktime_get_ns();
	reason = steer_verdict(&p, cfg, queue, len, now, &mflags);
	if (!reason) {
		mflags |= (bpf_get_smp_processor_id() + 1)
			  << XGRO_META_CPU_SHIFT;
		write_meta(ctx, &p, xgro_flow_hash(&p.key, cfg->hash_seed),
			   mflags, now);
		if (bpf_redirect_map(&xsks, queue, XDP_PASS) != XDP_REDIRECT)
			reason = XGRO_CNT_PASS_NO_SOCKET;
	}
	flow_account(&p, len, now, !reason);
	if (reason)
		return pass(reason);
	count(XGRO_CNT_STEERED);
	if (mflags & XGRO_META_DRAINING)
		count(XGRO_CNT_STEERED_DRAINING);
	return XDP_REDIRECT;
}

SEC("xdp")
int xgro_xdp(struct xdp_md *ctx)
{
	return classify(ctx);
}

/* The same, for multi-buffer XDP: frames larger than a page (jumbo MTUs;
 * veth refuses a peer MTU over about 3.5 KB without it) come in pieces,
 * and go to sockets bound with XDP_USE_SG, which take them as chained
 * descriptors. */
SEC("xdp.frags")
int xgro_xdp_frags(struct xdp_md *ctx)
{
	return classify(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
