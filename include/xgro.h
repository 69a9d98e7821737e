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
/* RX queues one instance serves: the size of the `xsks` and `heartbeat`
 * maps, of the sink's queue fds and of every per-queue array. */
#define XGRO_MAX_QUEUES 64

#define XGRO_PROTO_TCP (1u << 0)
#define XGRO_PROTO_UDP (1u << 1)

/* Checksum modes (docs/design.md, "Writing to the tap"). */
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
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
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
#define XGRO_HASH_SEED_MUL 0x9e3779b97f4a7c15ull

/* Word i's term of the sum (i a constant: the switch folds away). The
 * engine's fast path adds up once per seed the terms of the words its
 * keys have fixed (hash_terms() in user/engine/engine.c). */
static inline __u64 xgro_hash_term(int i, __u64 w, __u64 s)
{
	switch (i) {
	case 0:
		return (w ^ s) * 0xff51afd7ed558ccdull;
	case 1:
		return (w ^ (s >> 7)) * 0xc4ceb9fe1a85ec53ull;
	case 2:
		return (w ^ (s >> 13)) * 0x87c37b91114253d5ull;
	case 3:
		return (w ^ (s >> 19)) * 0x4cf5ad432745937full;
	case 4:
		return (w ^ (s >> 23)) * 0x52dce729da3ed2b5ull;
	default:
		return (w ^ (s >> 29)) * 0x9e3779b97f4a7c15ull;
	}
}

static inline __u32 xgro_hash_final(__u64 h)
{
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return (__u32)h;
}

static inline __u32 xgro_flow_hash(const struct xgro_flow_key *k, __u32 seed)
{
	__u64 s = (__u64)seed * XGRO_HASH_SEED_MUL;
	__u64 w[6];

	/* copied, not cast: the key is written field by field */
	__builtin_memcpy(w, k, sizeof(w));
	return xgro_hash_final(
		xgro_hash_term(0, w[0], s) + xgro_hash_term(1, w[1], s) +
		xgro_hash_term(2, w[2], s) + xgro_hash_term(3, w[3], s) +
		xgro_hash_term(4, w[4], s) + xgro_hash_term(5, w[5], s));
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

/*
 * Steering state in the shared `steer` LRU hash, keyed by the flow key
 * (README, "Steering only what pays"). A flow is on one path at a time:
 *
 *   (none) --data--> ON --worker: no merge, bad checksums--> DRAINING
 *   DRAINING --XDP: its worker has emitted every frame of it--> RELEASED
 *   (none) --data, queue under pressure or its worker lagging--> RELEASED
 *   RELEASED --probation over and the flow quiet, or idle--> ON / (none)
 *
 * While DRAINING the XDP program keeps redirecting the flow and keeps in
 * `drain` the newest bpf_ktime_get_ns() stamp it gave one of its frames
 * (the same stamp goes in the frame's struct xgro_meta). The worker
 * publishes per queue, in struct xgro_beacon, the newest stamp of the
 * frames it has taken from the RX ring at a point where it held none of
 * them any more: every frame of that queue stamped up to drained_ns has
 * reached the stack. The frame that finds drained_ns >= drain switches the
 * flow to RELEASED and is the first one passed. `drain` also carries the
 * switch (1: released) so that stamping and switching are one
 * compare-and-swap on one word.
 */
enum xgro_steer_state {
	XGRO_STEER_ON = 0,
	XGRO_STEER_RELEASED = 1,
	XGRO_STEER_DRAINING = 2,
};

/* Why a flow left the steered path (xgro_steer.reason). */
enum xgro_release_reason {
	XGRO_RELEASE_NONE = 0,
	XGRO_RELEASE_NO_MERGE = 1, /* under release_segs segments per output */
	XGRO_RELEASE_CSUM = 2,	   /* checksums kept failing (sender offload) */
	XGRO_RELEASE_PRESSURE = 3, /* admission refused: RX ring filling */
	XGRO_RELEASE_LAGGING = 4,  /* admission refused: worker not looping */
	XGRO_RELEASE_MAX,
};

#define XGRO_DRAIN_SWITCHED 1ull /* xgro_steer.drain once RELEASED */

struct xgro_steer {
	__u64 last_ns;	/* last packet seen (to 1 ms), for idle release */
	__u64 drain;	/* DRAINING: newest stamp given (even), 0: none yet */
	__u64 since_ns; /* entered DRAINING or RELEASED: probation */
	__u32 state;	/* enum xgro_steer_state */
	__u16 reason;	/* enum xgro_release_reason */
	__u16 queue;	/* queue of the newest stamped frame while DRAINING */
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_steer) == 32, "steer size");

