/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Declarations shared by the xgro command's source files. */
#ifndef XGRO_CLI_H
#define XGRO_CLI_H

#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"
#include "xgro.h"

#define XGRO_RUN_DIR "/run/xgro"
#define XGRO_BPFFS "/sys/fs/bpf"
#define XGRO_PIN_ROOT XGRO_BPFFS "/xgro"

/* Exit statuses. */
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

/* ---- settings.c: every setting, declared once ---- */
/* Where a setting's value came from, as status shows it. */
enum xgro_source {
	XGRO_SRC_DEFAULT,
	XGRO_SRC_FILE,	  /* attach --config FILE */
	XGRO_SRC_CMDLINE, /* attach --NAME VALUE */
	XGRO_SRC_SET,	  /* xgro set, since attach */
	XGRO_SRC_MAX,
};
extern const char *const xgro_source_names[XGRO_SRC_MAX];
#define XGRO_NSET_MAX 40 /* entries of xgro_settings[], checked there */

struct xgro_attach_opts {
	const char *ifname;
	const char *pin_dir;
	const char *config; /* --config FILE, or NULL */
	bool skb_mode;
	struct xgro_config cfg; /* the live settings, into the config map */
	struct xgro_dp_opts dp;
	/* by index into xgro_settings[]: where each value came from, and
	 * the text given (NULL: the default) */
	uint8_t src[XGRO_NSET_MAX];
	const char *given[XGRO_NSET_MAX];
};

enum xgro_setting_type {
	XGRO_SET_U32,	/* min..max */
	XGRO_SET_BOOL,	/* on, off */
	XGRO_SET_WORD,	/* one of words ("a,b,c"), stored as its index */
	XGRO_SET_WORDS, /* a list of them (proto) */
	XGRO_SET_TEXT,	/* parsed by apply() */
	XGRO_SET_FLAG,	/* no value: alias=alias_val, or apply("on") */
};

struct xgro_setting {
	const char *name;
	enum xgro_setting_type type;
	uint32_t min, max;
	const char *def;   /* as a user writes it */
	const char *unit;  /* of a number: us, ms, bytes */
	const char *help;  /* what it does */
	const char *where; /* who reads it: xdp, engine, worker, attach */
	bool live;	   /* in struct xgro_config: `set` changes it at once */
	size_t off;	   /* of its __u32 in struct xgro_config */
	const char *words, *arg, *alias, *alias_val;
	const char *want; /* of a TEXT setting: what it accepts, for refusals */
	int (*apply)(struct xgro_attach_opts *o, const char *val);
};

extern const struct xgro_setting xgro_settings[]; /* ends with a NULL name */
const struct xgro_setting *xgro_setting_find(const char *name);
void xgro_config_defaults(struct xgro_config *c);
void xgro_attach_defaults(struct xgro_attach_opts *o);
/* A live setting into c. 0, -ENOENT (no such live key) or -EINVAL. */
int xgro_config_set(struct xgro_config *c, const char *key, const char *val);
/* Any setting into o, noting src as where it came from (a flag takes
 * "on", or "on|off" if it has no alias). 0, -ENOENT or -errno of the
 * value. val must outlive o. */
int xgro_setting_apply(struct xgro_attach_opts *o, const char *key,
		       const char *val, enum xgro_source src);
/* Why val is refused for s (err from xgro_setting_apply), after "NAME: ". */
const char *xgro_setting_refusal(const struct xgro_setting *s, const char *val,
				 int err, char *buf, size_t len);
/* Text of a live setting's value; NULL for an unknown key. */
const char *xgro_config_get(const struct xgro_config *c, const char *key,
			    char *buf, size_t len);
/* What a setting accepts ("ms, 1..60000"), its whole help line, and the
 * placeholder of its value in usage lines (NULL: a flag). */
const char *xgro_setting_want(const struct xgro_setting *s, char *buf,
			      size_t len);
const char *xgro_setting_help(const struct xgro_setting *s, char *buf,
			      size_t len);
const char *xgro_setting_arg(const struct xgro_setting *s);
/* The one check across settings (attach and set): says why on stderr. */
int xgro_settings_check(const struct xgro_config *c, bool veth_sink);

/* ---- state.c: one instance's state under /run/xgro ---- */
struct xgro_sysctl_saved {
	char path[128];
	char value[32]; /* before xgro: restored on exit */
	char set[32];	/* what xgro wrote: restored only if still this */
};

