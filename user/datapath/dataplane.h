/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The data path: AF_XDP sockets (one per RX queue), worker threads that
 * feed the merge engine, and the sink (tap or veth) the merged packets are
 * written to. `xgro attach` starts it and records what it made in the
 * instance state.
 */
#ifndef XGRO_DATAPLANE_H
#define XGRO_DATAPLANE_H

#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "xgro.h"

struct bpf_object;
struct xgro_dataplane;

enum xgro_xsk_mode { XGRO_XSK_AUTO, XGRO_XSK_ZEROCOPY, XGRO_XSK_COPY };

/*
 * Entries in each queue's RX ring (its fill ring has twice as many, one
 * per umem frame). The RX ring must absorb the
 * longest time the worker spends away from it, and a sink write runs the
 * whole receive stack for a super-packet in the worker's thread: 2048 lost
 * frames at 8 and 64 flows, 4096 none (README, "Design choices,
 * measured"). Each queue's umem is twice this many 4 KB frames (32 MiB at
 * the default).
 */
#define XGRO_RING_DEFAULT 4096u
/* The umem's geometry, the data path's own: 4 KB frames with room for
 * the XDP program's headroom in front; what is left is the largest frame
 * one umem frame holds (larger ones come chained: XGRO_JUMBO_FRAME). */
#define XGRO_UMEM_FRAME 4096u
#define XGRO_XDP_HEADROOM 256u
#define XGRO_FRAME_MAX (XGRO_UMEM_FRAME - XGRO_XDP_HEADROOM)
_Static_assert(XGRO_RING_DESC_BYTES <= XGRO_FRAME_MAX,
	       "the XDP program would count a frame as fewer descriptors");
#define XGRO_RING_MIN 512u
#define XGRO_RING_MAX 16384u

/*
 * Nice value of the workers. On the kernel's path this work is softirq,
 * which runs before any task; a worker at nice 0 waits its turn behind the
 * application and the sender on a shared CPU while its ring overflows. On
 * one CPU, nice -10 took 64 flows from 68,458 frames lost and 0.50x kernel
 * GRO off to 0 lost and 0.81x (docs/design.md, "When the worker runs").
 */
#define XGRO_NICE_DEFAULT (-10)

enum xgro_sink_kind { XGRO_SINK_TAP, XGRO_SINK_VETH };

struct xgro_dp_opts {
	uint32_t queues; /* 0: all */
	cpu_set_t cpus;	 /* empty: every CPU this process may run on */
	uint32_t max_flows;
	uint32_t ring; /* RX ring entries, a power of two */
	enum xgro_xsk_mode xsk_mode;
	enum xgro_sink_kind sink;
	char sink_name[IF_NAMESIZE]; /* empty: derived from the interface */
	bool busy_poll;
	int nice;   /* of the worker threads, -20..19 */
	bool frags; /* the XDP program is multi-buffer: try XDP_USE_SG */
};

void xgro_dp_defaults(struct xgro_dp_opts *o);
int xgro_dp_parse_reinject(const char *arg, struct xgro_dp_opts *o);

/* What a started data path is made of, for its owner to record. */
struct xgro_dp_info {
	uint32_t queues, workers;
	char xsk_mode[16];     /* zerocopy, copy, mixed */
	char reinject[64];     /* tap:NAME, veth:NAME */
	char tap[IF_NAMESIZE]; /* the tap it made, if any */
	char gso[32];	       /* what the sink's GSO probe found */
	char jumbo[64];	       /* multi-buffer XDP and sockets, or why not */
};

/* Creates the sink, the sockets and the workers for interface ifname
 * (ifindex), and says what it made in *info. frags: the program attached
 * is the multi-buffer one. */
int xgro_dp_start(struct xgro_dataplane **dpp, const struct xgro_dp_opts *o,
		  const char *ifname, int ifindex, struct bpf_object *obj,
		  struct xgro_dp_info *info);
/* Waits up to timeout_ms; returns -errno if a worker failed. */
int xgro_dp_poll(struct xgro_dataplane *dp, int timeout_ms);
/* How often the owner should call xgro_dp_watch: a dead sink loses
 * frames until the next call. */
#define XGRO_WATCH_MS 100

/* Looks at the host around the data path (watch.c): stops steering while
 * the sink cannot deliver, resumes when it can. Call every few hundred
 * ms. -ENODEV or -EXDEV (said on stderr) when the interface or the sink
 * is gone or renamed: the instance must end. */
int xgro_dp_watch(struct xgro_dataplane *dp);
/* Stops the workers (flushing what they hold) and frees everything. */
void xgro_dp_stop(struct xgro_dataplane *dp);

#endif
