// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * A worker: for each of its queues, take a batch from the RX ring, feed
 * the engine, write what it emits to the sink, and give frames back to
 * the fill ring as soon as the write has returned. Each loop stamps the
 * queue's heartbeat (the XDP program bypasses a silent worker) and reads
 * the config map, so `xgro set` applies at once. No locks: a queue
 * belongs to one worker, and shared maps are read or written whole words.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "fault.h"
#include "log.h"
#include "worker.h"

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

/* A flow whose frames fail verification this many times in a row (partial
 * checksums from a sender's offload) is sent back to the stack; a good
 * segment in between (a corrupting wire) starts the count again. */
#define BAD_CSUM_RELEASE 8

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Asks the XDP program to hand a flow back to the stack: DRAINING, not
 * RELEASED, so that its frames keep coming here until every one of them
 * redirected so far has been emitted (include/xgro.h, struct xgro_steer).
 * Rare: one syscall per release.
 */
static void release(struct xgro_queue *q, struct xgro_flow_track *t,
		    const struct xgro_flow_key *k, unsigned reason,
		    uint64_t now)
{
	struct xgro_steer st = { .last_ns = now,
				 .since_ns = now,
				 .state = XGRO_STEER_DRAINING,
				 .reason = (uint16_t)reason };

	t->released_ns = now;
	if (bpf_map_update_elem(q->steer_fd, k, &st, BPF_ANY)) {
		q->ws->release_errors++;
		return;
	}
	q->ws->flows_released++;
	if (reason == XGRO_RELEASE_NO_MERGE)
		q->ws->released_no_merge++;
	else
		q->ws->released_csum++;
}

/*
 * Judges a flow by its outputs: released when its checksums keep failing,
 * or when a window of XGRO_RELEASE_WINDOW outputs carried fewer than
 * release_segs segments each on average: such a flow pays the copies,
 * the wake-up and the tap for no merging.
 */
static void flow_verdict(struct xgro_queue *q, const struct xgro_out *o)
{
	uint32_t h = xgro_flow_hash(o->key, 0), segs = q->dp->cfg->release_segs;
	struct xgro_flow_track *t = &q->track[h & (XGRO_TRACK_SLOTS - 1)];
	bool bad =
		o->kind == XGRO_OUT_ALONE && o->reason == XGRO_ALONE_CSUM_BAD;

	if (t->hash != h) {
		memset(t, 0, sizeof(*t));
		t->hash = h;
	}
	if (t->released_ns) {
		uint64_t now = now_ns();

		if (now - t->released_ns < XGRO_RELEASE_HOLDOFF_MS * 1000000ull)
			return;
		/* re-admitted since (or the request was lost): judge anew */
		t->released_ns = 0;
		t->outputs = 0;
		t->segs = 0;
	}
	if (bad) {
		if (++t->bad >= BAD_CSUM_RELEASE) {
			release(q, t, o->key, XGRO_RELEASE_CSUM, now_ns());
			return;
		}
	} else if (o->kind == XGRO_OUT_MERGED) {
		t->bad = 0;
	}
	/* max-segs 1 is passthrough, asked for: nothing is meant to merge */
	if (q->dp->cfg->max_segs < 2)
		return;
	t->outputs++;
	t->segs += o->segs;
	if (t->outputs < XGRO_RELEASE_WINDOW)
		return;
	if (t->segs < segs * XGRO_RELEASE_WINDOW)
		release(q, t, o->key, XGRO_RELEASE_NO_MERGE, now_ns());
	t->outputs = 0;
	t->segs = 0;
}

static uint64_t umem_bytes(const struct xgro_queue *q)
{
	return (uint64_t)q->nframes * XSK_UMEM__DEFAULT_FRAME_SIZE;
}

/* Handles past the umem name jumbo slots (see join_chain). */
static bool is_jumbo(const struct xgro_queue *q, uint64_t handle)
{
	return handle >= umem_bytes(q);
}

