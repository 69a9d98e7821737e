/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * xgro-wire: what its two XDP programs and the tool share, all of it in
 * the object's .bss (memory-mapped by the skeleton, no syscall per read).
 *
 * Stream of flow f: the segment at stream offset k * mss is
 * [be64(f << 56 | k)][mss - 8 pattern bytes, byte j = wire_pattern(j)],
 * always full segments, so a frame differs from the next in its headers
 * and the 8-byte index only.
 */
#ifndef XGRO_WIRE_H
#define XGRO_WIRE_H

#define WIRE_MAX_FLOWS 256
#define WIRE_MAX_PLAN 8192 /* frames per BPF_PROG_RUN */

/* byte j of a segment, j >= 8 */
#define wire_pattern(j) ((__u8)((j)*131u + 7u))

/* state bits of struct wire_ack */
#define WIRE_SYNACK 1
#define WIRE_FIN 2
#define WIRE_RST 4

/* Written by the ACK catcher (one RX queue: one writer at a time). */
struct wire_ack {
	__u32 una;	/* highest cumulative ACK, raw sequence number */
	__u32 wnd_end;	/* ack + (window << wscale) of the latest ACK */
	__u32 dupacks;	/* duplicate ACKs at una since it last moved */
	__u32 peer_isn; /* the SYN-ACK's sequence number */
	__u32 peer_fin; /* sequence number of the peer's FIN */
	__u16 peer_mss;
	__u8 peer_wscale; /* 0xff: the SYN-ACK had none */
	__u8 state;
	__u64 acks; /* segments caught */
};

/* Written by the tool before the data phase; ip_id by wire_tx. */
struct wire_flow {
	__u32 seq0;	 /* ISS + 1: sequence number of stream offset 0 */
	__u32 ack;	 /* peer ISN + 1 */
	__u32 csum_base; /* TCP sum of all but seq and the index */
	__u16 sport;	 /* network order */
	__u16 ip_id;
};

struct wire_slot {
	__u32 flow;
	__u32 seg; /* segment index k */
};

struct wire_cfg {
	__u8 dmac[6];
	__u8 smac[6];
	__u32 saddr[4]; /* network order; IPv4 in [0] */
	__u32 daddr[4];
	__u16 sport_lo; /* host order: the tool's ports are lo..lo+nflows-1 */
	__u16 dport;	/* host order */
	__u16 nflows;
	__u16 mss;
	__u8 v6;
	__u8 pad[3];
	__u32 ip_base;	 /* IPv4 header sum without id and checksum */
	__u32 frame_len; /* of the data frames; 0: none yet */
	__u32 plan_len;	 /* frames of the current run */
	__u32 plan_pos;	 /* frames taken so far in it */
	__u64 tx_frames;
	__u64 tx_bad;	/* run past the plan: a bug */
	__u64 rx_other; /* passed on: not ours */
};

#endif
