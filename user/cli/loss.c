// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Every frame the XDP program redirected, accounted for: received by a
 * worker, dropped by its socket, or still in the RX ring. The figures sit
 * in three places read at different instants (the per-CPU `counters` map,
 * the workers' slots, the kernel's socket counters as last sampled by the
 * workers), so the identity is checked over a window rather than at one
 * instant: the workers' side is read once before the counters and once
 * after, with socket counters sampled after the counters were read. Each
 * figure only grows, so while the books balance, the redirects lie
 * between the two readings (README, "Counting every frame").
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "link.h"

/* How long to wait for every worker to sample its socket after the
 * counters were read: a few sample periods (a worker loops at least every
 * 10 ms), then the books are judged on what there is (fresh false). */
#define FRESH_WAIT_MS (5 * XGRO_XSK_SAMPLE_MS)

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int xgro_read_counters(int fd, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	if (ncpu <= 0)
		return -EINVAL;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < XGRO_CNT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, v))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += v[c];
	}
	free(v);
	return 0;
}

uint64_t xgro_xsk_dropped(const struct xgro_xsk_stats *x)
{
	/*
	 * Disjoint on 6.18 (net/xdp/xsk.c): rx_dropped counts a frame with
	 * no fill-ring frame to copy into, or too large; rx_ring_full one
	 * with no room in the RX ring. rx_fill_ring_empty_descs is not
	 * added: in copy mode each empty fill ring is also an rx_dropped,
	 * and in zero-copy mode it counts the driver's failed refills, whose
	 * frames the NIC drops before XDP sees them.
	 */
	return x->rx_dropped + x->rx_ring_full;
}

/* received + dropped + pending, each queue's slot as read */
static uint64_t accounted(const struct xgro_worker_stats *q, uint32_t nq)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < nq; i++)
		n += q[i].rx_frames + xgro_xsk_dropped(&q[i].xsk) +
		     q[i].xsk.rx_pending;
	return n;
}

static void read_slots(int fd, uint32_t nq, struct xgro_worker_stats *q)
{
	for (uint32_t i = 0; i < nq; i++)
		if (bpf_map_lookup_elem(fd, &i, &q[i]))
			memset(&q[i], 0, sizeof(q[i]));
}

static bool all_sampled_after(const struct xgro_worker_stats *q, uint32_t nq,
			      uint64_t t)
{
	for (uint32_t i = 0; i < nq; i++)
		if (q[i].xsk.sampled_ns < t)
			return false;
	return true;
}

/* RX drops of the interface (rtnetlink: the caller's namespace). */
static int iface_stats(const char *ifname, struct xgro_loss *l)
{
	struct rtnl_link_stats64 s;
	int ifindex = (int)if_nametoindex(ifname), err;

	if (!ifindex)
		return -errno;
	err = xgro_link_attr(ifindex, IFLA_STATS64, &s, sizeof(s));
	if (err)
		return err;
	l->if_rx_dropped = s.rx_dropped;
	l->if_rx_missed_errors = s.rx_missed_errors;
	l->if_rx_fifo_errors = s.rx_fifo_errors;
	l->if_rx_over_errors = s.rx_over_errors;
	return 0;
}

int xgro_loss_read(int counters_fd, int ws_fd, uint32_t nq, const char *ifname,
		   struct xgro_loss *l)
{
	struct xgro_worker_stats *before;
	uint64_t t, deadline, lo, hi;
	int err;

	memset(l, 0, sizeof(*l));
	if (nq > XGRO_MAX_QUEUES)
		nq = XGRO_MAX_QUEUES;
	l->nq = nq;
	before = calloc(XGRO_MAX_QUEUES, sizeof(*before));
	if (!before)
		return -ENOMEM;
	read_slots(ws_fd, nq, before);
	err = xgro_read_counters(counters_fd, l->cnt);
	if (err) {
		free(before);
		return err;
	}
	t = mono_ns();
	deadline = t + FRESH_WAIT_MS * 1000000ull;
	for (;;) {
		read_slots(ws_fd, nq, l->q);
		l->fresh = all_sampled_after(l->q, nq, t);
		if (l->fresh || mono_ns() >= deadline)
			break;
		usleep(5000);
	}
	lo = accounted(before, nq);
	free(before);
	hi = accounted(l->q, nq);

	for (uint32_t i = 0; i < nq; i++) {
		const __u64 *src = (const __u64 *)&l->q[i];
		__u64 *dst = (__u64 *)&l->sum;

		for (size_t k = 0; k < sizeof(l->sum) / 8; k++)
			dst[k] += src[k];
		l->dropped += xgro_xsk_dropped(&l->q[i].xsk);
		l->pending += l->q[i].xsk.rx_pending;
		l->received += l->q[i].rx_frames;
	}
	/* times are not sums: the oldest sample is what matters */
	l->sum.xsk.sampled_ns = l->sum.xsk.published_ns = 0;
	for (uint32_t i = 0; i < nq; i++) {
		const struct xgro_xsk_stats *x = &l->q[i].xsk;

		if (!i || x->sampled_ns < l->sum.xsk.sampled_ns)
			l->sum.xsk.sampled_ns = x->sampled_ns;
		if (!i || x->published_ns < l->sum.xsk.published_ns)
			l->sum.xsk.published_ns = x->published_ns;
	}
	l->redirected = l->cnt[XGRO_CNT_STEERED];
	/*
	 * Per queue, two slacks. Up to one NAPI poll (64 frames) that the
	 * XDP program has counted as steered but the kernel has neither
	 * placed in the RX ring (it publishes the producer at the poll's
	 * end, xsk_flush) nor dropped yet. And one worker batch (64): a
	 * slot copied while its worker writes it may hold rx_frames after a
	 * batch and rx_pending before it, or the reverse.
	 */
	l->allowance = (uint64_t)nq * (64 + 64);
	if (l->redirected > hi)
		l->difference = (int64_t)(l->redirected - hi);
	else if (l->redirected < lo)
		l->difference = -(int64_t)(lo - l->redirected);
	l->reconciled = (uint64_t)llabs(l->difference) <= l->allowance;
	l->lost = l->dropped;
	/* a silent worker's frames may sit unseen in its RX ring: only a
	 * fresh reading can call them lost */
	if (!l->reconciled && l->fresh && l->difference > 0)
		l->lost +=
			(uint64_t)l->difference; /* redirected, found nowhere */
	l->have_iface = ifname && !iface_stats(ifname, l);
	return 0;
}