/* Gives a jumbo slot back; returns whether its frame was of a draining
 * flow. */
static bool jumbo_free(struct xgro_queue *q, uint64_t handle)
{
	uint32_t slot = (uint32_t)((handle - umem_bytes(q)) / XGRO_JUMBO_FRAME);

	q->jumbo_free[q->njfree++] = slot;
	return q->jumbo_draining[slot];
}

static void deliver(void *user, const struct xgro_out *o)
{
	struct xgro_queue *q = user;
	int n = xgro_sink_write(q->sink, q->sink_q, o, q->scratch,
				sizeof(q->scratch));
	bool draining = false;

	if (n < 0) {
		q->ws->sink_errors++;
		q->ws->sink_last_err = n;
	} else
		q->ws->segmented += (unsigned)n;
	q->ws->sink_writes++;
	/* the write copied the frames: they are free again */
	for (uint32_t i = 0; i < o->nhandles; i++) {
		if (is_jumbo(q, o->handles[i])) {
			draining |= jumbo_free(q, o->handles[i]);
			continue;
		}
		draining |= q->draining[o->handles[i] /
					XSK_UMEM__DEFAULT_FRAME_SIZE];
		q->free_frames[q->nfree++] = o->handles[i];
		q->ws->frames_in_flight--;
	}
	/* a draining flow is on its way out already: asking again would
	 * restart its drain */
	if ((o->flags & XGRO_OUT_FLOW) && !draining)
		flow_verdict(q, o);
}

static void engine_config(const struct xgro_queue *q,
			  const struct xgro_config *c, uint32_t max_flows,
			  struct xgro_engine_config *e)
{
	memset(e, 0, sizeof(*e));
	/* the stack drops frames not addressed to the device they enter */
	e->set_dst_mac = 1;
	memcpy(e->dst_mac, q->sink->mac, 6);
	e->no_udp_gso = !q->sink->udp_gso;
	e->max_flows = max_flows;
	e->max_frames = q->ring / 4;
	e->max_size = c->max_size;
	e->max_segs = c->max_segs;
	e->flush_ns = c->flush_us * 1000u;
	e->protos = c->protos;
	e->csum_mode = c->csum_mode;
	e->seed = c->hash_seed;
}

/* With a multi-buffer XDP program, a socket that takes chained frames
 * (XDP_USE_SG, 6.6+; copy mode on any driver, zero-copy where the driver
 * has it), else one that does not: frames over a umem frame then stay on
 * the stack. */
static int socket_create(struct xgro_queue *q, const char *ifname, unsigned id,
			 struct xsk_socket_config *sc)
{
	struct xsk_socket_config sg = *sc;
	int err;

	q->sg = false;
	if (q->dp->frags) {
		sg.bind_flags |= XDP_USE_SG;
		err = xsk_socket__create(&q->xsk, ifname, id, q->umem, &q->rx,
					 NULL, &sg);
		if (!err) {
			q->sg = true;
			return 0;
		}
		if (err != -EINVAL && err != -EOPNOTSUPP)
			return err;
	}
	return xsk_socket__create(&q->xsk, ifname, id, q->umem, &q->rx, NULL,
				  sc);
}

/* Jumbo slots for a socket with XDP_USE_SG: as many as the engine may hold
 * (a quarter of the ring) plus one batch, so that one is always free. */
static int jumbo_open(struct xgro_queue *q)
{
	size_t size;

	if (!q->sg)
		return 0;
	q->njumbo = q->ring / 4 + XGRO_BATCH;
	size = (size_t)q->njumbo * XGRO_JUMBO_FRAME;
	q->jumbo_free = calloc(q->njumbo, sizeof(*q->jumbo_free));
	q->jumbo_draining = calloc(q->njumbo, 1);
	q->jumbo = mmap(NULL, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->jumbo == MAP_FAILED)
		q->jumbo = NULL;
	if (!q->jumbo || !q->jumbo_free || !q->jumbo_draining)
		return -ENOMEM;
	for (q->njfree = 0; q->njfree < q->njumbo; q->njfree++)
		q->jumbo_free[q->njfree] = q->njfree;
	return 0;
}