/*
 * Worker side of the release decision: a flow is judged on windows of
 * this many consecutive outputs of it; under release_segs segments per
 * output on average (default 2: each frame went out alone, or in pairs at
 * best), it is released. 16 outputs are 16 request/response rounds (a
 * millisecond or two) and, at 40 segments per output, 600 KB of a bulk
 * flow: short enough to release a request/response flow quickly, long
 * enough that one short write (a PSH) cannot release a bulk flow.
 */
#define XGRO_RELEASE_WINDOW 16
/*
 * kernel -> xgro: a released flow is re-admitted only after this long
 * without a frame (plus the millisecond to which last_ns is kept). The
 * frames it passed are then out of their NAPI poll and its GRO lists
 * (flushed at the end of the poll, or within a jiffy), long before the
 * first redirected frame can reach the stack through a worker.
 */
#define XGRO_READMIT_QUIET_MS 10
/*
 * A worker stamps its beacon at least every 10 ms when idle (its poll
 * timeout): one silent for five times that is stopped or starved, and no
 * new flow is admitted to it (flows already steered stay, until the
 * heartbeat goes stale). Five, not two: on a loaded machine a woken
 * thread may wait for a CPU for tens of milliseconds, and a refusal
 * lasts a probation.
 */
#define XGRO_ADMIT_LAG_MS 50
/*
 * Jumbo frames: with a multi-buffer (xdp.frags) program and sockets bound
 * with XDP_USE_SG, a frame larger than a umem frame comes as a chain of
 * descriptors, each but the last with XDP_PKT_CONTD; the worker joins them
 * into one buffer of XGRO_JUMBO_FRAME bytes for the engine. The 6.1 UAPI
 * headers lack both flags (6.6+).
 */
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4)
#endif
#ifndef XDP_PKT_CONTD
#define XDP_PKT_CONTD (1 << 0)
#endif
#define XGRO_JUMBO_FRAME 9216 /* an MTU of 9000, tags included */

/* IPv6 extension headers the XDP program steps over to find TCP or UDP;
 * the engine walks up to 8, but a flow's headers must fit its 144 bytes */
#define XGRO_IP6_EXT_MAX 3

/*
 * Runtime configuration: element 0 of the `config` array map. The XDP
 * program reads it on every packet and the workers on every loop, so a
 * write through the pinned map takes effect at once.
 */
struct xgro_config {
	__u32 protos;	   /* XGRO_PROTO_* */
	__u32 min_payload; /* bytes of L4 payload before a flow is steered */
	__u32 idle_release_ms; /* steered flow goes back after this idle time */
	__u32 flush_us;	    /* longest hold of a segment; 0: flush when idle */
	__u32 max_size;	    /* largest merged IP length */
	__u32 csum_mode;    /* enum xgro_csum_mode */
	__u32 heartbeat_ms; /* worker considered stale after this */
	__u32 frame_size;   /* largest frame a umem frame can hold */
	__u32 steer_vlan;   /* steer tagged frames too */
	__u32 hash_seed;    /* seed of xgro_flow_hash() */
	__u32 max_segs;	    /* segments per super-packet; 1: pass through */
	__u32 release_segs; /* release flows under this many segs/output; 0:
			       never */
	__u32 probation_ms; /* re-admit released flows after this; 0: idle only
			     */
	__u32 nap_us; /* a worker that just had frames sleeps this long on its
			 own timer, not on the socket; 0: on the socket */
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_config) == 56, "config size");

/*
 * Per-packet metadata written in front of the frame with
 * bpf_xdp_adjust_meta(). The area is not cleared between packets, hence
 * the magic. Offsets are from the start of the Ethernet header.
 */
#define XGRO_META_MAGIC 0x7847u	     /* "xG" */
#define XGRO_META_DRAINING (1u << 0) /* the flow is DRAINING: hold nothing */
/* bits 16..31 of flags: 1 + the CPU the XDP program ran on, so that a
 * worker knows whether waking it costs another CPU an IPI (nap-us) */
#define XGRO_META_CPU_SHIFT 16
struct xgro_meta {
	__u16 magic;
	__u16 l3_off;
	__u16 l4_off;
	__u16 payload_off;
	__u32 hash;
	__u32 flags; /* XGRO_META_* */
	__u64 stamp; /* bpf_ktime_get_ns() when redirected */
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_meta) == 24, "meta size");

/*
 * Per-queue beacon of its worker: element `queue` of the mmapped
 * `heartbeat` array, written by the worker every loop, read by the XDP
 * program for every steered frame. One cache line each, so two workers
 * never write the same line.
 */
