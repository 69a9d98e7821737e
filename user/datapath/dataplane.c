// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Starting and stopping the data path: the sink, one socket per queue, and
 * one worker thread per CPU with the queues dealt round-robin.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fault.h"
#include "log.h"
#include "worker.h"

void xgro_dp_defaults(struct xgro_dp_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_flows = 4096;
	o->ring = XGRO_RING_DEFAULT;
	o->nice = XGRO_NICE_DEFAULT;
	o->xsk_mode = XGRO_XSK_AUTO;
	o->sink = XGRO_SINK_TAP;
}

int xgro_dp_parse_reinject(const char *arg, struct xgro_dp_opts *o)
{
	const char *name = NULL;

	if (!strcmp(arg, "tap")) {
		o->sink = XGRO_SINK_TAP;
	} else if (!strncmp(arg, "tap:", 4)) {
		o->sink = XGRO_SINK_TAP;
		name = arg + 4;
	} else if (!strncmp(arg, "veth:", 5)) {
		o->sink = XGRO_SINK_VETH;
		name = arg + 5;
	} else {
		return -EINVAL;
	}
	/* what the kernel's dev_valid_name() refuses */
	if (name &&
	    (!*name || strlen(name) >= IF_NAMESIZE || strchr(name, '/') ||
	     strchr(name, ':') || strpbrk(name, " \t\n") ||
	     !strcmp(name, ".") || !strcmp(name, "..")))
		return -EINVAL;
	snprintf(o->sink_name, sizeof(o->sink_name), "%s", name ? name : "");
	return 0;
}

static void *map_mmap(struct bpf_object *obj, const char *name, size_t *len)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
	void *p;

	*len = (size_t)bpf_map__value_size(m) * bpf_map__max_entries(m);
	*len = (*len + 4095) & ~(size_t)4095;
	p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m),
		 0);
	return p == MAP_FAILED ? NULL : p;
}

static void unmap_all(struct xgro_dataplane *dp)
{
	if (dp->cfg_map)
		munmap(dp->cfg_map, dp->cfg_len);
	if (dp->hb_map)
		munmap(dp->hb_map, dp->hb_len);
	if (dp->ws_map)
		munmap(dp->ws_map, dp->ws_len);
}

void xgro_dp_stop(struct xgro_dataplane *dp)
{
	if (!dp)
		return;
	atomic_store(&dp->stop, true);
	for (unsigned i = 0; i < dp->nworkers; i++)
		if (dp->workers[i].started)
			pthread_join(dp->workers[i].thread, NULL);
	/* a start that failed part way has queues not yet made */
	for (unsigned i = 0; i < dp->nqueues && dp->queues[i]; i++) {
		xgro_queue_close(dp->queues[i]);
		free(dp->queues[i]);
	}
	xgro_sink_close(&dp->sink);
	unmap_all(dp);
	if (dp->wake_fd >= 0)
		close(dp->wake_fd);
	free(dp);
}

/*
 * The tap's default name: "xg" and the interface's. Names longer than 13
 * characters are cut, and two such interfaces could share the cut: then
 * 9 characters and a hash of the whole name.
 */