/*
 * Where the XDP program must stop redirecting: its count of descriptors
 * sent here, read first, plus the room the rings have now (the RX ring's,
 * or the fill ring's if it has fewer frames stocked). Frames it counted
 * that the kernel has not published yet make this a little generous;
 * XGRO_RING_MARGIN covers them. XGRO_FAULT=ring-unguarded lets the ring
 * overflow, for the test that proves socket drops are counted.
 */
static void publish_room(struct xgro_queue *q)
{
	uint64_t sent =
		__atomic_load_n(&q->beacon->redirected, __ATOMIC_ACQUIRE);
	uint32_t used = __atomic_load_n(q->rx.producer, __ATOMIC_ACQUIRE) -
			*q->rx.consumer;
	uint32_t stocked = *q->fill.producer -
			   __atomic_load_n(q->fill.consumer, __ATOMIC_ACQUIRE);
	uint32_t room = used < q->rx.size ? q->rx.size - used : 0;

	/* a zero-copy driver takes fill entries ahead, for its own ring */
	if (!q->zerocopy && stocked < room)
		room = stocked;
	__atomic_store_n(&q->beacon->ring_limit,
			 q->unguarded ? UINT64_MAX : sent + room,
			 __ATOMIC_RELEASE);
}

int xgro_queue_open(struct xgro_queue *q, const char *ifname, unsigned id,
		    int xsks_fd, enum xgro_xsk_mode mode, bool busy_poll,
		    uint32_t max_flows)
{
	/* The fill ring takes every umem frame: with zero-copy, the driver's
	 * own RX ring is stocked from it, so it must cover the driver's ring
	 * and the socket's (docs/design.md, "Rings and the umem"). */
	struct xsk_umem_config uc = {
		.fill_size = 2 * q->ring,
		.comp_size = q->ring,
		.frame_size = XSK_UMEM__DEFAULT_FRAME_SIZE,
		.frame_headroom = 0,
	};
	struct xsk_socket_config sc = {
		.rx_size = q->ring,
		.tx_size = 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
	};
	struct xdp_options xo = { 0 };
	socklen_t xl = sizeof(xo);
	size_t size;
	struct xgro_engine_config ec;
	uint32_t idx;
	int err;

	q->id = id;
	q->fd = -1;
	q->rx_cpu = -1;
	q->nframes = 2 * q->ring;
	size = (size_t)q->nframes * XSK_UMEM__DEFAULT_FRAME_SIZE;
	q->free_frames = calloc(q->nframes, sizeof(*q->free_frames));
	q->draining = calloc(q->nframes, 1);
	if (!q->free_frames || !q->draining)
		return -ENOMEM;
	q->area = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -ENOMEM;
	}
	err = xsk_umem__create(&q->umem, q->area, size, &q->fill, &q->comp,
			       &uc);
	if (err)
		return err;
	sc.bind_flags = XDP_USE_NEED_WAKEUP |
			(mode == XGRO_XSK_COPY ? XDP_COPY : XDP_ZEROCOPY);
	err = socket_create(q, ifname, id, &sc);
	if ((err == -EOPNOTSUPP || err == -EPROTONOSUPPORT) &&
	    mode == XGRO_XSK_AUTO) {
		sc.bind_flags = XDP_USE_NEED_WAKEUP | XDP_COPY;
		err = socket_create(q, ifname, id, &sc);
	}
	if (err)
		return err;
	err = jumbo_open(q);
	if (err)
		return err;
	q->fd = xsk_socket__fd(q->xsk);
	if (!getsockopt(q->fd, SOL_XDP, XDP_OPTIONS, &xo, &xl))
		q->zerocopy = xo.flags & XDP_OPTIONS_ZEROCOPY;
	if (busy_poll) {
		int one = 1, usec = 20, budget = XGRO_BATCH;

		if (setsockopt(q->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, &one,
			       sizeof(one)) ||
		    setsockopt(q->fd, SOL_SOCKET, SO_BUSY_POLL, &usec,
			       sizeof(usec)) ||
		    setsockopt(q->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, &budget,
			       sizeof(budget)))
			return -errno;
	}
	/* half the frames stocked in the fill ring, half in reserve */
	q->nfree = 0;
	for (unsigned i = 0; i < q->nframes; i++)
		q->free_frames[q->nfree++] =
			(uint64_t)i * XSK_UMEM__DEFAULT_FRAME_SIZE;
	if (xsk_ring_prod__reserve(&q->fill, q->ring, &idx) != q->ring)
		return -ENOSPC;
	for (unsigned i = 0; i < q->ring; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) =
			q->free_frames[--q->nfree];
	xsk_ring_prod__submit(&q->fill, q->ring);
	engine_config(q, q->dp->cfg, max_flows, &ec);
	err = xgro_ctx_create(&ec, deliver, q, &q->eng);
	if (err)
		return err;
	q->ws->frames_in_flight = 0;
	q->max_flows = max_flows;
	q->unguarded = xgro_fault("ring-unguarded") != 0;
	publish_room(q);
	/* last: from now on the XDP program redirects here */
	return xsk_socket__update_xskmap(q->xsk, xsks_fd);
}