struct xgro_beacon {
	__u64 heartbeat_ns; /* start of the worker's last loop */
	__u64 drained_ns; /* every frame stamped up to this has been emitted */
	__u32 pressure;	  /* RX ring over 3/4 full at the last loop */
	__u32 halt; /* enum xgro_halt: steering stopped, all frames pass */
	/* RX descriptors the XDP program has sent this queue's socket (it
	 * adds, the worker reads) and the count at which the ring would be
	 * full, set by the worker at every loop from the ring itself: the
	 * program passes frames before it would overflow the ring of a worker
	 * kept from its CPU (docs/design.md, "A worker that cannot run") */
	__u64 redirected;
	__u64 ring_limit;
	__u64 pad2[3];
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_beacon) == 64, "beacon size");

/* Descriptors the program keeps free in a ring it redirects into: the
 * frames of one NAPI poll that it has counted but the kernel has not yet
 * published in the ring's producer index (veth and most drivers poll 64),
 * and as many again for frames counted while the worker read the ring. */
#define XGRO_RING_MARGIN 128
/* Bytes of frame per RX descriptor the program assumes: no more than a
 * 4 KB umem frame holds past XDP's headroom and xgro's, so that a
 * multi-buffer frame is never counted as fewer descriptors than it takes */
#define XGRO_RING_DESC_BYTES 3584

/*
 * Why the data path stopped steering (xgro_beacon.halt): it writes the
 * reason into every queue's beacon when the sink cannot deliver, and the
 * XDP program then passes every frame to the stack, new flows and steered
 * ones alike, until the cause is gone (docs/design.md, "Failing open").
 */
enum xgro_halt {
	XGRO_HALT_NONE = 0,
	XGRO_HALT_SINK_DOWN = 1,   /* the tap, the veth or its peer is down */
	XGRO_HALT_SINK_ERRORS = 2, /* writes to the sink fail */
	XGRO_HALT_RP_FILTER = 3,   /* reverse-path filtering would drop them */
	XGRO_HALT_MAX,
};

/*
 * The XDP program's counters, one list from which come the indexes into
 * its per-CPU `counters` array and the names `xgro stats` prints and its
 * JSON uses (X(NAME, name, what it counts)). Frames passed to the stack
 * are counted by reason, from XGRO_CNT_PASS_FIRST to the end.
 */
#define XGRO_COUNTERS(X)                                                       \
	X(RX, rx, "frames the program ran on")                                 \
	X(STEERED, steered, "frames redirected to a socket")                   \
	/* events, not frames: none of these is a pass */                      \
	X(ADMITTED, admitted, "flows put on the steered path")                 \
	X(READMITTED, readmitted, "of those, released flows after probation")  \
	X(STEERED_DRAINING, steered_draining,                                  \
	  "frames steered while their flow drained")                           \
	X(DRAINED, drained, "flows switched from draining to released")        \
	X(PASS_NOT_IP, pass_not_ip, "passed: not IPv4 or IPv6")                \
	X(PASS_PROTO, pass_proto, "passed: a protocol not steered")            \
	X(PASS_FRAGMENT, pass_fragment, "passed: IP fragments")                \
	X(PASS_IPV6_EXT, pass_ipv6_ext, "passed: IPv6 extension headers")      \
	X(PASS_LINK_LOCAL, pass_link_local,                                    \
	  "passed: link-local or multicast destinations")                      \
	X(PASS_VLAN, pass_vlan, "passed: VLAN-tagged (steer-vlan off)")        \
	X(PASS_MALFORMED, pass_malformed, "passed: malformed headers")         \
	X(PASS_NOT_STEERED, pass_not_steered,                                  \
	  "passed: flows not steered (no payload yet)")                        \
	X(PASS_NO_SOCKET, pass_no_socket, "passed: no socket on the queue")    \
	X(PASS_STALE_WORKER, pass_stale_worker,                                \
	  "passed: the queue's worker is silent (fail open)")                  \
	X(PASS_TOO_LARGE, pass_too_large, "passed: larger than a umem frame")  \
	X(PASS_RELEASED, pass_released, "passed: a released flow's frames")    \
	X(PASS_PRESSURE, pass_pressure,                                        \
	  "passed: admission refused, the RX ring is filling")                 \
	X(PASS_LAGGING, pass_lagging,                                          \
	  "passed: admission refused, the worker lags")                        \
	X(PASS_HALTED, pass_halted,                                            \
	  "passed: steering stopped, the sink cannot deliver")                 \
	X(PASS_RING_FULL, pass_ring_full,                                      \
	  "passed: the RX ring would overflow (the worker is kept from "       \
	  "running)")

enum xgro_counter {
#define XGRO_CNT_ENUM(up, low, doc) XGRO_CNT_##up,
	XGRO_COUNTERS(XGRO_CNT_ENUM)
#undef XGRO_CNT_ENUM
		XGRO_CNT_MAX,
};
#define XGRO_CNT_PASS_FIRST XGRO_CNT_PASS_NOT_IP

/*
 * Engine (merge) counters. One copy per engine context; the workers copy
 * theirs into the pinned `worker_stats` map, so bpftool prints them with
 * field names too.
 */