struct xgro_state {
	char id[160]; /* file name stem: the interface, or pin-<dir> */
	char ifname[IF_NAMESIZE];
	int ifindex;
	int pid;
	/* when pid started (clock ticks after boot): a pid reused by another
	 * process, another xgro even, is not this instance */
	uint64_t pid_start;
	char pin_dir[PATH_MAX];
	char pin_made[PATH_MAX]; /* the first directory of pin_dir we made */
	char mode[8];		 /* native, skb */
	uint32_t prog_id, link_id;
	uint32_t queues, workers;
	char xsk_mode[16];     /* zerocopy, copy, none */
	char reinject[64];     /* tap:NAME, veth:NAME, none */
	char tap[IF_NAMESIZE]; /* a tap xgro created, to remove */
	char gso[32];	       /* what the sink's GSO probe found */
	char jumbo[48]; /* how frames over a umem frame are taken, or why not */
	int nsysctl;
	struct xgro_sysctl_saved sysctl[8]; /* originals to restore */
	uint64_t netns; /* inode of the network namespace they belong to */
	/* its SO_NETNS_COOKIE: an inode is reused once the namespace is gone,
	 * a cookie never is (0: unknown) */
	uint64_t netns_cookie;
	bool ready; /* attached and every worker running */
	/* by index into xgro_settings[]: where each came from, and what
	 * attach was given (empty: the default) */
	uint8_t src[XGRO_NSET_MAX];
	char given[XGRO_NSET_MAX][64];
};

/* Inode of this process's network namespace (0 if unknown). */
uint64_t xgro_netns_id(void);

void xgro_state_id(char *id, size_t n, const char *ifname, const char *pin_dir);
int xgro_state_write(const struct xgro_state *s);
int xgro_state_read(const char *id, struct xgro_state *s);
void xgro_state_remove(const char *id);
/* Is the instance's process still running: its pid, started when it was? */
bool xgro_state_alive(const struct xgro_state *s);
/* Start time of a process (field 22 of /proc/PID/stat), 0 if it is gone. */
uint64_t xgro_pid_start(int pid);
/* This process's network namespace's cookie (0 if the kernel has none). */
uint64_t xgro_netns_cookie(void);
/* Is this process in the namespace the instance was attached in? */
bool xgro_netns_same(const struct xgro_state *s);
/* A network namespace named on the command line: NULL is the caller's, a
 * name from `ip netns`, a path, or an inode; "all" gives 0 (any). */
int xgro_netns_resolve(const char *arg, uint64_t *ino);
/* Moves this thread into the instance's network namespace, found as its
 * pid's or by its `ip netns` name; 0 if already there, -ENOENT if it is
 * nowhere (a namespace of that inode but another cookie is another one). */
int xgro_netns_enter(const struct xgro_state *s);
/* How status names a namespace: its `ip netns` name, if it has one. */
const char *xgro_netns_name(uint64_t ino, char *buf, size_t n);
/* The instance a command acts on: interface ifname (with pin_dir, if not
 * NULL) in namespace netns (as xgro_netns_resolve takes it). 0, or
 * -ENOENT / -EEXIST (ambiguous), said on stderr. */
int xgro_instance_find(const char *ifname, const char *pin_dir,
		       const char *netns, struct xgro_state *st);
/* Calls fn for every state file; returns what fn returned if non-zero. */
int xgro_state_each(int (*fn)(const struct xgro_state *s, void *u), void *u);
/* The maps an instance pins, by name, NULL-terminated. */
extern const char *const xgro_pin_names[];
/* Removes what a dead instance left: pins, tap, sysctl changes, files. */
void xgro_state_cleanup(const struct xgro_state *s);

/* ---- util.c ---- */
/* Digits only, min..max. 0 or -EINVAL. */
int xgro_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
/* "0-2,5" into a CPU set; returns the count, -ERANGE for a CPU the
 * machine lacks, or -EINVAL. */
int xgro_parse_cpus(const char *s, cpu_set_t *set);
int xgro_rx_queues(const char *ifname); /* >= 1, or -errno */
int xgro_bpffs_ensure(void);
/* mkdir -p; `made` (if not NULL) gets the first directory it created,
 * empty if none, so that the caller can remove exactly those. */
int xgro_mkdir_p(const char *path, unsigned mode, char *made, size_t n);
bool xgro_on_bpffs(const char *dir);
int xgro_mtu(const char *ifname); /* or -errno */
bool xgro_is_loopback(const char *ifname);
const char *xgro_pin_dir(const char *ifname, const char *opt, char *buf,
			 size_t n);

