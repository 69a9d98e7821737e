/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* One RX queue (socket, umem, engine) and the worker thread that runs it. */
#ifndef XGRO_WORKER_H
#define XGRO_WORKER_H

#include <pthread.h>
#include <stdatomic.h>

#include <xdp/xsk.h>

#include "sink.h"
#include "xgro_engine.h"

/*
 * The RX ring must absorb the longest time the worker spends away from it:
 * a sink write runs the whole receive stack for a super-packet in this
 * thread. 2048 slots overflowed at 8 and 64 flows (scripts/bench-e2e.sh,
 * README "Frames lost"); 4096 lost none. The fill ring is stocked with
 * what the engine does not hold, so umem = RX + fill frames, and the hold
 * budget leaves the fill ring at least three quarters full.
 */
#define XGRO_RX_SIZE 4096
#define XGRO_FILL_SIZE 4096
#define XGRO_NUM_FRAMES (XGRO_RX_SIZE + XGRO_FILL_SIZE)
#define XGRO_BATCH 64
/* frames the engine may hold; the rest keep the fill ring stocked */
#define XGRO_HOLD_FRAMES 1024
/* flows judged for release at once per queue (24 KB) */
#define XGRO_TRACK_SLOTS 1024
/* after asking a flow to drain, its outputs already on their way (the RX
 * ring's backlog, redirected before the request) do not ask again */
#define XGRO_RELEASE_HOLDOFF_MS 100

struct xgro_queue {
	unsigned id; /* RX queue index */
	unsigned sink_q; /* index into the sink's fds */
	void *area;
	struct xsk_umem *umem; /* frames in flight: taken from RX, not yet freed */
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	int fd;
	bool zerocopy;
	uint32_t max_flows;
	struct xgro_ctx *eng;
	uint64_t free_frames[XGRO_NUM_FRAMES];
	unsigned nfree;
	struct xgro_worker_stats *ws; /* our slot of the mmapped map */
	struct xgro_beacon *beacon; /* our slot of the mmapped heartbeat map */
	struct xgro_dataplane *dp;
	struct xgro_sink *sink;
	int steer_fd; /* to release flows that do not pay */
	/* Per-flow release judgement, hash-indexed, no chaining: a flow that
	 * collides restarts the other's window (it then stays steered). */
	struct xgro_flow_track {
		uint32_t hash;
		uint16_t outputs; /* in this window */
		uint16_t bad;	  /* checksum failures in a row */
		uint32_t segs;	  /* in this window */
		uint32_t pad;
		uint64_t released_ns; /* asked to drain at; 0: not */
	} track[XGRO_TRACK_SLOTS];
	uint64_t max_stamp; /* newest XDP stamp taken from the RX ring */
	/* frames of DRAINING flows, by umem frame: their outputs decide nothing
	 */
	uint8_t draining[XGRO_NUM_FRAMES];
	uint8_t scratch[70000]; /* for software segmentation */
};

struct xgro_worker {
	pthread_t thread;
	int cpu;
	struct xgro_queue *q[64];
	unsigned nq;
	struct xgro_dataplane *dp;
	bool started;
};

struct xgro_dataplane {
	struct xgro_worker workers[64];
	unsigned nworkers;
	struct xgro_queue *queues[64];
	unsigned nqueues;
	struct xgro_sink sink;
	struct xgro_config *cfg; /* mmapped config map: read every loop */
	void *cfg_map;
	void *hb_map;
	void *ws_map;
	size_t cfg_len, hb_len, ws_len;
	bool busy_poll;
	atomic_bool stop;
	atomic_int err;
	int wake_fd; /* eventfd: a worker failed */
};

int xgro_queue_open(struct xgro_queue *q, const char *ifname, unsigned id,
		    int xsks_fd, enum xgro_xsk_mode mode, bool busy_poll,
		    uint32_t max_flows);
void xgro_queue_close(struct xgro_queue *q);
void *xgro_worker_run(void *arg);

#endif