void xgro_queue_close(struct xgro_queue *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area,
		       (size_t)q->nframes * XSK_UMEM__DEFAULT_FRAME_SIZE);
	xgro_ctx_destroy(q->eng);
	if (q->jumbo)
		munmap(q->jumbo, (size_t)q->njumbo * XGRO_JUMBO_FRAME);
	free(q->jumbo_free);
	free(q->jumbo_draining);
	q->jumbo = NULL;
	q->jumbo_free = NULL;
	q->jumbo_draining = NULL;
	free(q->free_frames);
	free(q->draining);
	q->free_frames = NULL;
	q->draining = NULL;
	q->xsk = NULL;
	q->umem = NULL;
	q->area = NULL;
	q->eng = NULL;
}

static void refill(struct xgro_queue *q)
{
	uint32_t idx, n = xsk_prod_nb_free(&q->fill, q->nfree);

	if (n > q->nfree)
		n = q->nfree;
	if (!n || xsk_ring_prod__reserve(&q->fill, n, &idx) != n)
		return;
	for (uint32_t i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) =
			q->free_frames[--q->nfree];
	xsk_ring_prod__submit(&q->fill, n);
}

/*
 * A frame that came as chained descriptors (XDP_USE_SG), joined into a
 * jumbo slot for the engine, which takes frames whole; its umem frames go
 * back to the reserve at once. Returns the descriptors taken, 0 when the
 * chain goes on past the avail ones of this batch.
 */
static uint32_t join_chain(struct xgro_queue *q, uint32_t idx, uint32_t avail,
			   struct xgro_pkt *p, uint8_t **drain)
{
	uint32_t k = 0, off = 0, slot;
	uint8_t *dst;

	for (;;) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&q->rx, idx + k++);

		if (!(d->options & XDP_PKT_CONTD))
			break;
		if (k == avail)
			return 0;
	}
	if (!q->njfree) /* sized so that it cannot happen; if it did, the
			 * engine's frames are what holds the slots */
		xgro_flush_all(q->eng);
	slot = q->jumbo_free[--q->njfree];
	dst = q->jumbo + (size_t)slot * XGRO_JUMBO_FRAME;
	for (uint32_t j = 0; j < k; j++) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&q->rx, idx + j);
		uint32_t len = d->len;

		/* the XDP program redirects nothing longer; a longer one is
		 * cut, and the engine finds its IP length a lie */
		if (off + len > XGRO_JUMBO_FRAME)
			len = XGRO_JUMBO_FRAME - off;
		memcpy(dst + off, xsk_umem__get_data(q->area, d->addr), len);
		off += len;
		q->free_frames[q->nfree++] =
			d->addr & ~(uint64_t)(XSK_UMEM__DEFAULT_FRAME_SIZE - 1);
	}
	p->data = dst;
	p->len = off;
	p->handle = umem_bytes(q) + (uint64_t)slot * XGRO_JUMBO_FRAME;
	*drain = &q->jumbo_draining[slot];
	return k;
}