/* ---- opts.c: the options of every command but attach ---- */
enum {
	XGRO_OPT_JSON = 1 << 0,
	XGRO_OPT_WATCH = 1 << 1,
	XGRO_OPT_TOP = 1 << 2,
	XGRO_OPT_IF_OPTIONAL = 1 << 3, /* status: every instance */
	XGRO_OPT_WORDS = 1 << 4,       /* set: KEY=VALUE... after IFACE */
	XGRO_OPT_PROMETHEUS = 1 << 5,  /* stats: the text exposition format */
};

struct xgro_cmd_spec {
	const char *name, *args; /* "stats", "IFACE" */
	unsigned flags;
	const char *more; /* more help lines, or NULL */
};

struct xgro_cmd_opts {
	const char *ifname, *pin_dir, *netns;
	bool json, prometheus;
	uint32_t watch, top;
	char **words; /* after the interface */
	int nwords;
};

/* 0, or -EINVAL with the usage on stderr; --help prints it and exits. */
int xgro_cmd_parse(int argc, char **argv, const struct xgro_cmd_spec *c,
		   struct xgro_cmd_opts *o);

/* ---- the commands ---- */
struct xgro_maps {
	int config, counters, flows, worker_stats;
};
/* Opens the pinned maps of a live instance, found as by
 * xgro_instance_find. */
int xgro_maps_open(const char *ifname, const char *pin_dir, const char *netns,
		   struct xgro_maps *m, struct xgro_state *st);
void xgro_maps_close(struct xgro_maps *m);

/* ---- loss.c: every redirected frame accounted for ---- */
struct xgro_loss {
	uint32_t nq;
	uint64_t cnt[XGRO_CNT_MAX]; /* the XDP counters, summed over CPUs */
	struct xgro_worker_stats q[XGRO_MAX_QUEUES]; /* read after cnt */
	struct xgro_worker_stats sum; /* of q; times: the oldest */
	bool fresh;	     /* every socket sampled after cnt was read */
	uint64_t redirected; /* cnt[XGRO_CNT_STEERED] */
	uint64_t received, dropped,
		pending;    /* rx_frames, socket drops, RX ring */
	int64_t difference; /* redirected outside received+dropped+pending */
	uint64_t allowance; /* |difference| that still reconciles */
	bool reconciled;
	uint64_t lost; /* socket drops, plus a fresh unreconciled difference */
	bool have_iface; /* the interface's RX drops, from netlink */
	uint64_t if_rx_dropped, if_rx_missed_errors, if_rx_fifo_errors,
		if_rx_over_errors;
};
/* The XDP counters, summed over CPUs. 0 or -errno. */
int xgro_read_counters(int fd, uint64_t *out);
/* Frames a socket dropped: rx_dropped + rx_ring_full (see loss.c). */
uint64_t xgro_xsk_dropped(const struct xgro_xsk_stats *x);
/* Reads and reconciles; waits up to a few sample periods for the workers
 * to sample their sockets. ifname NULL: no interface figures. */
int xgro_loss_read(int counters_fd, int ws_fd, uint32_t nq, const char *ifname,
		   struct xgro_loss *l);

/* ---- notify.c: the service manager's notify socket ---- */
/* Sends msg ("READY=1") to $NOTIFY_SOCKET if set. 0 or -errno (said). */
int xgro_notify(const char *msg);

/* ---- conffile.c: settings from a file, and where each came from ---- */
/* attach --config: KEY = VALUE lines into o. 0, or -EINVAL said on
 * stderr naming the file, the line and the key. */
int xgro_conffile_load(const char *path, struct xgro_attach_opts *o);
/* After `set` wrote them: its KEY=VALUE words into the state's record. */
int xgro_sources_note_set(struct xgro_state *st, char **words, int nwords);
struct json;
/* Status's settings: live values (from the map) and attach-only ones
 * (from the state), each with its source. */
void xgro_sources_print(const struct xgro_state *st,
			const struct xgro_config *c, struct json *j);

/* ---- prom.c: stats in the Prometheus text format ---- */
void xgro_prom_print(const char *ifname, const struct xgro_loss *l);

int cmd_attach(int argc, char **argv);
int cmd_detach(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_flows(int argc, char **argv);
int cmd_set(int argc, char **argv);

#endif
