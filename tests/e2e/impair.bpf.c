// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Wire impairments for the relay's egress (tc cls_bpf, direct action):
 * drop, duplicate or corrupt one payload byte, each with a probability per
 * million frames, from a seeded generator so that a failing run can be
 * replayed. Built once per impairment with -DIMPAIR_* and -DPPM=.
 * Frames left alone get TC_ACT_UNSPEC, so that filters chain.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef PPM
#define PPM 10000
#endif
#ifndef SEED
#define SEED 12345
#endif

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2); /* 0: generator state, 1: frames impaired */
	__type(key, __u32);
	__type(value, __u64);
} state SEC(".maps");

static __always_inline __u64 rnd(void)
{
	__u32 k = 0;
	__u64 *s = bpf_map_lookup_elem(&state, &k), x;

	if (!s)
		return 0;
	x = *s ? *s : SEED;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x; /* one CPU at a time is enough for a test's randomness */
	return x;
}

static __always_inline void count(void)
{
	__u32 k = 1;
	__u64 *n = bpf_map_lookup_elem(&state, &k);

	if (n)
		__sync_fetch_and_add(n, 1);
}

SEC("tc")
int impair(struct __sk_buff *skb)
{
	/* only data-carrying IPv4/IPv6 frames: leave ARP and ND alone */
	if (skb->len < 200 || (skb->protocol != bpf_htons(0x0800) &&
			       skb->protocol != bpf_htons(0x86dd)))
		return TC_ACT_UNSPEC;
	if (rnd() % 1000000 >= PPM)
		return TC_ACT_UNSPEC;
	count();
#if defined(IMPAIR_DROP)
	return TC_ACT_SHOT;
#elif defined(IMPAIR_DUP)
	bpf_clone_redirect(skb, skb->ifindex, 0);
	return TC_ACT_UNSPEC;
#elif defined(IMPAIR_CORRUPT)
	{
		/* a byte past any header, checksum left stale */
		__u32 off = 100 + (__u32)(rnd() % (skb->len - 100));
		__u8 b;

		if (bpf_skb_load_bytes(skb, off, &b, 1))
			return TC_ACT_UNSPEC;
		b ^= (__u8)(1 + rnd() % 255);
		bpf_skb_store_bytes(skb, off, &b, 1, 0);
		return TC_ACT_UNSPEC;
	}
#else
#error "define IMPAIR_DROP, IMPAIR_DUP or IMPAIR_CORRUPT"
#endif
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