/* One pass over a queue; returns frames received. */
static unsigned serve_queue(struct xgro_queue *q, uint64_t now)
{
	struct xgro_pkt pkts[XGRO_BATCH];
	uint32_t idx, n, i, used, np = 0, pending, pressure;
	bool draining = false;

	/* fail open under load: over 3/4 of the RX ring waiting, and the XDP
	 * program admits no new flow here */
	pending = __atomic_load_n(q->rx.producer, __ATOMIC_ACQUIRE) -
		  *q->rx.consumer;
	pressure = pending > q->rx.size / 4 * 3;
	if (q->beacon->pressure != pressure)
		q->beacon->pressure = pressure;
	n = xsk_ring_cons__peek(&q->rx, XGRO_BATCH, &idx);
	for (i = 0; i < n; i += used, np++) {
		const struct xdp_desc *d =
			xsk_ring_cons__rx_desc(&q->rx, idx + i);
		uint64_t base =
			d->addr & ~(uint64_t)(XSK_UMEM__DEFAULT_FRAME_SIZE - 1);
		uint8_t *data = xsk_umem__get_data(q->area, d->addr);
		const struct xgro_meta *m = (const void *)(data - sizeof(*m));
		struct xgro_pkt *p = &pkts[np];

		uint8_t *drain =
			&q->draining[base / XSK_UMEM__DEFAULT_FRAME_SIZE];

		p->data = data;
		p->len = d->len;
		p->handle = base;
		p->flags = 0;
		used = 1;
		if (d->options & XDP_PKT_CONTD) {
			used = join_chain(q, idx + i, n - i, p, &drain);
			if (!used)
				break; /* cut by the batch: the next pass */
		} else {
			q->ws->frames_in_flight++;
		}
		*drain = 0;
		if (d->addr - base >= sizeof(*m) &&
		    m->magic == XGRO_META_MAGIC) {
			uint64_t stamp;

			p->hash = m->hash;
			p->l3_off = m->l3_off;
			p->l4_off = m->l4_off;
			p->flags = XGRO_PKT_HASH | XGRO_PKT_OFFSETS;
			memcpy(&stamp, &m->stamp, sizeof(stamp));
			if (stamp > q->max_stamp)
				q->max_stamp = stamp;
			q->rx_cpu = (int)(m->flags >> XGRO_META_CPU_SHIFT) - 1;
			if (m->flags & XGRO_META_DRAINING) {
				*drain = 1;
				draining = true;
				q->ws->draining_frames++;
			}
			/* the area is not cleared between frames */
			((struct xgro_meta *)m)->magic = 0;
		} else {
			q->ws->no_meta++;
		}
	}
	/* a chain cut by the batch is peeked again on the next pass */
	xsk_ring_cons__cancel(&q->rx, n - i);
	if (i) {
		xsk_ring_cons__release(&q->rx, i);
		q->ws->rx_frames += np;
		xgro_feed(q->eng, pkts, np, now);
	}
	/* a draining flow is held by nobody; nor, for the moment, is anyone
	 * else (drains are short and rare). flush-us 0 is an engine with
	 * flush_ns 0, for which every held flow has expired: the end of
	 * every pass empties it, as the end of a NAPI poll does. */
	if (draining)
		xgro_flush_all(q->eng);
	else
		xgro_flush_expired(q->eng, now);
	/* holding nothing: every frame taken so far has been written, and the
	 * tap write delivers it to the stack before it returns, so a flow
	 * draining here may go to the stack once its newest stamp is covered */
	if (!xgro_held_frames(q->eng) && q->beacon->drained_ns != q->max_stamp)
		__atomic_store_n(&q->beacon->drained_ns, q->max_stamp,
				 __ATOMIC_RELEASE);
	refill(q);
	publish_room(q);
	return np;
}

