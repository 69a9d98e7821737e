/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Every structure that the XDP program and userspace share. The BPF side
 * includes this with vmlinux-free UAPI types only; nothing here may be
 * redefined elsewhere. Sizes are asserted so that a change on one side
 * cannot silently desynchronise the other.
 */
#ifndef XGRO_H
#define XGRO_H

#include <linux/types.h>

#ifndef __cplusplus
#define XGRO_STATIC_ASSERT(c, m) _Static_assert(c, m)
#else
#define XGRO_STATIC_ASSERT(c, m) static_assert(c, m)
#endif

/* Protocol bits for xgro_config.protos and the engine configuration. */
#define XGRO_PROTO_TCP (1u << 0)
#define XGRO_PROTO_UDP (1u << 1)

/* Checksum modes (DESIGN.md, "Checksums"). */
enum xgro_csum_mode {
	XGRO_CSUM_VERIFY = 0,
	XGRO_CSUM_FOLD = 1,
	XGRO_CSUM_TRUST = 2,
};

/*
 * Flow key: the same layout in the BPF maps and in the engine's table.
 * Addresses and ports stay in network order; an IPv4 address sits in
 * word 0 with the other words zero. vlan[i] is (TPID << 16 | TCI), host
 * order, outermost first.
 */
struct xgro_flow_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u32 vlan[2];
	__u8 family; /* 4 or 6 */
	__u8 proto; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 nvlan;
	__u8 pad;
} __attribute__((aligned(8)));
XGRO_STATIC_ASSERT(sizeof(struct xgro_flow_key) == 48, "flow key size");

/*
 * Flow hash, computed the same way by the XDP program (it hands it to the
 * worker in struct xgro_meta) and by the engine (for frames without that
 * hint), so a flow lands in one bucket whichever side hashed it. Seeded
 * (xgro_config.hash_seed) so that colliding flows cannot be precomputed;
 * the six multiplies are independent, so it costs a few nanoseconds.
 */
static inline __u32 xgro_flow_hash(const struct xgro_flow_key *k, __u32 seed)
{
	__u64 s = (__u64)seed * 0x9e3779b97f4a7c15ull;
	__u64 h, w[6];

	/* copied, not cast: the key is written field by field */
	__builtin_memcpy(w, k, sizeof(w));
	h = ((w[0] ^ s) * 0xff51afd7ed558ccdull) +
	    ((w[1] ^ (s >> 7)) * 0xc4ceb9fe1a85ec53ull) +
	    ((w[2] ^ (s >> 13)) * 0x87c37b91114253d5ull) +
	    ((w[3] ^ (s >> 19)) * 0x4cf5ad432745937full) +
	    ((w[4] ^ (s >> 23)) * 0x52dce729da3ed2b5ull) +
	    ((w[5] ^ (s >> 29)) * 0x9e3779b97f4a7c15ull);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (__u32)h;
}

/* Per-flow statistics in the per-CPU `flows` map. */
struct xgro_flow_stats {
	__u64 packets;
	__u64 bytes;
	__u64 data_packets;
	__u64 steered;
	__u64 passed;
	__u64 first_ns;
	__u64 last_ns;
	__u8 tcp_flags; /* OR of every TCP flag byte seen */
	__u8 pad[7];
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_flow_stats) == 64, "flow stats size");

/* Steering state in the shared `steer` LRU hash, keyed by the flow key. */
struct xgro_steer {
	__u64 last_ns; /* last packet seen, for idle release */
	__u32 released; /* set by a worker: keep this flow on the stack */
	__u32 pad;
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_steer) == 16, "steer size");

/*
 * Runtime configuration: element 0 of the `config` array map. The XDP
 * program reads it on every packet and the workers on every loop, so a
 * write through the pinned map takes effect at once.
 */
struct xgro_config {
	__u32 protos; /* XGRO_PROTO_* */
	__u32 min_payload; /* bytes of L4 payload before a flow is steered */
	__u32 idle_release_ms; /* steered flow goes back after this idle time */
	__u32 flush_us; /* longest hold of a segment; 0: flush when idle */
	__u32 max_size; /* largest merged IP length */
	__u32 csum_mode; /* enum xgro_csum_mode */
	__u32 heartbeat_ms; /* worker considered stale after this */
	__u32 frame_size; /* largest frame a umem frame can hold */
	__u32 steer_vlan; /* steer tagged frames too */
	__u32 hash_seed; /* seed of xgro_flow_hash() */
	__u32 max_segs; /* segments per super-packet; 1: pass through */
	__u32 pad;
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_config) == 48, "config size");

/*
 * Per-packet metadata written in front of the frame with
 * bpf_xdp_adjust_meta(). The area is not cleared between packets, hence
 * the magic. Offsets are from the start of the Ethernet header.
 */
#define XGRO_META_MAGIC 0x7847u /* "xG" */
struct xgro_meta {
	__u16 magic;
	__u16 l3_off;
	__u16 l4_off;
	__u16 payload_off;
	__u32 hash;
	__u32 pad;
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_meta) == 16, "meta size");

/* Indexes into the per-CPU `counters` array of the XDP program. Frames
 * passed to the stack are counted by reason; `xgro stats` adds them up. */
