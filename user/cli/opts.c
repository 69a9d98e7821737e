// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The options every command but attach takes, parsed once: which
 * instance (IFACE, --pin-dir, --netns), how to print (--json, --watch,
 * --top), and the words after the interface (set's KEY=VALUE).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f, const struct xgro_cmd_spec *c)
{
	fprintf(f,
		"usage: xgro %s %s%s%s%s%s [--pin-dir DIR] [--netns "
		"NAME|PATH%s]\n",
		c->name, c->args, c->flags & XGRO_OPT_JSON ? " [--json]" : "",
		c->flags & XGRO_OPT_PROMETHEUS ? " [--prometheus]" : "",
		c->flags & XGRO_OPT_WATCH ? " [--watch SECONDS]" : "",
		c->flags & XGRO_OPT_TOP ? " [--top N]" : "",
		c->flags & XGRO_OPT_IF_OPTIONAL ? "|all" : "");
	fprintf(f,
		"  --pin-dir  the instance whose maps are pinned there\n"
		"  --netns    an instance of that network namespace (default: "
		"this one's)\n");
	if (c->flags & XGRO_OPT_JSON)
		fprintf(f, "  --json     JSON instead of text\n");
	if (c->flags & XGRO_OPT_PROMETHEUS)
		fprintf(f, "  --prometheus  the Prometheus text exposition "
			   "format, "
			   "for node_exporter's textfile collector\n");
	if (c->flags & XGRO_OPT_WATCH)
		fprintf(f,
			"  --watch    again every SECONDS, until the instance "
			"ends\n");
	if (c->flags & XGRO_OPT_TOP)
		fprintf(f, "  --top      the N busiest flows (20)\n");
	if (c->more)
		fputs(c->more, f);
}

int xgro_cmd_parse(int argc, char **argv, const struct xgro_cmd_spec *c,
		   struct xgro_cmd_opts *o)
{
	static const struct option lo[] = {
		{ "json", 0, NULL, 'j' },	{ "watch", 1, NULL, 'w' },
		{ "top", 1, NULL, 't' },	{ "pin-dir", 1, NULL, 'p' },
		{ "netns", 1, NULL, 'n' },	{ "help", 0, NULL, 'h' },
		{ "prometheus", 0, NULL, 'P' }, { 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->top = 20;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'j':
			if (!(c->flags & XGRO_OPT_JSON))
				goto bad;
			o->json = true;
			break;
		case 'w':
			if (!(c->flags & XGRO_OPT_WATCH) ||
			    xgro_parse_u32(optarg, 1, 86400, &o->watch)) {
				fprintf(stderr,
					"xgro: %s: --watch: want 1..86400 "
					"seconds\n",
					c->name);
				return -EINVAL;
			}
			break;
		case 't':
			if (!(c->flags & XGRO_OPT_TOP) ||
			    xgro_parse_u32(optarg, 1, 1000000, &o->top)) {
				fprintf(stderr,
					"xgro: %s: --top: want 1..1000000\n",
					c->name);
				return -EINVAL;
			}
			break;
		case 'P':
			if (!(c->flags & XGRO_OPT_PROMETHEUS))
				goto bad;
			o->prometheus = true;
			break;
		case 'p':
			o->pin_dir = optarg;
			break;
		case 'n':
			o->netns = optarg;
			break;
		case 'h':
			usage(stdout, c);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind < argc)
		o->ifname = argv[optind++];
	o->words = argv + optind;
	o->nwords = argc - optind;
	if (o->json && o->prometheus) {
		fprintf(stderr, "xgro: %s: --json or --prometheus, not both\n",
			c->name);
		goto bad;
	}
	if (!o->ifname && !(c->flags & XGRO_OPT_IF_OPTIONAL)) {
		fprintf(stderr, "xgro: %s: want an interface\n", c->name);
		goto bad;
	}
	if ((o->nwords && !(c->flags & XGRO_OPT_WORDS)) ||
	    (!o->nwords && (c->flags & XGRO_OPT_WORDS))) {
		fprintf(stderr, "xgro: %s: want %s\n", c->name, c->args);
		goto bad;
	}
	return 0;
bad:
	usage(stderr, c);
	return -EINVAL;
}