static void tap_name(const char *ifname, char name[IF_NAMESIZE])
{
	uint32_t h = 2166136261u;

	if (strlen(ifname) <= IF_NAMESIZE - 3) {
		snprintf(name, IF_NAMESIZE, "xg%s", ifname);
		return;
	}
	for (const char *c = ifname; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	snprintf(name, IF_NAMESIZE, "xg%.9s%04x", ifname, h & 0xffff);
}

static int open_sink(struct xgro_dataplane *dp, const struct xgro_dp_opts *o,
		     struct xgro_dp_info *st)
{
	char name[IF_NAMESIZE];
	int err;

	if (o->sink == XGRO_SINK_TAP) {
		if (o->sink_name[0])
			snprintf(name, sizeof(name), "%s", o->sink_name);
		else
			tap_name(dp->ifname, name);
		err = xgro_fault("sink");
		if (!err)
			err = xgro_sink_tap_open(&dp->sink, name, dp->nqueues);
		if (err == -EEXIST)
			pr_err("tap '%s': exists already; name another with "
			       "--reinject tap:NAME",
			       name);
		else if (err)
			pr_err("tap '%s': %s", name, strerror(-err));
		if (err)
			return err;
		snprintf(st->tap, sizeof(st->tap), "%s", name);
		snprintf(st->reinject, sizeof(st->reinject), "tap:%s", name);
	} else {
		err = xgro_fault("sink");
		if (!err)
			err = xgro_sink_veth_open(&dp->sink, o->sink_name,
						  dp->nqueues, dp->ifindex);
		if (err == -ELOOP)
			pr_err("veth '%s': its frames would come back to '%s' "
			       "(the same interface, its peer or its bridge); "
			       "name a veth whose peer is the stack's side",
			       o->sink_name, dp->ifname);
		else if (err == -ENOTTY || err == -EXDEV)
			pr_err("veth '%s': not a veth whose peer is in this "
			       "network namespace",
			       o->sink_name);
		else if (err)
			pr_err("veth '%s': %s", o->sink_name, strerror(-err));
		if (err)
			return err;
		snprintf(st->reinject, sizeof(st->reinject), "veth:%s",
			 o->sink_name);
	}
	xgro_sink_probe(&dp->sink);
	dp->sink.fail_while = xgro_fault_arg("sink-write");
	snprintf(st->gso, sizeof(st->gso), "%s%s",
		 dp->sink.tcp_gso ? "tcp" : "tcp-segmented",
		 dp->sink.udp_gso ? ",udp" : ",udp-unmerged");
	return 0;
}

/* Frames over a umem frame are redirected only when every socket takes
 * them chained (the XDP program compares with the config's frame_size);
 * otherwise they go to the stack, counted as too large. */
static void set_jumbo(struct xgro_dataplane *dp, struct xgro_dp_info *st)
{
	unsigned sg = 0;

	for (unsigned i = 0; i < dp->nqueues; i++)
		sg += dp->queues[i]->sg;
	if (dp->frags && sg == dp->nqueues) {
		dp->cfg->frame_size = XGRO_JUMBO_FRAME;
		snprintf(st->jumbo, sizeof(st->jumbo),
			 "xdp.frags+XDP_USE_SG,frames<=%u", XGRO_JUMBO_FRAME);
	} else {
		snprintf(st->jumbo, sizeof(st->jumbo), "off,frames<=%u(%s)",
			 dp->cfg->frame_size,
			 dp->frags ? "no-XDP_USE_SG" : "no-xdp.frags");
	}
}

/* The data path's frame: its wake-up eventfd and the maps it shares
 * with the XDP program, mapped. */
static int dp_new(struct xgro_dataplane **dpp, const struct xgro_dp_opts *o,
		  const char *ifname, int ifindex, struct bpf_object *obj)
{
	struct xgro_dataplane *dp = calloc(1, sizeof(*dp));
	int err;

	*dpp = dp;
	if (!dp)
		return -ENOMEM;
	dp->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	dp->busy_poll = o->busy_poll;
	dp->nice = o->nice;
	dp->frags = o->frags;
	dp->nqueues = o->queues;
	dp->ifindex = ifindex;
	snprintf(dp->ifname, sizeof(dp->ifname), "%s", ifname);
	dp->cfg_map = map_mmap(obj, "config", &dp->cfg_len);
	dp->hb_map = map_mmap(obj, "heartbeat", &dp->hb_len);
	dp->ws_map = map_mmap(obj, "worker_stats", &dp->ws_len);
	if (!dp->cfg_map || !dp->hb_map || !dp->ws_map || dp->wake_fd < 0) {
		err = -errno;
		pr_err("mapping the shared maps: %s", strerror(-err));
		return err;
	}
	dp->cfg = dp->cfg_map;
	return 0;
}

/* One worker per CPU of the set (or of those this process may use), as
 * many as there are queues. */
static int place_workers(struct xgro_dataplane *dp,
			 const struct xgro_dp_opts *o)
{
	cpu_set_t cpus = o->cpus;
	int err;

	if (!CPU_COUNT(&cpus) && sched_getaffinity(0, sizeof(cpus), &cpus)) {
		err = -errno;
		pr_err("reading the CPUs this process may use: %s",
		       strerror(-err));
		return err;
	}
	for (int c = 0; c < CPU_SETSIZE && dp->nworkers < dp->nqueues; c++)
		if (CPU_ISSET(c, &cpus)) {
			dp->workers[dp->nworkers].cpu = c;
			dp->workers[dp->nworkers].dp = dp;
			dp->nworkers++;
		}
	return 0;
}

/* A socket per RX queue, dealt round-robin to the workers. */
static int open_queue(struct xgro_dataplane *dp, const struct xgro_dp_opts *o,
		      unsigned i, int xsks_fd, int steer_fd)
{
	struct xgro_queue *q = calloc(1, sizeof(*q));
	struct xgro_worker *w = &dp->workers[i % dp->nworkers];
	int err;

	if (!q)
		return -ENOMEM;
	dp->queues[i] = q;
	q->dp = dp;
	q->sink = &dp->sink;
	q->sink_q = i;
	q->steer_fd = steer_fd;
	q->ws = (struct xgro_worker_stats *)dp->ws_map + i;
	q->beacon = (struct xgro_beacon *)dp->hb_map + i;
	memset(q->beacon, 0, sizeof(*q->beacon));
	q->ring = o->ring;
	memset(q->ws, 0, sizeof(*q->ws));
	err = xgro_fault("queue");
	if (!err)
		err = xgro_queue_open(q, dp->ifname, i, xsks_fd, o->xsk_mode,
				      o->busy_poll, o->max_flows);
	if ((err == -EOPNOTSUPP || err == -EPROTONOSUPPORT) &&
	    o->xsk_mode == XGRO_XSK_ZEROCOPY)
		pr_err("interface '%s': its driver has no AF_XDP zero-copy "
		       "(drop "
		       "--zero-copy to use copy mode)",
		       dp->ifname);
	else if (err)
		pr_err("interface '%s' queue %u: AF_XDP socket: %s", dp->ifname,
		       i, strerror(-err));
	if (!err)
		w->q[w->nq++] = q;
	return err;
}

/* Each worker pinned to its CPU from its first instruction. */
static int start_workers(struct xgro_dataplane *dp)
{
	for (unsigned i = 0; i < dp->nworkers; i++) {
		struct xgro_worker *w = &dp->workers[i];
		pthread_attr_t attr;
		cpu_set_t set;
		int err;

		CPU_ZERO(&set);
		CPU_SET(w->cpu, &set);
		err = -pthread_attr_init(&attr);
		if (!err)
			err = -pthread_attr_setaffinity_np(&attr, sizeof(set),
							   &set);
		if (!err)
			err = xgro_fault("worker");
		if (!err)
			err = -pthread_create(&w->thread, &attr,
					      xgro_worker_run, w);
		pthread_attr_destroy(&attr);
		if (err) {
			pr_err("starting worker %u on CPU %d: %s", i, w->cpu,
			       strerror(-err));
			return err;
		}
		w->started = true;
	}
	return 0;
}

int xgro_dp_start(struct xgro_dataplane **dpp, const struct xgro_dp_opts *o,
		  const char *ifname, int ifindex, struct bpf_object *obj,
		  struct xgro_dp_info *st)
{
	struct xgro_dataplane *dp;
	int xsks_fd, steer_fd, err;
	unsigned zc = 0;

	memset(st, 0, sizeof(*st));
	err = dp_new(&dp, o, ifname, ifindex, obj);
	if (!dp)
		return err;
	if (err || (err = open_sink(dp, o, st)) || (err = place_workers(dp, o)))
		goto fail;
	xsks_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "xsks"));
	steer_fd = bpf_map__fd(bpf_object__find_map_by_name(obj, "steer"));
	for (unsigned i = 0; i < dp->nqueues; i++) {
		if ((err = open_queue(dp, o, i, xsks_fd, steer_fd)))
			goto fail;
		zc += dp->queues[i]->zerocopy;
	}
	if ((err = start_workers(dp)))
		goto fail;
	st->queues = dp->nqueues;
	st->workers = dp->nworkers;
	set_jumbo(dp, st);
	snprintf(st->xsk_mode, sizeof(st->xsk_mode), "%s",
		 zc == dp->nqueues ? "zerocopy"
		 : zc		   ? "mixed"
				   : "copy");
	if (o->xsk_mode == XGRO_XSK_AUTO && !zc)
		pr_info("xgro: %s: no AF_XDP zero-copy in its driver, using "
			"copy mode",
			dp->ifname);
	*dpp = dp;
	return 0;
fail:
	xgro_dp_stop(dp);
	st->tap[0] = 0;
	return err;
}

int xgro_dp_poll(struct xgro_dataplane *dp, int timeout_ms)
{
	struct pollfd p = { .fd = dp->wake_fd, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) < 0 && errno != EINTR)
		return -errno;
	return atomic_load(&dp->err);
}