enum xgro_counter {
	XGRO_CNT_RX,
	XGRO_CNT_STEERED,
	XGRO_CNT_PASS_FIRST, /* the reasons, from here to the end */
	XGRO_CNT_PASS_NOT_IP = XGRO_CNT_PASS_FIRST,
	XGRO_CNT_PASS_PROTO,
	XGRO_CNT_PASS_FRAGMENT,
	XGRO_CNT_PASS_IPV6_EXT,
	XGRO_CNT_PASS_LINK_LOCAL,
	XGRO_CNT_PASS_VLAN,
	XGRO_CNT_PASS_MALFORMED,
	XGRO_CNT_PASS_NOT_STEERED,
	XGRO_CNT_PASS_NO_SOCKET,
	XGRO_CNT_PASS_STALE_WORKER,
	XGRO_CNT_PASS_TOO_LARGE,
	XGRO_CNT_MAX,
};

/*
 * Engine (merge) counters. One copy per engine context; the workers copy
 * theirs into the pinned `worker_stats` map, so bpftool prints them with
 * field names too.
 */
struct xgro_engine_stats {
	__u64 packets_in; /* frames fed */
	__u64 packets_out; /* outputs emitted: super-packets and lone frames */
	__u64 superpackets_out; /* outputs of two or more segments */
	__u64 segments_merged; /* frames that left inside a super-packet */
	__u64 bytes_in;
	__u64 bytes_out;
	/* why a held super-packet was emitted */
	__u64 flush_psh;
	__u64 flush_short; /* segment shorter than gso_size */
	__u64 flush_size; /* max_size reached */
	__u64 flush_segs; /* segment limit reached */
	__u64 flush_age; /* flush interval elapsed */
	__u64 flush_table_full; /* oldest flow evicted for a new one */
	__u64 flush_budget; /* held-frame budget */
	__u64 flush_unmergeable; /* a packet of the flow that cannot merge */
	__u64 flush_mismatch; /* a packet that starts a new super-packet */
	__u64 flush_explicit; /* flush_all by the caller */
	/* why a frame went out alone without being held */
	__u64 alone_not_flow; /* not TCP/UDP over plain IPv4/IPv6 */
	__u64 alone_unmergeable; /* flags, no payload, options, fragments */
	__u64 csum_bad; /* L4 checksum failed verification */
	__u64 ip_csum_bad; /* IPv4 header checksum failed */
	__u64 malformed; /* truncated or lying lengths */
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_engine_stats) == 21 * 8,
		   "engine stats size");

/*
 * One AF_XDP socket's frames, in its worker's slot (README, "Counting every
 * frame"). The kernel's four RX counters come from getsockopt(SOL_XDP,
 * XDP_STATISTICS), a syscall that takes the socket's mutex, so the worker
 * samples them every XGRO_XSK_SAMPLE_MS and says when in sampled_ns; the
 * ring levels cost no syscall (the rings' shared producer and consumer
 * words) and are published every loop. Times are CLOCK_MONOTONIC, the
 * clock of the heartbeat. sampled_ns and published_ns come first: a reader
 * copying the slot front to back while the worker writes it, and finding
 * a time at least T, then reads figures at least as new as T.
 */
#define XGRO_XSK_SAMPLE_MS 50
struct xgro_xsk_stats {
	__u64 sampled_ns; /* last getsockopt; 0: not yet */
	__u64 published_ns; /* last update of the ring levels below */
	/* XDP_STATISTICS, cumulative since the socket was bound */
	__u64 rx_dropped; /* no fill-ring frame to copy into, or too large */
	__u64 rx_invalid_descs; /* bad descriptors on the RX ring */
	__u64 rx_ring_full; /* the RX ring had no room: frame dropped */
	__u64 rx_fill_ring_empty_descs; /* fill ring found empty */
	__u64 sample_errors; /* getsockopt failures */
	/* levels, now */
	__u64 rx_size; /* RX ring entries */
	__u64 fill_size; /* fill ring entries */
	__u64 rx_pending; /* descriptors in the RX ring, not yet taken */
	__u64 fill_stocked; /* frames in the fill ring, for the kernel */
	__u64 umem_frames; /* frames in the umem */
	__u64 umem_free; /* frames in the worker's reserve (in no ring) */
	__u64 held_frames; /* frames the engine holds (xgro_held_frames) */
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_xsk_stats) == 14 * 8, "xsk stats size");

/* Per-queue worker figures in the pinned `worker_stats` array. */
struct xgro_worker_stats {
	struct xgro_engine_stats engine;
	__u64 rx_frames; /* descriptors taken from the RX ring */
	__u64 frames_in_flight; /* taken from the fill ring, not yet back */
	__u64 sink_writes; /* writes to the tap or veth */
	__u64 sink_errors; /* writes refused; their frames are dropped */
	__u64 segmented; /* outputs cut in software (GSO write refused) */
	__u64 flows_released; /* flows handed back to the stack (checksums) */
	__u64 no_meta; /* frames without valid XDP metadata */
	__u64 loops;
	struct xgro_xsk_stats xsk; /* last: the fields above keep their offsets */
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_worker_stats) ==
			   sizeof(struct xgro_engine_stats) + 8 * 8 +
				   sizeof(struct xgro_xsk_stats),
		   "worker stats size");

#endif /* XGRO_H */
