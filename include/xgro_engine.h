/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * libxgro: the merge engine. It knows nothing of BPF, AF_XDP or threads.
 * It takes Ethernet frames (bytes, length, opaque handle) and emits, in the
 * order the kernel must see them, super-packets and lone frames as an iovec
 * ready for writev() on a tap opened with IFF_VNET_HDR:
 *
 *   iov[0] virtio_net_hdr, iov[1] L2..L4 header, iov[2..] payload pieces
 *
 * Payload pieces point into the caller's frames: nothing is copied. A frame
 * stays in use until its handle is passed back in an output; the caller may
 * reuse it once the emit callback that carries the handle returns.
 */
#ifndef XGRO_ENGINE_H
#define XGRO_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>

#include "xgro.h"

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* missing from the 6.1 UAPI headers */
#endif

#define XGRO_MAX_SEGS 64 /* segments per super-packet, hard limit */
#define XGRO_MAX_HDR 144 /* L2..L4 header bytes a flow can hold (<= 122) */
#define XGRO_MAX_L3_LEN 65535
#define XGRO_BURST_MAX 128 /* packets merged together by xgro_burst() */

struct xgro_ctx;

/* Engine configuration. Zeroed fields take the defaults noted. */
struct xgro_engine_config {
	uint32_t max_flows;  /* held flows (default 1024, up to 1 << 20) */
	uint32_t max_frames; /* held frames (default 16 * max_flows) */
	uint32_t max_size;   /* merged IP length limit (default 65535) */
	uint32_t max_segs;   /* segments per super-packet (default 64) */
	uint32_t flush_ns;   /* hold limit for xgro_flush_expired() */
	uint32_t protos;     /* XGRO_PROTO_* to merge (default TCP|UDP) */
	uint32_t csum_mode;  /* enum xgro_csum_mode (default verify) */
	uint32_t no_udp_gso; /* kernel lacks GSO_UDP_L4: never merge UDP */
	uint32_t seed;	     /* xgro_flow_hash() seed; hash hints must use it */
	uint32_t pad2;
	uint8_t set_dst_mac; /* rewrite the destination MAC of every output */
	uint8_t dst_mac[6];
	uint8_t pad;
};

/* Input frame. */
struct xgro_pkt {
	const uint8_t *data; /* Ethernet header */
	uint32_t len;
	uint32_t hash;	 /* xgro_flow_hash() of the key, with XGRO_PKT_HASH */
	uint64_t handle; /* opaque, handed back when the frame is free */
	uint16_t l3_off; /* offset hints, with XGRO_PKT_OFFSETS; checked */
	uint16_t l4_off;
	uint16_t flags;
	uint16_t pad;
};
#define XGRO_PKT_HASH (1u << 0)
#define XGRO_PKT_OFFSETS (1u << 1)

/* Output kinds. */
enum xgro_out_kind {
	XGRO_OUT_MERGED, /* a held flow: one or more segments */
	XGRO_OUT_ALONE,	 /* a frame that was never held, unmodified */
};

/* Why a frame went out alone (xgro_out.reason for XGRO_OUT_ALONE). */
enum xgro_alone_reason {
	XGRO_ALONE_NOT_FLOW,
	XGRO_ALONE_UNMERGEABLE,
	XGRO_ALONE_CSUM_BAD,
	XGRO_ALONE_IP_CSUM_BAD,
	XGRO_ALONE_MALFORMED,
};

/* Why a held flow was emitted (xgro_out.reason for XGRO_OUT_MERGED). */
enum xgro_flush_reason {
	XGRO_FLUSH_PSH,
	XGRO_FLUSH_SHORT,
	XGRO_FLUSH_SIZE,
	XGRO_FLUSH_SEGS,
	XGRO_FLUSH_AGE,
	XGRO_FLUSH_TABLE_FULL,
	XGRO_FLUSH_BUDGET,
	XGRO_FLUSH_UNMERGEABLE,
	XGRO_FLUSH_MISMATCH,
	XGRO_FLUSH_EXPLICIT,
};