static void sync_config(struct xgro_queue *q, struct xgro_config *last)
{
	struct xgro_config now = *q->dp->cfg;
	struct xgro_engine_config ec;

	if (!memcmp(&now, last, sizeof(now)))
		return;
	*last = now;
	engine_config(q, &now, q->max_flows, &ec);
	xgro_ctx_reconfigure(q->eng, &ec);
}

/*
 * The socket's side of the books, for `xgro stats` to reconcile with the
 * XDP program's redirects. Ring levels from the shared ring words (no
 * syscall); the kernel's drop counters by getsockopt, at most every
 * XGRO_XSK_SAMPLE_MS, since a syscall per loop would cost the data path.
 */
static void publish_xsk(struct xgro_queue *q, uint64_t now)
{
	struct xgro_xsk_stats *x = &q->ws->xsk;
	uint32_t rx_prod, fill_cons;

	if (now - x->sampled_ns >= XGRO_XSK_SAMPLE_MS * 1000000ull) {
		struct xdp_statistics s;
		socklen_t len = sizeof(s);

		if (!getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, &s, &len) &&
		    len == sizeof(s)) {
			x->rx_dropped = s.rx_dropped;
			x->rx_invalid_descs = s.rx_invalid_descs;
			x->rx_ring_full = s.rx_ring_full;
			x->rx_fill_ring_empty_descs =
				s.rx_fill_ring_empty_descs;
		} else {
			x->sample_errors++;
		}
		/* after the figures: a reader that sees this time sees them */
		__atomic_store_n(&x->sampled_ns, now, __ATOMIC_RELEASE);
	}
	/* the kernel moves the RX producer and the fill consumer; we own
	 * the other two words */
	rx_prod = __atomic_load_n(q->rx.producer, __ATOMIC_ACQUIRE);
	fill_cons = __atomic_load_n(q->fill.consumer, __ATOMIC_ACQUIRE);
	x->rx_size = q->rx.size;
	x->fill_size = q->fill.size;
	x->rx_pending = rx_prod - *q->rx.consumer;
	x->fill_stocked = *q->fill.producer - fill_cons;
	x->umem_frames = q->nframes;
	x->umem_free = q->nfree;
	x->held_frames = xgro_held_frames(q->eng);
	__atomic_store_n(&x->published_ns, now, __ATOMIC_RELEASE);
}

static void publish(struct xgro_queue *q)
{
	q->ws->engine = *xgro_stats(q->eng);
	q->ws->loops++;
	/* the loop stamped the heartbeat with this pass's time */
	publish_xsk(q, q->beacon->heartbeat_ns);
}

/* Did the last frame of any queue come from an XDP program run elsewhere? */
static bool fed_remotely(const struct xgro_worker *w)
{
	for (unsigned i = 0; i < w->nq; i++)
		if (w->q[i]->rx_cpu != w->cpu)
			return true;
	return false;
}

/* Should the worker nap on its own timer rather than sleep on its
 * sockets? Interrupt moderation: a worker asleep on its socket is woken at
 * the end of every NAPI poll that fed it, an IPI from the CPU that ran it.
 * While frames keep coming, sleeping on our own timer instead costs this
 * CPU alone, and each wake-up finds a larger batch (docs/design.md, "When
 * the worker runs"). Not when the frames come from our own CPU: that
 * wake-up is local, and a nap only lets the ring fill. Not for a lone
 * frame or two either (a request/response flow): a nap would not batch
 * them, only delay them. */
static bool should_nap(const struct xgro_worker *w, uint64_t now)
{
	const struct xgro_dataplane *dp = w->dp;

	return dp->cfg->nap_us && now - w->last_rx < XGRO_NAP_LINGER_NS &&
	       w->last_got >= XGRO_NAP_MIN_BATCH && !dp->busy_poll &&
	       fed_remotely(w);
}

