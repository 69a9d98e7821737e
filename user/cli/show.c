// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* xgro status, stats, flows and set: readers (and one writer) of the pins. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "json.h"
#include "log.h"

/* ---- status ---- */

/* Flows in the steer map now, by state, and the released ones by reason:
 * a walk of the map (syscalls per entry), for the readers only. */
struct steer_census {
	bool have;
	uint64_t state[3];		   /* enum xgro_steer_state */
	uint64_t reason[XGRO_RELEASE_MAX]; /* of the released ones */
};

static const char *const state_names[3] = { "steered", "released", "draining" };
static const char *const reason_names[XGRO_RELEASE_MAX] = {
	"none", "no_merge", "checksum", "pressure", "lagging",
};

static void steer_census(const char *pin_dir, struct steer_census *c)
{
	char path[PATH_MAX + 16];
	struct xgro_flow_key k, next;
	struct xgro_steer v;
	bool first = true;
	int fd;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/steer", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		if (bpf_map_lookup_elem(fd, &next, &v) || v.state > 2)
			continue;
		c->state[v.state]++;
		if (v.state == XGRO_STEER_RELEASED &&
		    v.reason < XGRO_RELEASE_MAX)
			c->reason[v.reason]++;
	}
	close(fd);
	c->have = true;
}

/* The steering decisions: admissions, refusals, releases by reason. */
static void steering_json(struct json *j, const struct xgro_loss *l,
			  const struct steer_census *c)
{
	const uint64_t *cnt = l->cnt;

	json_obj_open(j, "steering");
	json_u64(j, "admitted", cnt[XGRO_CNT_ADMITTED]);
	json_u64(j, "readmitted", cnt[XGRO_CNT_READMITTED]);
	json_u64(j, "admissions_refused",
		 cnt[XGRO_CNT_PASS_PRESSURE] + cnt[XGRO_CNT_PASS_LAGGING]);
	json_u64(j, "refused_pressure", cnt[XGRO_CNT_PASS_PRESSURE]);
	json_u64(j, "refused_lagging", cnt[XGRO_CNT_PASS_LAGGING]);
	json_u64(j, "released", l->sum.flows_released);
	json_u64(j, "released_no_merge", l->sum.released_no_merge);
	json_u64(j, "released_csum", l->sum.released_csum);
	json_u64(j, "release_errors", l->sum.release_errors);
	json_u64(j, "drained", cnt[XGRO_CNT_DRAINED]);
	json_u64(j, "steered_draining", cnt[XGRO_CNT_STEERED_DRAINING]);
	json_u64(j, "passed_released", cnt[XGRO_CNT_PASS_RELEASED]);
	if (c->have) {
		json_obj_open(j, "flows_now");
		for (int i = 0; i < 3; i++)
			json_u64(j, state_names[i], c->state[i]);
		json_obj_open(j, "released_by_reason");
		for (int i = 1; i < XGRO_RELEASE_MAX; i++)
			json_u64(j, reason_names[i], c->reason[i]);
		json_obj_close(j);
		json_obj_close(j);
	}
	json_obj_close(j);
}

static void steering_text(const char *indent, const struct xgro_loss *l,
			  const struct steer_census *c)
{
	const uint64_t *cnt = l->cnt;

	printf("%sadmitted %llu (re-admitted %llu), refused %llu (ring filling "
	       "%llu, worker lagging %llu)\n",
	       indent, (unsigned long long)cnt[XGRO_CNT_ADMITTED],
	       (unsigned long long)cnt[XGRO_CNT_READMITTED],
	       (unsigned long long)(cnt[XGRO_CNT_PASS_PRESSURE] +
				    cnt[XGRO_CNT_PASS_LAGGING]),
	       (unsigned long long)cnt[XGRO_CNT_PASS_PRESSURE],
	       (unsigned long long)cnt[XGRO_CNT_PASS_LAGGING]);
	printf("%sreleased %llu (no-merge %llu, checksum %llu; refused by the "
	       "map %llu), drained %llu\n",
	       indent, (unsigned long long)l->sum.flows_released,
	       (unsigned long long)l->sum.released_no_merge,
	       (unsigned long long)l->sum.released_csum,
	       (unsigned long long)l->sum.release_errors,
	       (unsigned long long)cnt[XGRO_CNT_DRAINED]);
	if (c->have)
		printf("%sflows now: steered %llu, draining %llu, released "
		       "%llu "
		       "(no-merge %llu, checksum %llu, pressure %llu, lagging "
		       "%llu)\n",
		       indent, (unsigned long long)c->state[XGRO_STEER_ON],
		       (unsigned long long)c->state[XGRO_STEER_DRAINING],
		       (unsigned long long)c->state[XGRO_STEER_RELEASED],
		       (unsigned long long)c->reason[XGRO_RELEASE_NO_MERGE],
		       (unsigned long long)c->reason[XGRO_RELEASE_CSUM],
		       (unsigned long long)c->reason[XGRO_RELEASE_PRESSURE],
		       (unsigned long long)c->reason[XGRO_RELEASE_LAGGING]);
}

