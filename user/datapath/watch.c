// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Failing open (docs/design.md, "Failing open"). What the data path
 * writes must reach the stack; when the host changes under it so that it
 * cannot, frames steered to the workers are lost where the kernel's own
 * path would have delivered them. The owner calls xgro_dp_watch a few
 * times a second; it stops steering (every queue's beacon says why, and
 * the XDP program passes every frame) while:
 *   - the sink, or the veth peer where its frames arrive, is down;
 *   - reverse-path filtering on the arrival device is on (the kernel
 *     applies max(all, device)): reinjected packets arrive where their
 *     source does not route, and would be dropped;
 *   - writes to the sink fail and none succeeds; while halted for that,
 *     a small frame the stack drops is written every check, and steering
 *     resumes once it goes through. (Letting the flows through to find
 *     out would lose exactly their retransmissions, which come at
 *     intervals a backoff of ours would meet.)
 * and resumes when the cause has gone. A deleted or renamed interface, or
 * a deleted sink, cannot come back as the same device: the instance ends.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "sysctl.h"
#include "worker.h"

static bool dev_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up = true; /* cannot tell: do not stop for it */

	if (fd < 0)
		return up;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (!ioctl(fd, SIOCGIFFLAGS, &ifr))
		up = ifr.ifr_flags & IFF_UP;
	close(fd);
	return up;
}

/* The reverse-path filter mode in force on device `name`. */
static int rp_filter_of(const char *name)
{
	char path[96];
	int all, dev;

	all = xgro_sysctl_int("/proc/sys/net/ipv4/conf/all/rp_filter", 0);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter",
		 name);
	dev = xgro_sysctl_int(path, 0);
	return all > dev ? all : dev;
}

static void halt_all(struct xgro_dataplane *dp, enum xgro_halt h)
{
	dp->watch.halt = h;
	for (unsigned i = 0; i < dp->nqueues; i++)
		__atomic_store_n(&dp->queues[i]->beacon->halt, (uint32_t)h,
				 __ATOMIC_RELEASE);
}

static const char *sink_word(const struct xgro_dataplane *dp)
{
	return dp->sink.kind == XGRO_SINK_TAP ? "tap" : "veth";
}

int xgro_dp_watch(struct xgro_dataplane *dp)
{
	struct xgro_watch *w = &dp->watch;
	char name[IF_NAMESIZE], sink[IF_NAMESIZE], arrive[IF_NAMESIZE];
	uint64_t errors = 0, writes = 0;
	int64_t last_err = 0;
	uint64_t ok, failed;
	enum xgro_halt h = XGRO_HALT_NONE;
	char why[160] = "";
	bool sink_up;
	int rp;

	if (!if_indextoname((unsigned)dp->ifindex, name)) {
		pr_err("interface '%s' is gone: detaching", dp->ifname);
		return -ENODEV;
	}
	if (strcmp(name, dp->ifname)) {
		pr_err("interface '%s' was renamed '%s': detaching (attach %s "
		       "to serve it again)",
		       dp->ifname, name, name);
		return -EXDEV;
	}
	if (!if_indextoname((unsigned)dp->sink.ifindex, sink) ||
	    strcmp(sink, dp->sink.name) ||
	    (dp->sink.peer_ifindex &&
	     !if_indextoname((unsigned)dp->sink.peer_ifindex, arrive))) {
		pr_err("%s '%s' was deleted or renamed: detaching; every frame "
		       "goes up '%s'",
		       sink_word(dp), dp->sink.name, dp->ifname);
		return -ENODEV;
	}
	if (!dp->sink.peer_ifindex)
		snprintf(arrive, sizeof(arrive), "%s", sink);
	for (unsigned i = 0; i < dp->nqueues; i++) {
		const struct xgro_worker_stats *ws = dp->queues[i]->ws;

		errors += ws->sink_errors;
		writes += ws->sink_writes;
		if (ws->sink_last_err)
			last_err = ws->sink_last_err;
	}
	/* writes that worked since the last check */
	failed = errors - w->errors;
	ok = (writes - w->writes) - failed;
	w->errors = errors;
	w->writes = writes;
	sink_up = dev_up(sink);
	if (!sink_up || !dev_up(arrive)) {
		h = XGRO_HALT_SINK_DOWN;
		snprintf(why, sizeof(why), "%s '%s' is down", sink_word(dp),
			 sink_up ? arrive : sink);
	} else if ((rp = rp_filter_of(arrive))) {
		h = XGRO_HALT_RP_FILTER;
		snprintf(why, sizeof(why),
			 "reverse-path filtering is %d on '%s' "
			 "(net.ipv4.conf.{all,%s}.rp_filter): it would drop "
			 "reinjected packets",
			 rp, arrive, arrive);
	} else if ((failed && !ok) ||
		   (w->halt == XGRO_HALT_SINK_ERRORS &&
		    (last_err = xgro_sink_check(&dp->sink)))) {
		h = XGRO_HALT_SINK_ERRORS;
		snprintf(why, sizeof(why), "writes to %s '%s' fail (%s)",
			 sink_word(dp), sink, strerror((int)-last_err));
	}
	if (h == w->halt)
		return 0;
	if (h)
		pr_warn("%s: %s: steering stopped, every frame goes up '%s' "
			"until it changes",
			dp->ifname, why, dp->ifname);
	else
		pr_info("xgro: %s: %s: steering resumed", dp->ifname,
			w->halt == XGRO_HALT_SINK_ERRORS
				? "the sink takes writes again"
			: w->halt == XGRO_HALT_RP_FILTER
				? "reverse-path filtering is off again"
				: "the sink is up again");
	halt_all(dp, h);
	return 0;
}
