/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* One RX queue (socket, umem, engine) and the worker thread that runs it. */
#ifndef XGRO_WORKER_H
#define XGRO_WORKER_H

#include <pthread.h>
#include <stdatomic.h>

#include <xdp/xsk.h>

#include "sink.h"
#include "xgro_engine.h"

#define XGRO_BATCH 64
/* how long after its last frame a worker naps instead of sleeping on its
 * socket (nap-us): past that, traffic has stopped and a wake-up costs
 * nothing worth saving */
#define XGRO_NAP_LINGER_NS 1000000ull
/* frames the last busy pass must have had for the next wait to be a nap */
#define XGRO_NAP_MIN_BATCH 4u
/* flows judged for release at once per queue (24 KB) */
#define XGRO_TRACK_SLOTS 1024
/* after asking a flow to drain, its outputs already on their way (the RX
 * ring's backlog, redirected before the request) do not ask again */
#define XGRO_RELEASE_HOLDOFF_MS 100

struct xgro_queue {
	unsigned id;	 /* RX queue index */
	unsigned sink_q; /* index into the sink's fds */
	void *area;
	struct xsk_umem
		*umem; /* frames in flight: taken from RX, not yet freed */
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	int fd;
	bool zerocopy;
	bool sg; /* bound with XDP_USE_SG: frames may come chained */
	/* XGRO_FAULT=ring-unguarded: the RX ring may overflow */
	bool unguarded;
	uint32_t max_flows;
	struct xgro_ctx *eng;
	/* An RX ring of `ring` entries, a fill ring and a umem of twice that:
	 * the fill ring is stocked with every frame the engine does not hold,
	 * and the engine holds at most a quarter of a ring (XGRO_RING_*) */
	uint32_t ring, nframes;
	uint64_t *free_frames; /* the worker's reserve, nframes long */
	unsigned nfree;
	int rx_cpu; /* where the XDP program ran for the last frame; -1: unknown
		     */
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
	/* frames of DRAINING flows, by umem frame (nframes long): their
	 * outputs decide nothing */
	uint8_t *draining;
	/* Jumbo frames, joined from their chained descriptors: njumbo slots
	 * of XGRO_JUMBO_FRAME bytes, enough for all the engine may hold plus
	 * a batch. Their handles follow the umem's addresses. */
	uint8_t *jumbo;
	uint32_t *jumbo_free;
	uint8_t *jumbo_draining;
	unsigned njumbo, njfree;
	uint8_t scratch[70000]; /* for software segmentation */
};

struct xgro_worker {
	pthread_t thread;
	int cpu;
	struct xgro_queue *q[XGRO_MAX_QUEUES];
	unsigned nq;
	struct xgro_dataplane *dp;
	bool started;
	uint64_t last_rx;  /* when the last pass found frames */
	unsigned last_got; /* how many it found */
};

struct xgro_dataplane {
	struct xgro_worker workers[XGRO_MAX_QUEUES];
	unsigned nworkers;
	struct xgro_queue *queues[XGRO_MAX_QUEUES];
	unsigned nqueues;
	struct xgro_sink sink;
	struct xgro_config *cfg; /* mmapped config map: read every loop */
	void *cfg_map;
	void *hb_map;
	void *ws_map;
	size_t cfg_len, hb_len, ws_len;
	bool busy_poll;
	int nice;
	atomic_bool stop;
	atomic_int err;
	int wake_fd; /* eventfd: a worker failed */
	bool frags;  /* multi-buffer XDP program: sockets try XDP_USE_SG */
	/* what xgro_dp_watch keeps an eye on (watch.c) */
	int ifindex;
	char ifname[IF_NAMESIZE];
	struct xgro_watch {
		enum xgro_halt halt;
		uint64_t errors, writes; /* sink totals at the last check */
	} watch;
};

int xgro_queue_open(struct xgro_queue *q, const char *ifname, unsigned id,
		    int xsks_fd, enum xgro_xsk_mode mode, bool busy_poll,
		    uint32_t max_flows);
void xgro_queue_close(struct xgro_queue *q);
void *xgro_worker_run(void *arg);

#endif