static void config_print(const struct xgro_config *c, struct json *j)
{
	char buf[64];

	for (const struct xgro_setting *s = xgro_settings; s->name; s++) {
		const char *v;

		if (!s->live)
			continue;
		v = xgro_config_get(c, s->name, buf, sizeof(buf));
		if (j)
			json_str(j, s->name, v);
		else
			printf("    %-16s %s\n", s->name, v);
	}
}

static int read_config(const char *pin_dir, struct xgro_config *c)
{
	char path[PATH_MAX + 16];
	uint32_t zero = 0;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/config", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(fd, &zero, c))
		err = -errno;
	close(fd);
	return err;
}

/* The books of a live instance, for status to say whether they balance.
 * 0 or -errno. */
static int status_loss(const struct xgro_state *s, struct xgro_loss *l)
{
	char path[PATH_MAX + 16];
	int cnt, ws, err;

	snprintf(path, sizeof(path), "%s/counters", s->pin_dir);
	cnt = bpf_obj_get(path);
	if (cnt < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/worker_stats", s->pin_dir);
	ws = bpf_obj_get(path);
	if (ws < 0) {
		err = -errno;
		close(cnt);
		return err;
	}
	err = xgro_loss_read(cnt, ws, s->queues, NULL, l);
	close(ws);
	close(cnt);
	return err;
}

static const char *const halt_names[XGRO_HALT_MAX] = {
	[XGRO_HALT_NONE] = "",
	[XGRO_HALT_SINK_DOWN] = "sink_down",
	[XGRO_HALT_SINK_ERRORS] = "sink_errors",
	[XGRO_HALT_RP_FILTER] = "rp_filter",
};
static const char *const halt_text[XGRO_HALT_MAX] = {
	[XGRO_HALT_NONE] = "",
	[XGRO_HALT_SINK_DOWN] = "the sink is down",
	[XGRO_HALT_SINK_ERRORS] = "writes to the sink fail",
	[XGRO_HALT_RP_FILTER] =
		"reverse-path filtering drops reinjected packets",
};

/* Why the instance stopped steering: the first queue's beacon says (the
 * data path halts them all together). */
static int read_halt(const struct xgro_state *s)
{
	char path[PATH_MAX + 16];
	struct xgro_beacon b;
	uint32_t zero = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/heartbeat", s->pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return XGRO_HALT_NONE;
	if (bpf_map_lookup_elem(fd, &zero, &b) || b.halt >= XGRO_HALT_MAX)
		b.halt = XGRO_HALT_NONE;
	close(fd);
	return (int)b.halt;
}

struct status_ctx {
	const char *ifname;
	uint64_t netns; /* 0: every namespace */
	bool json;
	int shown, elsewhere;
	struct json j;
	struct xgro_loss loss;
};

static int status_one(const struct xgro_state *s, void *u)
{
	struct status_ctx *c = u;
	bool alive = xgro_state_alive(s);
	struct xgro_config cfg;
	struct steer_census census;
	bool have_cfg, have_loss;
	char ns[PATH_MAX];
	int halt;

	if (c->ifname && strcmp(c->ifname, s->ifname))
		return 0;
	if (c->netns && s->netns != c->netns) {
		c->elsewhere++;
		return 0;
	}
	xgro_netns_name(s->netns, ns, sizeof(ns));
	halt = alive ? read_halt(s) : XGRO_HALT_NONE;
	have_cfg = alive && !read_config(s->pin_dir, &cfg);
	have_loss = alive && !status_loss(s, &c->loss);
	memset(&census, 0, sizeof(census));
	if (have_loss)
		steer_census(s->pin_dir, &census);
	c->shown++;
	if (c->json) {
		json_obj_open(&c->j, NULL);
		json_str(&c->j, "ifname", s->ifname);
		json_u64(&c->j, "pid", (uint64_t)s->pid);
		json_bool(&c->j, "running", alive);
		json_bool(&c->j, "ready", alive && s->ready);
		json_str(&c->j, "mode", s->mode);
		json_u64(&c->j, "prog_id", s->prog_id);
		json_u64(&c->j, "link_id", s->link_id);
		json_u64(&c->j, "queues", s->queues);
		json_u64(&c->j, "workers", s->workers);
		json_str(&c->j, "xsk_mode", s->xsk_mode);
		json_str(&c->j, "reinject", s->reinject);
		json_str(&c->j, "gso", s->gso);
		json_str(&c->j, "jumbo", s->jumbo[0] ? s->jumbo : "unknown");
		json_str(&c->j, "pin_dir", s->pin_dir);
		json_str(&c->j, "netns", ns);
		json_u64(&c->j, "netns_inode", s->netns);
		json_str(&c->j, "steering_halted", halt_names[halt]);
		if (have_loss) {
			json_u64(&c->j, "lost", c->loss.lost);
			json_bool(&c->j, "reconciled", c->loss.reconciled);
			json_i64(&c->j, "difference", c->loss.difference);
			steering_json(&c->j, &c->loss, &census);
		}
		if (have_cfg) {
			json_obj_open(&c->j, "config");
			config_print(&cfg, &c->j);
			json_obj_close(&c->j);
			xgro_sources_print(s, &cfg, &c->j);
		}
		json_obj_close(&c->j);
		return 0;
	}
	printf("%s: %s (pid %d)\n", s->ifname,
	       !alive ? "DEAD, run 'xgro detach'"
	       : halt ? "attached, STEERING HALTED"
		      : "attached",
	       s->pid);
	if (halt)
		printf("  halted    %s: every frame goes up %s\n",
		       halt_text[halt], s->ifname);
	printf("  netns     %s\n", ns);
	printf("  xdp       %s mode, program id %u, link id %u\n", s->mode,
	       s->prog_id, s->link_id);
	printf("  queues    %u, workers %u, AF_XDP %s\n", s->queues, s->workers,
	       s->xsk_mode);
	printf("  reinject  %s (GSO writes: %s)\n", s->reinject, s->gso);
	printf("  jumbo     %s\n", s->jumbo[0] ? s->jumbo : "unknown");
	printf("  pins      %s\n", s->pin_dir);
	if (have_loss && c->loss.reconciled)
		printf("  frames    %llu lost, books balance\n",
		       (unsigned long long)c->loss.lost);
	else if (have_loss)
		printf("  frames    %llu lost; NOT RECONCILED: redirected "
		       "%llu, "
		       "received %llu + dropped %llu + pending %llu "
		       "(difference %lld beyond the allowance of %llu%s)\n",
		       (unsigned long long)c->loss.lost,
		       (unsigned long long)c->loss.redirected,
		       (unsigned long long)c->loss.received,
		       (unsigned long long)c->loss.dropped,
		       (unsigned long long)c->loss.pending,
		       (long long)c->loss.difference,
		       (unsigned long long)c->loss.allowance,
		       c->loss.fresh ? ""
				     : "; a worker is not sampling its socket");
	if (have_loss) {
		printf("  steering\n");
		steering_text("    ", &c->loss, &census);
	}
	if (have_cfg) {
		printf("  config           value            source\n");
		xgro_sources_print(s, &cfg, NULL);
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct xgro_cmd_opts o;
	struct status_ctx c = { 0 };

	static const struct xgro_cmd_spec spec = {
		"status", "[IFACE]", XGRO_OPT_JSON | XGRO_OPT_IF_OPTIONAL, NULL
	};

	if (xgro_cmd_parse(argc, argv, &spec, &o))
		return EXIT_USAGE;
	c.ifname = o.ifname;
	c.json = o.json;
	if (xgro_netns_resolve(o.netns, &c.netns)) {
		pr_err("network namespace '%s': not found", o.netns);
		return EXIT_RUNTIME;
	}
	if (c.json) {
		json_begin(&c.j, stdout);
		json_arr_open(&c.j, "instances");
	}
	xgro_state_each(status_one, &c);
	if (c.json) {
		json_arr_close(&c.j);
		json_end(&c.j);
	} else if (!c.shown) {
		printf("no xgro instance%s%s%s\n", o.ifname ? " on " : "",
		       o.ifname ? o.ifname : "",
		       c.netns ? " in this network namespace" : "");
	}
	if (!c.json && c.elsewhere)
		printf("(%d more in other network namespaces: --netns all)\n",
		       c.elsewhere);
	if (o.ifname && !c.shown) {
		if (c.json)
			return EXIT_RUNTIME;
		pr_err("interface '%s': no xgro instance", o.ifname);
		return EXIT_RUNTIME;
	}
	return 0;
}

/* ---- stats ---- */

static const char *const cnt_names[XGRO_CNT_MAX] = {
#define CNT_NAME(up, low, doc) [XGRO_CNT_##up] = #low,
	XGRO_COUNTERS(CNT_NAME)
#undef CNT_NAME
};

/* Names of the worker figures, the engine's first, and of the socket's:
 * the lists in include/xgro.h. */
#define STAT_NAME(name, doc) #name,
static const char *const eng_names[] = { XGRO_ENGINE_STATS(STAT_NAME)
						 XGRO_WORKER_STATS(STAT_NAME) };
static const char *const xsk_names[] = { XGRO_XSK_STATS(STAT_NAME) };
#undef STAT_NAME
/* the engine section: every worker figure before the socket's */
#define NENG (offsetof(struct xgro_worker_stats, xsk) / 8)
_Static_assert(sizeof(eng_names) / sizeof(eng_names[0]) == NENG,
	       "a name for every worker figure");
_Static_assert(sizeof(xsk_names) / sizeof(xsk_names[0]) ==
		       sizeof(struct xgro_xsk_stats) / 8,
	       "a name for every socket figure");

static uint64_t age_ms(uint64_t then)
{
	struct timespec ts;
	uint64_t now;

	if (!then)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	return now > then ? (now - then) / 1000000u : 0;
}

/* Frames of the umem neither in our reserve, nor in a ring, nor taken by
 * the worker: the kernel's (copied but not yet in the RX ring, or kept
 * after an RX-ring-full drop). Levels read at slightly different times,
 * so clamped at 0. */
static uint64_t kernel_held(const struct xgro_worker_stats *w)
{
	const struct xgro_xsk_stats *x = &w->xsk;
	uint64_t seen = x->umem_free + x->fill_stocked + x->rx_pending +
			w->frames_in_flight;

	return x->umem_frames > seen ? x->umem_frames - seen : 0;
}

/* the socket figures of one queue, or of all (times: the oldest) */
static void xsk_json(struct json *j, const struct xgro_worker_stats *w)
{
	const __u64 *x = &w->xsk.sampled_ns;

	/* times are the stats process's business, ages are the reader's */
	for (size_t i = 2; i < sizeof(w->xsk) / 8; i++)
		json_u64(j, xsk_names[i], x[i]);
	json_u64(j, "dropped", xgro_xsk_dropped(&w->xsk));
	json_u64(j, "frames_in_flight", w->frames_in_flight);
	json_u64(j, "kernel_held", kernel_held(w));
	json_u64(j, "sample_age_ms", age_ms(w->xsk.sampled_ns));
}

static void print_stats(const struct xgro_cmd_opts *o,
			const struct xgro_loss *l,
			const struct steer_census *census)
{
	const uint64_t *cnt = l->cnt;
	const struct xgro_worker_stats *w = &l->sum;
	const __u64 *e = &w->engine.packets_in;
	uint64_t passed = 0;
	double segs = w->engine.superpackets_out
			      ? (double)w->engine.segments_merged /
					(double)w->engine.superpackets_out
			      : 0;

	for (int i = XGRO_CNT_PASS_FIRST; i < XGRO_CNT_MAX; i++)
		passed += cnt[i];

	if (o->prometheus) {
		xgro_prom_print(o->ifname, l);
		return;
	}
	if (o->json) {
		struct json j;

		json_begin(&j, stdout);
		json_str(&j, "ifname", o->ifname);
		json_obj_open(&j, "xdp");
		json_u64(&j, "rx", cnt[XGRO_CNT_RX]);
		json_u64(&j, "steered", cnt[XGRO_CNT_STEERED]);
		json_u64(&j, "passed", passed);
		for (int i = XGRO_CNT_PASS_FIRST; i < XGRO_CNT_MAX; i++)
			json_u64(&j, cnt_names[i], cnt[i]);
		json_obj_close(&j);
		steering_json(&j, l, census);
		json_obj_open(&j, "engine");
		for (size_t i = 0; i < NENG; i++)
			json_u64(&j, eng_names[i], e[i]);
		json_double(&j, "segments_per_superpacket", segs);
		json_obj_close(&j);
		json_obj_open(&j, "xsk");
		xsk_json(&j, w);
		json_obj_close(&j);
		json_arr_open(&j, "queues");
		for (uint32_t q = 0; q < l->nq; q++) {
			json_obj_open(&j, NULL);
			json_u64(&j, "queue", q);
			json_u64(&j, "rx_frames", l->q[q].rx_frames);
			xsk_json(&j, &l->q[q]);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		if (l->have_iface) {
			json_obj_open(&j, "iface");
			json_u64(&j, "rx_dropped", l->if_rx_dropped);
			json_u64(&j, "rx_missed_errors",
				 l->if_rx_missed_errors);
			json_u64(&j, "rx_fifo_errors", l->if_rx_fifo_errors);
			json_u64(&j, "rx_over_errors", l->if_rx_over_errors);
			json_obj_close(&j);
		}
		json_u64(&j, "lost", l->lost);
		json_obj_open(&j, "reconcile");
		json_u64(&j, "redirected", l->redirected);
		json_u64(&j, "received", l->received);
		json_u64(&j, "dropped", l->dropped);
		json_u64(&j, "pending", l->pending);
		json_i64(&j, "difference", l->difference);
		json_u64(&j, "allowance", l->allowance);
		json_bool(&j, "reconciled", l->reconciled);
		json_bool(&j, "fresh", l->fresh);
		json_obj_close(&j);
		json_end(&j);
		return;
	}
	printf("%s xdp: rx %llu steered %llu passed %llu", o->ifname,
	       (unsigned long long)cnt[XGRO_CNT_RX],
	       (unsigned long long)cnt[XGRO_CNT_STEERED],
	       (unsigned long long)passed);
	for (int i = XGRO_CNT_PASS_FIRST; i < XGRO_CNT_MAX; i++)
		if (cnt[i])
			printf(" %s %llu", cnt_names[i],
			       (unsigned long long)cnt[i]);
	printf("\n%s steering:\n", o->ifname);
	steering_text("  ", l, census);
	printf("%s engine: segments/superpacket %.2f\n", o->ifname, segs);
	for (size_t i = 0; i < NENG; i++)
		if (e[i] || i < 4)
			printf("  %-20s %llu\n", eng_names[i],
			       (unsigned long long)e[i]);
	printf("%s frames:\n", o->ifname);
	printf("  %-20s %llu\n", "lost", (unsigned long long)l->lost);
	printf("  %-20s %s (redirected %llu = received %llu + dropped %llu + "
	       "pending %llu; difference %lld, allowance %llu%s)\n",
	       "reconciled", l->reconciled ? "true" : "false",
	       (unsigned long long)l->redirected,
	       (unsigned long long)l->received, (unsigned long long)l->dropped,
	       (unsigned long long)l->pending, (long long)l->difference,
	       (unsigned long long)l->allowance,
	       l->fresh ? "" : "; a worker has not sampled its socket since");
	for (uint32_t q = 0; q < l->nq; q++) {
		const struct xgro_worker_stats *s = &l->q[q];
		const struct xgro_xsk_stats *x = &s->xsk;

		printf("  queue %-3u rx ring %llu/%llu, fill ring %llu/%llu, "
		       "held %llu, in flight %llu, free %llu, kernel %llu\n",
		       q, (unsigned long long)x->rx_pending,
		       (unsigned long long)x->rx_size,
		       (unsigned long long)x->fill_stocked,
		       (unsigned long long)x->fill_size,
		       (unsigned long long)x->held_frames,
		       (unsigned long long)s->frames_in_flight,
		       (unsigned long long)x->umem_free,
		       (unsigned long long)kernel_held(s));
		printf("            socket rx_dropped %llu rx_ring_full %llu "
		       "rx_fill_ring_empty_descs %llu rx_invalid_descs %llu "
		       "(%llu ms ago)\n",
		       (unsigned long long)x->rx_dropped,
		       (unsigned long long)x->rx_ring_full,
		       (unsigned long long)x->rx_fill_ring_empty_descs,
		       (unsigned long long)x->rx_invalid_descs,
		       (unsigned long long)age_ms(x->sampled_ns));
	}
	if (l->have_iface)
		printf("  %-20s rx_dropped %llu rx_missed_errors %llu "
		       "rx_fifo_errors %llu rx_over_errors %llu\n",
		       "interface", (unsigned long long)l->if_rx_dropped,
		       (unsigned long long)l->if_rx_missed_errors,
		       (unsigned long long)l->if_rx_fifo_errors,
		       (unsigned long long)l->if_rx_over_errors);
}

int cmd_stats(int argc, char **argv)
{
	struct xgro_cmd_opts o;
	struct xgro_maps m;
	struct xgro_state st;
	struct xgro_loss *l;
	struct steer_census census;
	int err;

	static const struct xgro_cmd_spec spec = {
		"stats", "IFACE",
		XGRO_OPT_JSON | XGRO_OPT_WATCH | XGRO_OPT_PROMETHEUS, NULL
	};

	if (xgro_cmd_parse(argc, argv, &spec, &o))
		return EXIT_USAGE;
	if (xgro_maps_open(o.ifname, o.pin_dir, o.netns, &m, &st))
		return EXIT_RUNTIME;
	l = malloc(sizeof(*l));
	if (!l) {
		xgro_maps_close(&m);
		return EXIT_RUNTIME;
	}
	for (;;) {
		err = xgro_loss_read(m.counters, m.worker_stats, st.queues,
				     o.ifname, l);
		if (err) {
			pr_err("interface '%s': reading counters: %s", o.ifname,
			       strerror(-err));
			free(l);
			xgro_maps_close(&m);
			return EXIT_RUNTIME;
		}
		steer_census(st.pin_dir, &census);
		print_stats(&o, l, &census);
		fflush(stdout); /* --watch into a pipe shows each sample */
		if (!o.watch || !xgro_state_alive(&st))
			break;
		sleep(o.watch);
	}
	free(l);
	xgro_maps_close(&m);
	return 0;
}

/* ---- flows ---- */

struct flow_row {
	struct xgro_flow_key key;
	struct xgro_flow_stats st;
};

static int by_bytes(const void *a, const void *b)
{
	const struct flow_row *x = a, *y = b;

	return x->st.bytes < y->st.bytes   ? 1
	       : x->st.bytes > y->st.bytes ? -1
					   : 0;
}

static void addr_str(const struct xgro_flow_key *k, const uint32_t *a,
		     uint16_t port, char *buf, size_t n)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(k->family == 4 ? AF_INET : AF_INET6, a, ip, sizeof(ip));
	snprintf(buf, n, k->family == 4 ? "%s:%u" : "[%s]:%u", ip, ntohs(port));
}

/* One flow's per-CPU entries summed into r. */
static void flow_sum(const struct xgro_flow_stats *per, int ncpu,
		     struct flow_row *r)
{
	for (int c = 0; c < ncpu; c++) {
		const struct xgro_flow_stats *p = &per[c];

		if (!p->packets)
			continue;
		r->st.packets += p->packets;
		r->st.bytes += p->bytes;
		r->st.data_packets += p->data_packets;
		r->st.steered += p->steered;
		r->st.passed += p->passed;
		r->st.tcp_flags |= p->tcp_flags;
		/* a CPU that has seen the flow has its first time */
		if (p->first_ns &&
		    (!r->st.first_ns || p->first_ns < r->st.first_ns))
			r->st.first_ns = p->first_ns;
		if (p->last_ns > r->st.last_ns)
			r->st.last_ns = p->last_ns;
	}
}

/* Every flow of the map, summed over CPUs, into *rows (*n of them). */
static int flows_read(int fd, struct flow_row **rows, size_t *n)
{
	int ncpu = libbpf_num_possible_cpus();
	struct xgro_flow_stats *per =
		calloc((size_t)(ncpu > 0 ? ncpu : 1), sizeof(*per));
	struct xgro_flow_key key, next;
	size_t cap = 0;
	bool first = true;

	*rows = NULL;
	*n = 0;
	if (!per)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		struct flow_row r = { .key = next };

		first = false;
		key = next;
		if (bpf_map_lookup_elem(fd, &next, per))
			continue; /* gone since: an LRU map */
		flow_sum(per, ncpu, &r);
		if (*n == cap) {
			struct flow_row *more;

			cap = cap ? 2 * cap : 256;
			more = realloc(*rows, cap * sizeof(*more));
			if (!more) {
				free(per);
				return -ENOMEM;
			}
			*rows = more;
		}
		(*rows)[(*n)++] = r;
	}
	free(per);
	return 0;
}

static void flows_print(const struct xgro_cmd_opts *o, struct flow_row *rows,
			size_t n)
{
	if (o->json) {
		struct json j;

		json_begin(&j, stdout);
		json_str(&j, "ifname", o->ifname);
		json_arr_open(&j, "flows");
		for (size_t i = 0; i < n; i++) {
			char s[64], d[64];
			struct flow_row *r = &rows[i];

			addr_str(&r->key, r->key.saddr, r->key.sport, s,
				 sizeof(s));
			addr_str(&r->key, r->key.daddr, r->key.dport, d,
				 sizeof(d));
			json_obj_open(&j, NULL);
			json_str(&j, "proto",
				 r->key.proto == 6 ? "tcp" : "udp");
			json_str(&j, "src", s);
			json_str(&j, "dst", d);
			json_u64(&j, "vlans", r->key.nvlan);
			json_u64(&j, "packets", r->st.packets);
			json_u64(&j, "bytes", r->st.bytes);
			json_u64(&j, "data_packets", r->st.data_packets);
			json_u64(&j, "steered", r->st.steered);
			json_u64(&j, "passed", r->st.passed);
			json_u64(&j, "tcp_flags", r->st.tcp_flags);
			json_u64(&j, "first_ns", r->st.first_ns);
			json_u64(&j, "last_ns", r->st.last_ns);
			json_obj_close(&j);
		}
		json_arr_close(&j);
		json_end(&j);
	} else {
		printf("%-5s %-44s %-44s %10s %12s %10s %10s\n", "proto",
		       "source", "destination", "packets", "bytes", "steered",
		       "passed");
		for (size_t i = 0; i < n; i++) {
			char s[64], d[64];
			struct flow_row *r = &rows[i];

			addr_str(&r->key, r->key.saddr, r->key.sport, s,
				 sizeof(s));
			addr_str(&r->key, r->key.daddr, r->key.dport, d,
				 sizeof(d));
			printf("%-5s %-44s %-44s %10llu %12llu %10llu %10llu\n",
			       r->key.proto == 6 ? "tcp" : "udp", s, d,
			       (unsigned long long)r->st.packets,
			       (unsigned long long)r->st.bytes,
			       (unsigned long long)r->st.steered,
			       (unsigned long long)r->st.passed);
		}
	}
}

int cmd_flows(int argc, char **argv)
{
	static const struct xgro_cmd_spec spec = { "flows", "IFACE",
						   XGRO_OPT_JSON | XGRO_OPT_TOP,
						   NULL };
	struct xgro_cmd_opts o;
	struct xgro_maps m;
	struct xgro_state st;
	struct flow_row *rows;
	size_t n;
	int err;

	if (xgro_cmd_parse(argc, argv, &spec, &o))
		return EXIT_USAGE;
	if (xgro_maps_open(o.ifname, o.pin_dir, o.netns, &m, &st))
		return EXIT_RUNTIME;
	err = flows_read(m.flows, &rows, &n);
	xgro_maps_close(&m);
	if (err) {
		pr_err("interface '%s': reading the flow table: %s", o.ifname,
		       strerror(-err));
		free(rows);
		return EXIT_RUNTIME;
	}
	qsort(rows, n, sizeof(*rows), by_bytes);
	flows_print(&o, rows, n < o.top ? n : o.top);
	free(rows);
	return 0;
}

/* ---- set ---- */

int cmd_set(int argc, char **argv)
{
	static const struct xgro_cmd_spec spec = {
		"set", "IFACE KEY=VALUE...", XGRO_OPT_WORDS,
		"  KEY=VALUE  a setting 'xgro attach --help' marks with *\n"
	};
	struct xgro_cmd_opts o;
	const char *ifname;
	struct xgro_maps m;
	struct xgro_state st;
	struct xgro_config c;
	uint32_t zero = 0;
	int i;

	if (argc > 1 &&
	    (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		char help[256];

		printf("usage: xgro set IFACE [--pin-dir DIR] [--netns "
		       "NAME|PATH] "
		       "KEY=VALUE...\nkeys:\n");
		for (const struct xgro_setting *s = xgro_settings; s->name; s++)
			if (s->live)
				printf("  %-16s %s\n", s->name,
				       xgro_setting_help(s, help,
							 sizeof(help)));
		return 0;
	}
	if (xgro_cmd_parse(argc, argv, &spec, &o))
		return EXIT_USAGE;
	ifname = o.ifname;
	if (xgro_maps_open(ifname, o.pin_dir, o.netns, &m, &st))
		return EXIT_RUNTIME;
	/* attach writes its state once more when it is up: a set before
	 * that would lose its record there (and attach may still write the
	 * config itself) */
	if (!st.ready) {
		pr_err("interface '%s': xgro (pid %d) is still attaching; set "
		       "once 'xgro status' says it is up",
		       ifname, st.pid);
		xgro_maps_close(&m);
		return EXIT_RUNTIME;
	}
	if (bpf_map_lookup_elem(m.config, &zero, &c)) {
		pr_err("interface '%s': reading config: %s", ifname,
		       strerror(errno));
		xgro_maps_close(&m);
		return EXIT_RUNTIME;
	}
	for (i = 0; i < o.nwords; i++) {
		char key[64], *eq = strchr(o.words[i], '=');
		int err;

		if (!eq || eq == o.words[i] ||
		    (size_t)(eq - o.words[i]) >= sizeof(key)) {
			fprintf(stderr, "xgro: set: '%s': want KEY=VALUE\n",
				o.words[i]);
			xgro_maps_close(&m);
			return EXIT_USAGE;
		}
		memcpy(key, o.words[i], (size_t)(eq - o.words[i]));
		key[eq - o.words[i]] = 0;
		err = xgro_config_set(&c, key, eq + 1);
		if (err) {
			const struct xgro_setting *def = xgro_setting_find(key);
			char want[96];

			if (!def)
				fprintf(stderr, "xgro: set: unknown key '%s'\n",
					key);
			else if (!def->live)
				fprintf(stderr,
					"xgro: set: %s: set at attach only\n",
					key);
			else
				fprintf(stderr,
					"xgro: set: %s: '%s': want %s\n", key,
					eq + 1,
					xgro_setting_want(def, want,
							  sizeof(want)));
			xgro_maps_close(&m);
			return EXIT_USAGE;
		}
	}
	if (xgro_settings_check(&c, !strncmp(st.reinject, "veth:", 5))) {
		xgro_maps_close(&m);
		return EXIT_USAGE;
	}
	if (bpf_map_update_elem(m.config, &zero, &c, BPF_EXIST)) {
		pr_err("interface '%s': writing config: %s", ifname,
		       strerror(errno));
		xgro_maps_close(&m);
		return EXIT_RUNTIME;
	}
	xgro_sources_note_set(&st, o.words, o.nwords); /* warns itself */
	xgro_maps_close(&m);
	return 0;
}
