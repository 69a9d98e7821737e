// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* xgro: the command line. Subcommands in one table, prefix-matched. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "log.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args, *help;
} cmds[] = {
	{ "attach", cmd_attach, "IFACE [options]",
	  "attach and run until SIGINT/SIGTERM" },
	{ "detach", cmd_detach, "IFACE [--pin-dir DIR]",
	  "stop an instance, or clean up after a dead one" },
	{ "status", cmd_status, "[IFACE] [--json]",
	  "instances: mode, program, queues, sink, config" },
	{ "stats", cmd_stats, "IFACE [--json|--prometheus] [--watch SECONDS]",
	  "XDP and engine counters" },
	{ "flows", cmd_flows, "IFACE [--json] [--top N]",
	  "the flow table, busiest first" },
	{ "set", cmd_set, "IFACE KEY=VALUE...",
	  "change settings of a running instance" },
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: xgro COMMAND [ARGS]   (xgro COMMAND --help for its "
		   "options)\n"
		   "       xgro --version\n\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-7s %-46s %s\n", cmds[i].name, cmds[i].args,
			cmds[i].help);
	fprintf(f, "\nsettable keys (attach --KEY VALUE, set KEY=VALUE):");
	for (const struct xgro_setting *s = xgro_settings; s->name; s++)
		if (s->live)
			fprintf(f, " %s", s->name);
	fprintf(f, "\n");
}

int main(int argc, char **argv)
{
	size_t len, found = NCMDS;

	xgro_log_setup_libbpf();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("xgro %s\n", XGRO_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	len = strlen(argv[1]);
	for (size_t i = 0; i < NCMDS; i++) {
		if (strncmp(cmds[i].name, argv[1], len))
			continue;
		if (found != NCMDS) {
			fprintf(stderr, "xgro: '%s' is ambiguous\n", argv[1]);
			return EXIT_USAGE;
		}
		found = i;
	}
	if (found == NCMDS) {
		fprintf(stderr, "xgro: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return EXIT_USAGE;
	}
	return cmds[found].fn(argc - 1, argv + 1);
}
