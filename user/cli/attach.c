// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro attach IFACE: load the classifier, pin its maps, attach it through
 * a bpf_link (so that it goes away with this process, whatever kills it),
 * start the workers, and stay in the foreground until SIGINT or SIGTERM.
 * Every step taken is undone, in reverse, on the way out and on failure.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cli.h"
#include "dataplane.h"
#include "fault.h"
#include "log.h"
#include "sysctl.h"
#include "xgro.skel.h"

static void usage(FILE *f)
{
	char help[256];

	fprintf(f, "usage: xgro attach IFACE [options]\n"
		   "Attach xgro to IFACE and run in the foreground until "
		   "SIGINT/SIGTERM. Options (settings marked * can be changed "
		   "later with 'xgro set'):\n\n");
	for (const struct xgro_setting *s = xgro_settings; s->name; s++) {
		const char *arg = xgro_setting_arg(s);
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", s->name,
			 arg ? " " : "", arg ? arg : "");
		fprintf(f, "  %-34s %s%s\n", left, s->live ? "* " : "",
			xgro_setting_help(s, help, sizeof(help)));
	}
	fprintf(f, "  %-34s %s\n  %-34s %s\n  %-34s %s\n", "--config FILE",
		"settings from FILE, a KEY = VALUE a line (KEY as above); "
		"options given here win",
		"--verbose, -v", "more messages (libbpf's too)", "--help, -h",
		"this text");
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt,
							     ...)
{
	va_list ap;

	fprintf(stderr, "xgro: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -EINVAL;
}

/* What a refused value of setting s gets told. */
static int bad_value(const struct xgro_setting *s, const char *val, int err)
{
	char why[192];

	return usage_error("--%s: %s", s->name,
			   xgro_setting_refusal(s, val, err, why, sizeof(why)));
}

/*
 * Settings come from the defaults, then the file --config names, then
 * the command line: two passes over it, the first for --config alone,
 * so that an option wins over the file wherever it stands.
 */
static int parse_opts(int argc, char **argv, struct xgro_attach_opts *o)
{
	struct option lo[XGRO_NSET_MAX + 4] = { 0 };
	int c, idx, n = 0, err;

	for (const struct xgro_setting *s = xgro_settings; s->name; s++, n++)
		lo[n] = (struct option){ s->name,
					 s->type == XGRO_SET_FLAG
						 ? no_argument
						 : required_argument,
					 NULL, 0 };
	lo[n++] = (struct option){ "config", required_argument, NULL, 'c' };
	lo[n++] = (struct option){ "verbose", no_argument, NULL, 'v' };
	lo[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	xgro_attach_defaults(o);
	opterr = 0; /* the second pass says what is wrong */
	for (optind = 1; (c = getopt_long(argc, argv, "vh", lo, &idx)) != -1;)
		if (c == 'c')
			o->config = optarg;
	opterr = 1;
	if (o->config && (err = xgro_conffile_load(o->config, o)))
		return err;
	optind = 1;
	while ((c = getopt_long(argc, argv, "vh", lo, &idx)) != -1) {
		const struct xgro_setting *s;
		const char *val;

		switch (c) {
		case 0:
			s = &xgro_settings[idx];
			val = s->type == XGRO_SET_FLAG ? "on" : optarg;
			err = xgro_setting_apply(o, s->name, val,
						 XGRO_SRC_CMDLINE);
			if (err)
				return bad_value(s, val, err);
			break;
		case 'c':
			break;
		case 'v':
			xgro_verbosity = XGRO_LOG_DEBUG;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "xgro: attach: want exactly one interface\n");
		usage(stderr);
		return -EINVAL;
	}
	o->ifname = argv[optind];
	return xgro_settings_check(&o->cfg, o->dp.sink == XGRO_SINK_VETH);
}

/* Does a firewall rule's text match on ifname as the ingress device?
 * nft prints `iifname "eth1"` (or a set of names: `iifname { "eth1",
 * ... }`) and `iif "eth1"`; iptables-save prints `-i eth1`. */
static bool names_ingress(const char *line, const char *ifname, bool nft)
{
	char quoted[IF_NAMESIZE + 2], word[IF_NAMESIZE + 5];
	const char *p;

	if (!nft) {
		snprintf(word, sizeof(word), " -i %s", ifname);
		p = strstr(line, word);
		return p && (!p[strlen(word)] || p[strlen(word)] == ' ');
	}
	snprintf(quoted, sizeof(quoted), "\"%s\"", ifname);
	return (strstr(line, "iifname ") || strstr(line, "iif ")) &&
	       strstr(line, quoted);
}

/* Warns for each rule of cmd's output (a ruleset listing) that names
 * ifname as ingress, with its table and chain. */
static void warn_firewall(const char *cmd, const char *what, bool nft,
			  const char *ifname)
{
	char line[512], table[96] = "", chain[96] = "";
	FILE *p = popen(cmd, "r");

	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		char *l = line;

		line[strcspn(line, "\n")] = 0;
		while (*l == ' ' || *l == '\t')
			l++;
		/* "table inet filter {", "chain input {" */
		if (nft &&
		    (!strncmp(l, "table ", 6) || !strncmp(l, "chain ", 6)))
			snprintf(l[0] == 't' ? table : chain, sizeof(table),
				 "%.*s", (int)strcspn(l + 6, "{") - 1, l + 6);
		else if (!nft && l[0] == '*')
			snprintf(table, sizeof(table), "%s", l + 1);
		else if (names_ingress(l, ifname, nft))
			pr_warn("%s rule '%s'%s%s%s%s%s matches input on %s: "
				"merged packets arrive on the tap and will not "
				"match it",
				what, l, table[0] ? " (table " : "", table,
				chain[0] ? ", chain " : "", chain,
				table[0] ? ")" : "", ifname);
	}
	pclose(p);
}

/*
 * Reinjected packets arrive on the tap: what is keyed on the original
 * interface stops matching them (docs/design.md, "What reinjection changes for
 * the host"). Policy rules, VRF membership and firewall rules are what we can
 * see; `ip`, `nft` and `iptables-save` read them in this network namespace.
 * Warnings only: the user may know better.
 */
static void warn_ingress_keyed(const char *ifname)
{
	char cmd[128], line[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ip -o rule show iif %s 2>/dev/null",
		 ifname);
	p = popen(cmd, "r");
	if (p) {
		while (fgets(line, sizeof(line), p)) {
			line[strcspn(line, "\n")] = 0;
			pr_warn("policy rule '%s' names %s: merged packets "
				"arrive on "
				"the tap and will not match it",
				line, ifname);
		}
		pclose(p);
	}
	snprintf(cmd, sizeof(cmd), "ip -o -d link show dev %s 2>/dev/null",
		 ifname);
	p = popen(cmd, "r");
	if (p) {
		if (fgets(line, sizeof(line), p) && strstr(line, "vrf_slave"))
			pr_warn("interface '%s' is in a VRF: merged packets "
				"arrive on "
				"the tap, outside it",
				ifname);
		pclose(p);
	}
	/* nft lists every nf_tables rule, iptables-nft's included; the
	 * legacy tables are iptables-legacy's alone. Without nft, the
	 * nf_tables rules through iptables-nft-save. */
	warn_firewall("nft list ruleset 2>/dev/null", "nftables", true, ifname);
	warn_firewall(
		"{ iptables-legacy-save; ip6tables-legacy-save; } 2>/dev/null",
		"iptables", false, ifname);
	warn_firewall("command -v nft >/dev/null || "
		      "{ iptables-nft-save; ip6tables-nft-save; } 2>/dev/null",
		      "iptables", false, ifname);
}

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct instance {
	struct xgro *skel;
	int link_fd; /* closing it detaches the program */
	struct xgro_state st;
	struct xgro_dataplane *dp;
	bool pinned, state_written;
};

static struct bpf_map *map_by_name(struct xgro *skel, const char *name)
{
	return bpf_object__find_map_by_name(skel->obj, name);
}

static int pin_all(struct instance *in)
{
	char path[PATH_MAX + 32];
	int err;

	if (!xgro_on_bpffs(in->st.pin_dir)) {
		pr_err("pin directory %s: not on a BPF filesystem; choose one "
		       "under %s",
		       in->st.pin_dir, XGRO_BPFFS);
		return -EINVAL;
	}
	err = xgro_mkdir_p(in->st.pin_dir, 0700, in->st.pin_made,
			   sizeof(in->st.pin_made));
	in->pinned = true; /* what it made is removed even if it failed */
	if (!err)
		err = xgro_fault("pins");
	if (err) {
		pr_err("pin directory %s: %s", in->st.pin_dir, strerror(-err));
		return err;
	}
	for (int i = 0; xgro_pin_names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", in->st.pin_dir,
			 xgro_pin_names[i]);
		err = bpf_map__pin(map_by_name(in->skel, xgro_pin_names[i]),
				   path);
		if (err) {
			pr_err("pinning map %s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}

/* XGRO_FAULT=hold-ready:PATH: up but not yet saying so while PATH exists,
 * for the test of what other commands do in that window */
static void hold_before_ready(void)
{
	const char *path = xgro_fault_arg("hold-ready");

	while (path && !access(path, F_OK))
		usleep(10000);
}

static int save_state(struct instance *in)
{
	int err = xgro_fault("state");

	in->state_written = true;
	if (!err)
		err = xgro_state_write(&in->st);
	if (err)
		pr_err("state file in %s: %s", XGRO_RUN_DIR, strerror(-err));
	return err;
}

/*
 * net.ipv4.conf.all.rp_filter applies on top of the tap's own setting
 * (the kernel takes the larger): reinjected packets would fail it. Off
 * while attached; the original goes to the state file before the change,
 * so that whatever ends this process, `detach` can put it back.
 */
static int rp_filter_all_off(struct instance *in)
{
	const char *path = "/proc/sys/net/ipv4/conf/all/rp_filter";
	struct xgro_sysctl_saved *c = &in->st.sysctl[in->st.nsysctl];
	char val[32];
	int err;

	if (xgro_sysctl_read(path, val, sizeof(val)))
		return 0; /* no IPv4 here */
	if (!strcmp(val, "0") || in->st.nsysctl >= 8)
		return 0;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->value, sizeof(c->value), "%s", val);
	snprintf(c->set, sizeof(c->set), "0");
	in->st.nsysctl++;
	if ((err = save_state(in)))
		return err;
	err = xgro_sysctl_write(path, "0");
	if (!err)
		err = xgro_fault("sysctl");
	if (err) {
		pr_err("%s: %s", path, strerror(-err));
		return err;
	}
	pr_warn("%s was %s: set to 0 while attached (reinjected packets would "
		"fail it), restored on exit",
		path, val);
	return 0;
}

static void teardown(struct instance *in)
{
	if (in->dp)
		xgro_dp_stop(in->dp);
	in->dp = NULL;
	if (in->link_fd > 0)
		close(in->link_fd);
	in->link_fd = -1;
	if (in->pinned || in->state_written)
		xgro_state_cleanup(&in->st);
	xgro__destroy(in->skel);
	in->skel = NULL;
}

/* An earlier instance for the same pins: refuse if alive, else clean up. */
static int claim(const struct xgro_attach_opts *o, struct instance *in)
{
	struct xgro_state old;
	int err = xgro_fault("claim");

	if (err) {
		pr_err("instance state %s/%s.state: %s", XGRO_RUN_DIR,
		       in->st.id, strerror(-err));
		return err;
	}
	if (xgro_state_read(in->st.id, &old))
		return 0;
	if (xgro_state_alive(&old)) {
		pr_err("interface '%s': already attached by xgro pid %d (pins "
		       "in %s%s); "
		       "use --pin-dir for another instance of the same name",
		       o->ifname, old.pid, old.pin_dir,
		       old.netns == in->st.netns
			       ? ""
			       : ", another network namespace");
		return -EBUSY;
	}
	pr_warn("cleaning up after a dead instance (pid %d)", old.pid);
	xgro_state_cleanup(&old);
	return 0;
}

static int load(const struct xgro_attach_opts *o, struct instance *in)
{
	struct xgro_config cfg = o->cfg;
	uint32_t zero = 0;
	int err;

	in->skel = xgro__open();
	err = in->skel ? xgro_fault("load") : -errno;
	if (err) {
		pr_err("opening the XDP program: %s", strerror(-err));
		return err;
	}
	err = xgro__load(in->skel);
	if (err) {
		pr_err("loading the XDP program: %s%s", strerror(-err),
		       xgro_verbosity < XGRO_LOG_DEBUG
			       ? " (-v shows the verifier log)"
			       : "");
		return err;
	}
	if (getrandom(&cfg.hash_seed, sizeof(cfg.hash_seed), 0) !=
	    sizeof(cfg.hash_seed))
		cfg.hash_seed = (uint32_t)getpid() * 2654435761u;
	err = bpf_map_update_elem(bpf_map__fd(in->skel->maps.config), &zero,
				  &cfg, BPF_ANY);
	if (err) {
		pr_err("writing the config map: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

static int link_xdp(struct xgro_attach_opts *o, struct instance *in)
{
	LIBBPF_OPTS(bpf_link_create_opts, lo,
		    .flags = o->skb_mode ? XDP_FLAGS_SKB_MODE
					 : XDP_FLAGS_DRV_MODE);
	struct bpf_link_info li = { 0 };
	uint32_t len = sizeof(li);
	int fd, err;

	/* multi-buffer first (jumbo frames), the plain program where the
	 * driver or the kernel refuses it */
	err = xgro_fault("link");
	fd = err ? -1
		 : bpf_link_create(
			   bpf_program__fd(in->skel->progs.xgro_xdp_frags),
			   in->st.ifindex, BPF_XDP, &lo);
	o->dp.frags = fd >= 0;
	if (fd < 0 && !err)
		fd = bpf_link_create(bpf_program__fd(in->skel->progs.xgro_xdp),
				     in->st.ifindex, BPF_XDP, &lo);
	if (fd < 0) {
		err = err ? err : -errno;
		if (err == -EBUSY || err == -EEXIST)
			pr_err("interface '%s': already has an XDP program",
			       o->ifname);
		else if (err == -EOPNOTSUPP && !o->skb_mode)
			pr_err("interface '%s': no native XDP in its driver "
			       "(try --mode skb)",
			       o->ifname);
		else if (err == -ERANGE)
			pr_err("interface '%s': MTU %d is too large for native "
			       "XDP "
			       "in its driver (veth: about 3,500 bytes without "
			       "multi-buffer XDP); lower it, or use --mode skb",
			       o->ifname, xgro_mtu(o->ifname));
		else
			pr_err("interface '%s': attaching XDP: %s", o->ifname,
			       strerror(-err));
		return err;
	}
	in->link_fd = fd;
	if (!bpf_obj_get_info_by_fd(fd, &li, &len)) {
		in->st.link_id = li.id;
		in->st.prog_id = li.prog_id;
	}
	return 0;
}

/* What the data path made, into the state that outlives it. */
static void record(struct xgro_state *st, const struct xgro_dp_info *i)
{
	st->queues = i->queues;
	st->workers = i->workers;
	snprintf(st->xsk_mode, sizeof(st->xsk_mode), "%s", i->xsk_mode);
	snprintf(st->reinject, sizeof(st->reinject), "%s", i->reinject);
	snprintf(st->tap, sizeof(st->tap), "%s", i->tap);
	snprintf(st->gso, sizeof(st->gso), "%s", i->gso);
	snprintf(st->jumbo, sizeof(st->jumbo), "%s", i->jumbo);
}

/* Attaching takes root's powers (README, "Running as a service", says
 * which capabilities and why). */
static int check_caller(void)
{
	if (geteuid() != 0) {
		pr_err("attach: needs root (CAP_BPF, CAP_NET_ADMIN)");
		return -EPERM;
	}
	return 0;
}

/* The interface exists, is not loopback, and has the queues asked for;
 * "all" becomes its count. */
static int check_interface(struct xgro_attach_opts *o, struct instance *in)
{
	int nq;

	in->st.ifindex = (int)if_nametoindex(o->ifname);
	if (!in->st.ifindex) {
		pr_err("interface '%s': %s", o->ifname, strerror(ENODEV));
		return -ENODEV;
	}
	if (xgro_is_loopback(o->ifname)) {
		pr_err("interface '%s': loopback: its frames never cross a "
		       "wire "
		       "and are handed to the stack whole; nothing to merge",
		       o->ifname);
		return -EINVAL;
	}
	nq = xgro_rx_queues(o->ifname);
	if (nq < 0) {
		pr_err("interface '%s': reading its queues: %s", o->ifname,
		       strerror(-nq));
		return nq;
	}
	if (o->dp.queues > (uint32_t)nq) {
		pr_err("interface '%s': --queues %u, but it has %d RX queue%s",
		       o->ifname, o->dp.queues, nq, nq == 1 ? "" : "s");
		return -EINVAL;
	}
	if (!o->dp.queues)
		o->dp.queues =
			(uint32_t)(nq < XGRO_MAX_QUEUES ? nq : XGRO_MAX_QUEUES);
	return 0;
}

/* What the state file says of this instance before anything is made:
 * its names, its owner, and where each setting came from. */
static void describe(const struct xgro_attach_opts *o, struct instance *in)
{
	snprintf(in->st.ifname, sizeof(in->st.ifname), "%s", o->ifname);
	xgro_pin_dir(o->ifname, o->pin_dir, in->st.pin_dir,
		     sizeof(in->st.pin_dir));
	xgro_state_id(in->st.id, sizeof(in->st.id), o->ifname, o->pin_dir);
	snprintf(in->st.mode, sizeof(in->st.mode), "%s",
		 o->skb_mode ? "skb" : "native");
	in->st.pid = getpid();
	in->st.pid_start = xgro_pid_start(in->st.pid);
	in->st.netns = xgro_netns_id();
	in->st.netns_cookie = xgro_netns_cookie();
	for (int i = 0; xgro_settings[i].name; i++) {
		in->st.src[i] = o->src[i];
		snprintf(in->st.given[i], sizeof(in->st.given[i]), "%s",
			 o->given[i] ? o->given[i] : "");
	}
}

/* Nobody else holds the pins, the interface's XDP hook or the pin
 * directory; a dead instance's leftovers are cleaned up. */
static int check_free(const struct xgro_attach_opts *o, struct instance *in)
{
	uint32_t prog_id = 0;
	int err;

	if ((err = claim(o, in)))
		return err;
	if (!bpf_xdp_query_id(in->st.ifindex, 0, &prog_id) && prog_id) {
		pr_err("interface '%s': already has an XDP program (id %u)",
		       o->ifname, prog_id);
		return -EBUSY;
	}
	if (!access(in->st.pin_dir, F_OK)) {
		pr_err("pin directory %s: exists and is not a dead xgro's; "
		       "choose another with --pin-dir",
		       in->st.pin_dir);
		return -EEXIST;
	}
	return 0;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/*
 * A transaction: each step is undone, in reverse, by teardown() when a
 * later one fails. The state file is written before anything it must let
 * `detach` undo after a crash (pins, sysctls).
 */
static int start(struct xgro_attach_opts *o, struct instance *in)
{
	struct xgro_dp_info info;
	int err;

	if ((err = load(o, in)) || (err = pin_all(in)) ||
	    (err = save_state(in)))
		return err;
	if (o->dp.sink == XGRO_SINK_TAP && (err = rp_filter_all_off(in)))
		return err;
	if ((err = link_xdp(o, in)) || (err = save_state(in)))
		return err;
	err = xgro_dp_start(&in->dp, &o->dp, o->ifname, in->st.ifindex,
			    in->skel->obj, &info);
	if (err)
		return err;
	record(&in->st, &info);
	hold_before_ready();
	in->st.ready = true; /* what tests and service managers wait for */
	if ((err = save_state(in)))
		return err;
	/* a service manager learns it at the same moment as status */
	xgro_notify("READY=1");
	pr_info("xgro: attached to %s (%s XDP, prog id %u), %u queue%s, %u "
		"worker%s, "
		"AF_XDP %s, reinject %s",
		o->ifname, in->st.mode, in->st.prog_id, in->st.queues,
		in->st.queues == 1 ? "" : "s", in->st.workers,
		in->st.workers == 1 ? "" : "s", in->st.xsk_mode,
		in->st.reinject);
	return 0;
}

/* The foreground: until a signal, or the data path says it must end. */
static int run(struct instance *in)
{
	int err = 0;

	while (!stop_signal) {
		err = xgro_dp_poll(in->dp, XGRO_WATCH_MS);
		if (err) {
			pr_err("data path: %s", strerror(-err));
			break;
		}
		/* says why itself when the instance must end */
		if ((err = xgro_dp_watch(in->dp)))
			break;
	}
	if (stop_signal)
		pr_info("xgro: %s: detaching", strsignal(stop_signal));
	xgro_notify("STOPPING=1");
	return err;
}

int cmd_attach(int argc, char **argv)
{
	struct xgro_attach_opts o = { 0 };
	struct instance in = { .link_fd = -1 };
	int err;

	if (parse_opts(argc, argv, &o))
		return EXIT_USAGE;
	if (check_caller() || check_interface(&o, &in))
		return EXIT_RUNTIME;
	err = xgro_bpffs_ensure();
	if (err) {
		pr_err("bpffs unavailable at %s: %s", XGRO_BPFFS,
		       strerror(-err));
		return EXIT_RUNTIME;
	}
	describe(&o, &in);
	if (check_free(&o, &in))
		return EXIT_RUNTIME;
	if (o.dp.sink == XGRO_SINK_TAP)
		warn_ingress_keyed(o.ifname);
	catch_signals();
	err = start(&o, &in);
	if (!err)
		err = run(&in);
	teardown(&in);
	return err ? EXIT_RUNTIME : 0;
}