/* One pass over every queue of the worker: frames taken, merged, written.
 * *wait_ns becomes the nearest deadline of a held segment. */
static unsigned pass(struct xgro_worker *w, struct xgro_config *last,
		     uint64_t now, uint64_t *wait_ns)
{
	const struct xgro_config *cfg = w->dp->cfg;
	unsigned got = 0;

	for (unsigned i = 0; i < w->nq; i++) {
		struct xgro_queue *q = w->q[i];

		__atomic_store_n(&q->beacon->heartbeat_ns, now,
				 __ATOMIC_RELAXED);
		sync_config(q, &last[i]);
		got += serve_queue(q, now);
		publish(q);
		if (xgro_held_frames(q->eng) && cfg->flush_us &&
		    cfg->flush_us * 1000ull < *wait_ns)
			*wait_ns = cfg->flush_us * 1000ull;
	}
	return got;
}

/* Nothing came: nap, busy-poll, or sleep on the sockets until frames
 * come, never past wait_ns (a held segment's deadline). 0 or -errno. */
static int wait_for_frames(struct xgro_worker *w, struct pollfd *pfd,
			   uint64_t now, uint64_t wait_ns)
{
	struct xgro_dataplane *dp = w->dp;
	struct timespec ts;

	if (should_nap(w, now)) {
		uint64_t nap = dp->cfg->nap_us * 1000ull;

		ts = (struct timespec){ 0,
					(long)(nap < wait_ns ? nap : wait_ns) };
		nanosleep(&ts, NULL);
		return 0;
	}
	if (dp->busy_poll) {
		for (unsigned i = 0; i < w->nq; i++)
			recvfrom(w->q[i]->fd, NULL, 0, MSG_DONTWAIT, NULL,
				 NULL);
		return 0;
	}
	ts = (struct timespec){ (time_t)(wait_ns / 1000000000u),
				(long)(wait_ns % 1000000000u) };
	if (ppoll(pfd, w->nq, &ts, NULL) < 0 && errno != EINTR)
		return -errno;
	return 0;
}

void *xgro_worker_run(void *arg)
{
	struct xgro_worker *w = arg;
	struct xgro_dataplane *dp = w->dp;
	struct xgro_config last[XGRO_MAX_QUEUES];
	struct pollfd pfd[XGRO_MAX_QUEUES];
	int err = 0;

	/* a held segment waits flush-us, not flush-us plus the default 50 us
	 * of timer slack */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	/* this thread's nice value only (Linux: a tid is a process id here);
	 * failure leaves the default, which costs frames, not correctness,
	 * so it is said but not fatal (a unit without CAP_SYS_NICE, say) */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), dp->nice) < 0)
		pr_warn("worker on CPU %d: cannot take nice %d (%s): other "
			"tasks may keep it from its rings longer",
			w->cpu, dp->nice, strerror(errno));
	for (unsigned i = 0; i < w->nq; i++) {
		last[i] = *dp->cfg;
		pfd[i] = (struct pollfd){ .fd = w->q[i]->fd, .events = POLLIN };
	}
	while (!err && !atomic_load_explicit(&dp->stop, memory_order_relaxed)) {
		uint64_t now = now_ns(), wait_ns = 10 * 1000000ull;
		unsigned got = pass(w, last, now, &wait_ns);

		if (got) {
			w->last_rx = now;
			w->last_got = got;
			continue;
		}
		err = wait_for_frames(w, pfd, now, wait_ns);
	}
	/* hand back everything held before the sockets go */
	for (unsigned i = 0; i < w->nq; i++) {
		xgro_flush_all(w->q[i]->eng);
		publish(w->q[i]);
	}
	if (err) {
		uint64_t one = 1;

		atomic_store(&dp->err, err);
		if (write(dp->wake_fd, &one, sizeof(one)) < 0)
			return NULL;
	}
	return NULL;
}
