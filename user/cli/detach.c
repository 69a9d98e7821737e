// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro detach IFACE: ask a running attach to stop (SIGTERM) and wait for
 * it; if it is gone, undo what its state file says it left behind. The
 * program itself needs no detaching: it was attached through a bpf_link
 * that died with its process, so no XDP program of anyone else's is ever
 * touched here.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

int cmd_detach(int argc, char **argv)
{
	static const struct xgro_cmd_spec spec = { "detach", "IFACE", 0, NULL };
	struct xgro_cmd_opts o;
	const char *ifname;
	struct xgro_state st;

	if (xgro_cmd_parse(argc, argv, &spec, &o))
		return EXIT_USAGE;
	ifname = o.ifname;
	if (geteuid() != 0) {
		pr_err("detach: needs root");
		return EXIT_RUNTIME;
	}
	if (xgro_instance_find(ifname, o.pin_dir, o.netns, &st))
		return EXIT_RUNTIME;
	if (xgro_state_alive(&st)) {
		/* SIGCONT too: a stopped instance would take the SIGTERM only
		 * when someone resumed it */
		if (kill(st.pid, SIGTERM) || kill(st.pid, SIGCONT)) {
			pr_err("interface '%s': signalling pid %d: %s", ifname,
			       st.pid, strerror(errno));
			return EXIT_RUNTIME;
		}
		/* it flushes what it holds and removes its own state */
		for (int i = 0; i < 100 && xgro_state_alive(&st); i++)
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		if (xgro_state_alive(&st)) {
			pr_err("interface '%s': pid %d did not stop within 5 s",
			       ifname, st.pid);
			return EXIT_RUNTIME;
		}
		if (xgro_state_read(st.id, &st))
			return 0;
	}
	/* sysctls are restored in the namespace they were changed in, which
	 * --netns may have named from outside */
	if (xgro_netns_enter(&st))
		pr_warn("the network namespace of pid %d is gone or has no "
			"name",
			st.pid);
	pr_info("xgro: %s: cleaning up after pid %d", ifname, st.pid);
	xgro_state_cleanup(&st);
	return 0;
}