#define XGRO_ENGINE_STATS(X)                                                   \
	X(packets_in, "frames fed")                                            \
	X(packets_out, "outputs emitted: super-packets and lone frames")       \
	X(superpackets_out, "outputs of two or more segments")                 \
	X(segments_merged, "frames that left inside a super-packet")           \
	X(bytes_in, "bytes fed")                                               \
	X(bytes_out, "bytes emitted")                                          \
	/* why a held super-packet was emitted */                              \
	X(flush_psh, "a segment with PSH (or FIN, URG) ended it")              \
	X(flush_short, "segment shorter than gso_size")                        \
	X(flush_size, "max_size reached")                                      \
	X(flush_segs, "segment limit reached")                                 \
	X(flush_age, "flush interval elapsed")                                 \
	X(flush_table_full, "oldest flow evicted for a new one")               \
	X(flush_budget, "held-frame budget")                                   \
	X(flush_unmergeable, "a packet of the flow that cannot merge")         \
	X(flush_mismatch, "a packet that starts a new super-packet")           \
	X(flush_explicit, "flush_all by the caller")                           \
	/* why a frame went out alone without being held */                    \
	X(alone_not_flow, "not TCP/UDP over plain IPv4/IPv6")                  \
	X(alone_unmergeable, "flags, no payload, options, fragments")          \
	X(csum_bad, "L4 checksum failed verification")                         \
	X(ip_csum_bad, "IPv4 header checksum failed")                          \
	X(malformed, "truncated or lying lengths")

struct xgro_engine_stats {
#define XGRO_STAT_FIELD(name, doc) __u64 name;
	XGRO_ENGINE_STATS(XGRO_STAT_FIELD)
#undef XGRO_STAT_FIELD
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
#define XGRO_XSK_STATS(X)                                                      \
	X(sampled_ns, "last getsockopt; 0: not yet")                           \
	X(published_ns, "last update of the ring levels below")                \
	/* XDP_STATISTICS, cumulative since the socket was bound */            \
	X(rx_dropped, "no fill-ring frame to copy into, or too large")         \
	X(rx_invalid_descs, "bad descriptors on the RX ring")                  \
	X(rx_ring_full, "the RX ring had no room: frame dropped")              \
	X(rx_fill_ring_empty_descs, "fill ring found empty")                   \
	X(sample_errors, "getsockopt failures")                                \
	/* levels, now */                                                      \
	X(rx_size, "RX ring entries")                                          \
	X(fill_size, "fill ring entries")                                      \
	X(rx_pending, "descriptors in the RX ring, not yet taken")             \
	X(fill_stocked, "frames in the fill ring, for the kernel")             \
	X(umem_frames, "frames in the umem")                                   \
	X(umem_free, "frames in the worker's reserve (in no ring)")            \
	X(held_frames, "frames the engine holds (xgro_held_frames)")

struct xgro_xsk_stats {
#define XGRO_STAT_FIELD(name, doc) __u64 name;
	XGRO_XSK_STATS(XGRO_STAT_FIELD)
#undef XGRO_STAT_FIELD
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_xsk_stats) == 14 * 8, "xsk stats size");

/* Per-queue worker figures in the pinned `worker_stats` array. */
#define XGRO_WORKER_STATS(X)                                                   \
	X(rx_frames, "descriptors taken from the RX ring")                     \
	X(frames_in_flight, "taken from the fill ring, not yet back")          \
	X(sink_writes, "writes to the tap or veth")                            \
	X(sink_errors, "writes refused; their frames are dropped")             \
	X(segmented, "outputs cut in software (GSO write refused)")            \
	X(flows_released, "flows handed back to the stack, any reason")        \
	X(no_meta, "frames without valid XDP metadata")                        \
	X(loops, "passes of the worker's loop")                                \
	X(released_no_merge, "of flows_released: too few segs/output")         \
	X(released_csum, "of flows_released: checksums kept failing")          \
	X(release_errors, "releases the steer map refused")                    \
	X(draining_frames, "frames of DRAINING flows: never held")

struct xgro_worker_stats {
	struct xgro_engine_stats engine;
#define XGRO_STAT_FIELD(name, doc) __u64 name;
	XGRO_WORKER_STATS(XGRO_STAT_FIELD)
#undef XGRO_STAT_FIELD
	struct xgro_xsk_stats xsk; /* the fields above keep their offsets */
	__s64 sink_last_err;	   /* -errno of the newest refused write */
};
XGRO_STATIC_ASSERT(sizeof(struct xgro_worker_stats) ==
			   sizeof(struct xgro_engine_stats) + 13 * 8 +
				   sizeof(struct xgro_xsk_stats),
		   "worker stats size");

#endif /* XGRO_H */
