// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro detach IFACE: ask a running attach to stop (SIGTERM) and wait for
 * it; if it is gone, undo what its state file says it left behind. The
 * program itself needs no detaching: it was attached through a bpf_link
 * that died with its process, so no XDP program of anyone else's is ever
 * touched here.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

int cmd_detach(int argc, char **argv)
{
	static const struct option lo[] = { { "pin-dir", 1, NULL, 'p' },
					    { "help", 0, NULL, 'h' },
					    { 0 } };
	const char *pin_dir = NULL, *ifname;
	struct xgro_state st;
	char id[160];
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'p') {
			pin_dir = optarg;
		} else if (c == 'h') {
			printf("usage: xgro detach IFACE [--pin-dir DIR]\n");
			return 0;
		} else {
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: xgro detach IFACE [--pin-dir DIR]\n");
		return EXIT_USAGE;
	}
	ifname = argv[optind];
	if (geteuid() != 0) {
		pr_err("detach: needs root");
		return EXIT_RUNTIME;
	}
	xgro_state_id(id, sizeof(id), ifname, pin_dir);
	if (xgro_state_read(id, &st)) {
		pr_err("interface '%s': no xgro instance", ifname);
		return EXIT_RUNTIME;
	}
	if (xgro_pid_alive(st.pid)) {
		if (kill(st.pid, SIGTERM)) {
			pr_err("interface '%s': signalling pid %d: %s", ifname,
			       st.pid, strerror(errno));
			return EXIT_RUNTIME;
		}
		/* it flushes what it holds and removes its own state */
		for (int i = 0; i < 100 && xgro_pid_alive(st.pid); i++)
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		if (xgro_pid_alive(st.pid)) {
			pr_err("interface '%s': pid %d did not stop within 5 s",
			       ifname, st.pid);
			return EXIT_RUNTIME;
		}
		if (xgro_state_read(id, &st))
			return 0;
	}
	pr_info("xgro: %s: cleaning up after pid %d", ifname, st.pid);
	xgro_state_cleanup(&st);
	return 0;
}
