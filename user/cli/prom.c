// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro stats IFACE --prometheus: the figures of `stats --json` in the
 * Prometheus text exposition format (version 0.0.4), for node_exporter's
 * textfile collector or any scraper that reads a file. Names and HELP
 * texts come from the lists in include/xgro.h. What only grows is a
 * counter (`_total`): the XDP program's counters (per interface, summed
 * over CPUs), the engine's and the workers' (per queue), the sockets'
 * XDP_STATISTICS drops (per queue, cumulative since the socket was
 * bound) and the interface's RX drops. What goes up and down is a gauge:
 * ring levels, frames held or in flight, and the books' result.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct prom {
	const char *ifname;
};

/* HELP text and label values: backslash and newline escaped, and in
 * label values the double quote too */
static void put_escaped(const char *s, bool label)
{
	for (; *s; s++) {
		if (*s == '\\' || (label && *s == '"'))
			printf("\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

static void family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s ", name);
	put_escaped(help, false);
	printf("\n# TYPE %s %s\n", name, type);
}

/* one sample; queue < 0: the interface as a whole */
static void sample(const struct prom *p, const char *name, int queue,
		   unsigned long long v)
{
	printf("%s{interface=\"", name);
	put_escaped(p->ifname, true);
	if (queue >= 0)
		printf("\",queue=\"%d", queue);
	printf("\"} %llu\n", v);
}

/* The worker_stats figures, from the lists in include/xgro.h. */
struct figure {
	const char *name, *doc;
	size_t off; /* in struct xgro_worker_stats */
};

#define ENG_FIG(f, doc)                                                        \
	{ #f, doc, offsetof(struct xgro_worker_stats, engine.f) },
#define WRK_FIG(f, doc) { #f, doc, offsetof(struct xgro_worker_stats, f) },
#define XSK_FIG(f, doc) { #f, doc, offsetof(struct xgro_worker_stats, xsk.f) },
static const struct figure eng_figs[] = { XGRO_ENGINE_STATS(ENG_FIG) };
static const struct figure wrk_figs[] = { XGRO_WORKER_STATS(WRK_FIG) };
static const struct figure xsk_figs[] = { XGRO_XSK_STATS(XSK_FIG) };
#undef ENG_FIG
#undef WRK_FIG
#undef XSK_FIG

/* What is a level now rather than a count since start; the socket's two
 * sample times are left out (a reader's business, not a metric). */
static const char *const levels[] = {
	"frames_in_flight", "rx_size",	    "fill_size",
	"rx_pending",	    "fill_stocked", "umem_frames",
	"umem_free",	    "held_frames",  NULL,
};

static bool is_level(const char *name)
{
	for (int i = 0; levels[i]; i++)
		if (!strcmp(levels[i], name))
			return true;
	return false;
}

static void figures(const struct prom *p, const struct xgro_loss *l,
		    const char *prefix, const struct figure *f, size_t n)
{
	char name[96];

	for (size_t i = 0; i < n; i++) {
		bool level = is_level(f[i].name);

		if (strstr(f[i].name, "_ns"))
			continue;
		snprintf(name, sizeof(name), "xgro_%s_%s%s", prefix, f[i].name,
			 level ? "" : "_total");
		family(name, level ? "gauge" : "counter", f[i].doc);
		for (uint32_t q = 0; q < l->nq; q++)
			sample(p, name, (int)q,
			       *(const uint64_t *)((const char *)&l->q[q] +
						   f[i].off));
	}
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void xdp_counters(const struct prom *p, const struct xgro_loss *l)
{
	char name[96];

#define XDP_CNT(up, low, doc)                                                  \
	snprintf(name, sizeof(name), "xgro_xdp_%s_total", #low);               \
	family(name, "counter", doc);                                          \
	sample(p, name, -1, l->cnt[XGRO_CNT_##up]);
	XGRO_COUNTERS(XDP_CNT)
#undef XDP_CNT
}

static void worker_figures(const struct prom *p, const struct xgro_loss *l)
{
	figures(p, l, "engine", eng_figs, N(eng_figs));
	figures(p, l, "worker", wrk_figs, N(wrk_figs));
	figures(p, l, "xsk", xsk_figs, N(xsk_figs));
	family("xgro_xsk_dropped_total", "counter",
	       "frames the socket dropped: rx_dropped + rx_ring_full");
	for (uint32_t q = 0; q < l->nq; q++)
		sample(p, "xgro_xsk_dropped_total", (int)q,
		       xgro_xsk_dropped(&l->q[q].xsk));
}

static void books(const struct prom *p, const struct xgro_loss *l)
{
	family("xgro_lost_frames", "gauge",
	       "socket drops, plus the books' difference when fresh and not "
	       "reconciled");
	sample(p, "xgro_lost_frames", -1, l->lost);
	family("xgro_reconciled", "gauge",
	       "1 if every redirected frame is received, dropped or pending "
	       "within the allowance");
	sample(p, "xgro_reconciled", -1, l->reconciled);
	/* a signed figure: printed as such */
	family("xgro_reconcile_difference_frames", "gauge",
	       "how far redirected lies outside received + dropped + pending");
	printf("xgro_reconcile_difference_frames{interface=\"");
	put_escaped(p->ifname, true);
	printf("\"} %lld\n", (long long)l->difference);
	if (!l->have_iface)
		return;
	/* the interface's own RX drop counters, since it was created */
	const struct {
		const char *name;
		uint64_t v;
	} ifc[] = {
		{ "rx_dropped", l->if_rx_dropped },
		{ "rx_missed_errors", l->if_rx_missed_errors },
		{ "rx_fifo_errors", l->if_rx_fifo_errors },
		{ "rx_over_errors", l->if_rx_over_errors },
	};
	char name[64], help[96];

	for (size_t i = 0; i < N(ifc); i++) {
		snprintf(name, sizeof(name), "xgro_iface_%s_total",
			 ifc[i].name);
		snprintf(help, sizeof(help),
			 "the interface's %s since it was "
			 "created",
			 ifc[i].name);
		family(name, "counter", help);
		sample(p, name, -1, ifc[i].v);
	}
}

void xgro_prom_print(const char *ifname, const struct xgro_loss *l)
{
	struct prom p = { .ifname = ifname };

	xdp_counters(&p, l);
	worker_figures(&p, l);
	books(&p, l);
}