#define XGRO_OUT_FIXEDID (1u << 0) /* IPv4 ID fixed across segments */
#define XGRO_OUT_FLOW (1u << 1)	   /* key is valid */

struct xgro_out {
	struct virtio_net_hdr vnet;
	uint8_t kind; /* enum xgro_out_kind */
	uint8_t reason;
	uint16_t segs;	 /* input frames in this output */
	uint32_t len;	 /* frame bytes, without the virtio_net_hdr */
	uint32_t iovcnt; /* entries of iov, including vnet and header */
	uint32_t flags;	 /* XGRO_OUT_* */
	const struct iovec *iov;
	const uint64_t *handles; /* frames the caller may reuse afterwards */
	uint32_t nhandles;
	uint16_t l3_off; /* valid for XGRO_OUT_MERGED */
	uint16_t l4_off;
	const struct xgro_flow_key *key; /* with XGRO_OUT_FLOW */
};

typedef void (*xgro_emit_fn)(void *user, const struct xgro_out *out);

/* Context API. All return 0 or -errno. */
int xgro_ctx_create(const struct xgro_engine_config *cfg, xgro_emit_fn emit,
		    void *user, struct xgro_ctx **ctxp);
void xgro_ctx_destroy(struct xgro_ctx *ctx);
/* Change max_size, max_segs, flush_ns, protos, csum_mode, no_udp_gso and the
 * MAC rewrite while running. Held flows are flushed first when the checksum
 * mode or the protocols change. */
int xgro_ctx_reconfigure(struct xgro_ctx *ctx,
			 const struct xgro_engine_config *cfg);
/* Feed frames received at now_ns. Outputs go to the emit callback. */
void xgro_feed(struct xgro_ctx *ctx, const struct xgro_pkt *pkts, unsigned n,
	       uint64_t now_ns);
/* Emit every flow held since flush_ns or longer. Returns flows emitted. */
unsigned xgro_flush_expired(struct xgro_ctx *ctx, uint64_t now_ns);
/* Emit every held flow, oldest first. */
unsigned xgro_flush_all(struct xgro_ctx *ctx);
/* Frames currently held (their handles not yet handed back). */
unsigned xgro_held_frames(const struct xgro_ctx *ctx);
unsigned xgro_held_flows(const struct xgro_ctx *ctx);
/* Emit the oldest flows until at most `limit` frames are held. */
unsigned xgro_flush_to(struct xgro_ctx *ctx, unsigned limit);
const struct xgro_engine_stats *xgro_stats(const struct xgro_ctx *ctx);
/* Bytes allocated by xgro_ctx_create() for this configuration. */
size_t xgro_ctx_mem_size(const struct xgro_engine_config *cfg);

/*
 * One-shot burst, like rte_gro_reassemble_burst(): merges what it can
 * among the frames given (in chunks of XGRO_BURST_MAX), emits everything
 * and keeps nothing. No context, no allocation: uses the stack.
 */
int xgro_burst(const struct xgro_engine_config *cfg,
	       const struct xgro_pkt *pkts, unsigned n, xgro_emit_fn emit,
	       void *user, struct xgro_engine_stats *stats);

/*
 * GSO, the inverse: cut an output back into wire frames, each with full
 * checksums, built in buf (at least hdr_len + gso_size bytes) and passed to
 * frame(). An output without GSO is passed through as one frame. Returns
 * the number of frames or -errno (-EINVAL for an output it cannot cut,
 * -ENOSPC when buf is too small, or what frame() returned if negative).
 */
typedef int (*xgro_frame_fn)(void *user, const uint8_t *frame, size_t len);
int xgro_segment(const struct xgro_out *out, uint8_t *buf, size_t buflen,
		 xgro_frame_fn frame, void *user);

/* Internet checksum helpers, exported for the tests and the data path. */
uint32_t xgro_csum_partial(const void *buf, size_t len, uint32_t sum);
uint16_t xgro_csum_fold(uint32_t sum);

const char *xgro_flush_reason_name(unsigned reason);
const char *xgro_alone_reason_name(unsigned reason);

#endif /* XGRO_ENGINE_H */
