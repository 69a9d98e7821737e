// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "cli.h"
#include "log.h"

static int open_pin(const char *dir, const char *name, int *fd)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*fd = bpf_obj_get(path);
	if (*fd < 0) {
		int err = -errno;

		pr_err("map %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int xgro_maps_open(const char *ifname, const char *pin_dir, const char *netns,
		   struct xgro_maps *m, struct xgro_state *st)
{
	int err;

	memset(m, -1, sizeof(*m));
	if ((err = xgro_instance_find(ifname, pin_dir, netns, st)))
		return err;
	if (!xgro_state_alive(st)) {
		pr_err("interface '%s': the instance (pid %d) is gone; "
		       "'xgro detach %s' cleans up after it",
		       ifname, st->pid, ifname);
		return -ESRCH;
	}
	if ((err = open_pin(st->pin_dir, "config", &m->config)) ||
	    (err = open_pin(st->pin_dir, "counters", &m->counters)) ||
	    (err = open_pin(st->pin_dir, "flows", &m->flows)) ||
	    (err = open_pin(st->pin_dir, "worker_stats", &m->worker_stats))) {
		xgro_maps_close(m);
		return err;
	}
	return 0;
}

void xgro_maps_close(struct xgro_maps *m)
{
	int *fds = (int *)m;

	for (size_t i = 0; i < sizeof(*m) / sizeof(int); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	memset(m, -1, sizeof(*m));
}
