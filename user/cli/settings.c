// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Every setting, declared once (README, "Adding a setting"). `attach`'s
 * options, `set`'s keys, `status`'s config lines, the help texts and the
 * defaults all come from this table. A setting lives either in struct
 * xgro_config, which the XDP program and the workers read from the
 * `config` map at every packet or loop (so `set` changes it at once), or
 * only in what `attach` starts with.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dataplane.h"

#define CFG(field) .live = true, .off = offsetof(struct xgro_config, field)

static const char *const bool_names[] = { "off", "on", NULL };

const char *const xgro_source_names[XGRO_SRC_MAX] = {
	[XGRO_SRC_DEFAULT] = "default",
	[XGRO_SRC_FILE] = "file",
	[XGRO_SRC_CMDLINE] = "command-line",
	[XGRO_SRC_SET] = "set",
};

static int parse_word(const char *const *words, const char *val, uint32_t *v)
{
	for (*v = 0; words[*v]; (*v)++)
		if (!strcmp(val, words[*v]))
			return 0;
	return -EINVAL;
}

static int parse_protos(const char *val, uint32_t *v)
{
	char buf[32], *save = NULL;

	*v = 0;
	if (strlen(val) >= sizeof(buf) || !*val)
		return -EINVAL;
	strcpy(buf, val);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "tcp"))
			*v |= XGRO_PROTO_TCP;
		else if (!strcmp(t, "udp"))
			*v |= XGRO_PROTO_UDP;
		else
			return -EINVAL;
	}
	return *v ? 0 : -EINVAL;
}

/* ---- settings of `attach` only: parsed into struct xgro_attach_opts ---- */

static int set_mode(struct xgro_attach_opts *o, const char *v)
{
	if (strcmp(v, "native") && strcmp(v, "skb"))
		return -EINVAL;
	o->skb_mode = !strcmp(v, "skb");
	return 0;
}

static int set_pin_dir(struct xgro_attach_opts *o, const char *v)
{
	if (v[0] != '/')
		return -EINVAL;
	o->pin_dir = v;
	return 0;
}

static int set_queues(struct xgro_attach_opts *o, const char *v)
{
	if (!strcmp(v, "all")) {
		o->dp.queues = 0;
		return 0;
	}
	return xgro_parse_u32(v, 1, XGRO_MAX_QUEUES, &o->dp.queues);
}

static int set_cpus(struct xgro_attach_opts *o, const char *v)
{
	int n;

	if (!strcmp(v, "all")) {
		CPU_ZERO(&o->dp.cpus); /* every CPU this process may use */
		return 0;
	}
	n = xgro_parse_cpus(v, &o->dp.cpus);

	return n < 0 ? n : 0;
}

static int set_reinject(struct xgro_attach_opts *o, const char *v)
{
	const char *colon = strchr(v, ':');

	if (colon && strlen(colon + 1) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	return xgro_dp_parse_reinject(v, &o->dp);
}

static int set_max_flows(struct xgro_attach_opts *o, const char *v)
{
	return xgro_parse_u32(v, 1, 1u << 20, &o->dp.max_flows);
}

static int set_ring(struct xgro_attach_opts *o, const char *v)
{
	if (xgro_parse_u32(v, XGRO_RING_MIN, XGRO_RING_MAX, &o->dp.ring) ||
	    (o->dp.ring & (o->dp.ring - 1)))
		return -EINVAL;
	return 0;
}

static int set_xsk(struct xgro_attach_opts *o, const char *v)
{
	static const char *const names[] = { "auto", "zero-copy", "copy",
					     NULL };
	uint32_t m;

	if (parse_word(names, v, &m))
		return -EINVAL;
	o->dp.xsk_mode = m == 1	  ? XGRO_XSK_ZEROCOPY
			 : m == 2 ? XGRO_XSK_COPY
				  : XGRO_XSK_AUTO;
	return 0;
}

static int set_busy_poll(struct xgro_attach_opts *o, const char *v)
{
	uint32_t b;

	if (parse_word(bool_names, v, &b))
		return -EINVAL;
	o->dp.busy_poll = b;
	return 0;
}

static int set_nice(struct xgro_attach_opts *o, const char *v)
{
	bool neg = v[0] == '-';
	uint32_t mag;

	if (xgro_parse_u32(v + neg, 0, neg ? 20 : 19, &mag))
		return -EINVAL;
	o->dp.nice = neg ? -(int)mag : (int)mag;
	return 0;
}

/* Help texts say what a setting does; the table adds what it takes and
 * its default. */
const struct xgro_setting xgro_settings[] = {
	/* the XDP program's */
	{ "proto", XGRO_SET_WORDS, .words = "tcp,udp", .def = "tcp,udp",
	  .help = "protocols steered", .where = "xdp", CFG(protos) },
	{ "min-payload", XGRO_SET_U32, 0, 65535, "1", "bytes",
	  "payload bytes before a flow is steered", "xdp", CFG(min_payload) },
	{ "steer-vlan", XGRO_SET_BOOL, .def = "off",
	  .help = "steer VLAN-tagged frames too (merged packets reach the "
		  "tap untagged)",
	  .where = "xdp", CFG(steer_vlan) },
	{ "idle-release-ms", XGRO_SET_U32, 1, 3600000, "1000", "ms",
	  "a steered flow idle this long returns to the stack", "xdp",
	  CFG(idle_release_ms) },
	{ "heartbeat-ms", XGRO_SET_U32, 1, 60000, "100", "ms",
	  "a worker silent this long is bypassed (fail open)", "xdp",
	  CFG(heartbeat_ms) },
	{ "probation-ms", XGRO_SET_U32, 0, 3600000, "10000", "ms",
	  "a released flow may be steered again after this (0: only once "
	  "idle)",
	  "xdp", CFG(probation_ms) },
	/* the engine's */
	{ "flush-us", XGRO_SET_U32, 0, 1000000, "50", "us",
	  "longest a segment is held (0: to the end of each batch of up to "
	  "64 frames, as NAPI's end of poll)",
	  "engine", CFG(flush_us) },
	{ "max-size", XGRO_SET_U32, 128, 65535, "65535", "bytes",
	  "largest merged IP packet", "engine", CFG(max_size) },
	{ "max-segs", XGRO_SET_U32, 1, 64, "64", NULL,
	  "segments per super-packet (1: no merging, same path)", "engine",
	  CFG(max_segs) },
	{ "csum", XGRO_SET_WORD, .words = "verify,fold,trust", .def = "verify",
	  .help = "checksum mode (README, \"Checksum modes\")",
	  .where = "engine", CFG(csum_mode) },
	/* the workers' */
	{ "release-segs", XGRO_SET_U32, 0, 64, "2", NULL,
	  "a flow under this many segments per output is released (0: "
	  "never)",
	  "worker", CFG(release_segs) },
	{ "nap-us", XGRO_SET_U32, 0, 10000, "300", "us",
	  "while frames come from another CPU, the worker sleeps this long "
	  "on its own timer (0: on the socket)",
	  "worker", CFG(nap_us) },
	/* what attach starts with */
	{ "mode", XGRO_SET_WORD, .words = "native,skb", .def = "native",
	  .help = "XDP attach mode (skb: generic XDP)", .where = "attach",
	  .apply = set_mode },
	{ "pin-dir", XGRO_SET_TEXT, .def = XGRO_PIN_ROOT "/IFACE",
	  .help = "where the maps are pinned, on a bpffs", .arg = "DIR",
	  .where = "attach", .apply = set_pin_dir },
	{ "queues", XGRO_SET_TEXT, .def = "all", .arg = "N|all",
	  .help = "RX queues to serve, 1..64", .where = "attach",
	  .apply = set_queues },
	{ "cpus", XGRO_SET_TEXT, .def = "all", .arg = "LIST",
	  .help = "one worker per CPU listed, like 0-1,3", .where = "attach",
	  .apply = set_cpus },
	{ "reinject", XGRO_SET_TEXT, .def = "tap",
	  .want = "tap, tap:NAME or veth:NAME, NAME an interface name",
	  .arg = "tap[:NAME]|veth:NAME",
	  .help = "where merged packets enter the stack", .where = "attach",
	  .apply = set_reinject },
	{ "max-flows", XGRO_SET_U32, 1, 1u << 20, "4096", NULL,
	  "flows each queue may hold", "attach", .apply = set_max_flows },
	{ "ring", XGRO_SET_U32, XGRO_RING_MIN, XGRO_RING_MAX, "4096",
	  "a power of two",
	  "RX ring entries per queue; the fill ring and the umem have 2N",
	  "attach", .apply = set_ring },
	{ "xsk", XGRO_SET_WORD, .words = "auto,zero-copy,copy", .def = "auto",
	  .help = "AF_XDP mode (auto: zero-copy if the driver has it)",
	  .where = "attach", .apply = set_xsk },
	{ "zero-copy", XGRO_SET_FLAG, .alias = "xsk", .alias_val = "zero-copy",
	  .help = "require AF_XDP zero-copy (xsk zero-copy)",
	  .where = "attach" },
	{ "copy", XGRO_SET_FLAG, .alias = "xsk", .alias_val = "copy",
	  .help = "use copy mode (xsk copy)", .where = "attach" },
	{ "busy-poll", XGRO_SET_FLAG, .help = "busy-poll the sockets",
	  .where = "attach", .apply = set_busy_poll },
	{ "nice", XGRO_SET_TEXT, .def = "-10", .arg = "N", .want = "-20..19",
	  .help = "nice value of the worker threads", .where = "attach",
	  .apply = set_nice },
	{ .name = NULL },
};
_Static_assert(sizeof(xgro_settings) / sizeof(xgro_settings[0]) <=
		       XGRO_NSET_MAX,
	       "XGRO_NSET_MAX holds every setting");

const struct xgro_setting *xgro_setting_find(const char *name)
{
	for (const struct xgro_setting *s = xgro_settings; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/* The words of a WORD setting, as an array: "a,b" -> {"a","b"} */
static int word_index(const struct xgro_setting *s, const char *val,
		      uint32_t *v)
{
	const char *w = s->words;
	size_t n = strlen(val);

	for (*v = 0; w && *w; (*v)++) {
		size_t len = strcspn(w, ",");

		if (len == n && !strncmp(w, val, n))
			return 0;
		w += len + (w[len] == ',');
	}
	return -EINVAL;
}

int xgro_setting_parse_live(const struct xgro_setting *s, const char *val,
			    uint32_t *v)
{
	switch (s->type) {
	case XGRO_SET_U32:
		return xgro_parse_u32(val, s->min, s->max, v);
	case XGRO_SET_BOOL:
		return parse_word(bool_names, val, v);
	case XGRO_SET_WORD:
		return word_index(s, val, v);
	case XGRO_SET_WORDS:
		return parse_protos(val, v);
	default:
		return -EINVAL;
	}
}

int xgro_config_set(struct xgro_config *c, const char *key, const char *val)
{
	const struct xgro_setting *s = xgro_setting_find(key);
	uint32_t v;

	if (!s || !s->live)
		return -ENOENT;
	if (xgro_setting_parse_live(s, val, &v))
		return -EINVAL;
	*(uint32_t *)((char *)c + s->off) = v;
	return 0;
}

int xgro_setting_apply(struct xgro_attach_opts *o, const char *key,
		       const char *val, enum xgro_source src)
{
	const struct xgro_setting *s = xgro_setting_find(key);
	int err;

	if (!s)
		return -ENOENT;
	if (s->type == XGRO_SET_FLAG && s->alias) {
		/* --zero-copy is xsk=zero-copy: its source is xsk's */
		if (strcmp(val, "on"))
			return -EINVAL;
		return xgro_setting_apply(o, s->alias, s->alias_val, src);
	}
	if (s->live)
		err = xgro_config_set(&o->cfg, key, val);
	else
		err = s->apply(o, val);
	if (err)
		return err;
	o->src[s - xgro_settings] = (uint8_t)src;
	o->given[s - xgro_settings] = val;
	return 0;
}

const char *xgro_setting_refusal(const struct xgro_setting *s, const char *val,
				 int err, char *buf, size_t len)
{
	char want[96];

	if (err == -ENAMETOOLONG)
		snprintf(buf, len,
			 "'%s': an interface name has at most %d "
			 "characters",
			 val, IF_NAMESIZE - 1);
	else if (err == -ERANGE)
		snprintf(buf, len,
			 "'%s': names a CPU this machine does not have", val);
	else if (s->type == XGRO_SET_FLAG && s->alias)
		snprintf(buf, len, "'%s': want on", val);
	else
		snprintf(buf, len, "'%s': want %s", val,
			 xgro_setting_want(s, want, sizeof(want)));
	return buf;
}

void xgro_config_defaults(struct xgro_config *c)
{
	memset(c, 0, sizeof(*c));
	for (const struct xgro_setting *s = xgro_settings; s->name; s++)
		if (s->live && xgro_config_set(c, s->name, s->def))
			abort(); /* a default the table itself refuses */
	c->frame_size = XGRO_FRAME_MAX;
}

void xgro_attach_defaults(struct xgro_attach_opts *o)
{
	memset(o, 0, sizeof(*o));
	xgro_config_defaults(&o->cfg);
	xgro_dp_defaults(&o->dp);
}

const char *xgro_config_get(const struct xgro_config *c, const char *key,
			    char *buf, size_t len)
{
	const struct xgro_setting *s = xgro_setting_find(key);
	uint32_t v;

	if (!s || !s->live)
		return NULL;
	v = *(const uint32_t *)((const char *)c + s->off);
	switch (s->type) {
	case XGRO_SET_U32:
		snprintf(buf, len, "%u", v);
		break;
	case XGRO_SET_BOOL:
		snprintf(buf, len, "%s", v ? "on" : "off");
		break;
	case XGRO_SET_WORD: {
		const char *w = s->words;

		for (uint32_t i = 0; i < v && w && *w; i++)
			w += strcspn(w, ",") + (w[strcspn(w, ",")] == ',');
		snprintf(buf, len, "%.*s", (int)strcspn(w, ","), w);
		break;
	}
	case XGRO_SET_WORDS:
		snprintf(buf, len, "%s%s%s", v & XGRO_PROTO_TCP ? "tcp" : "",
			 (v & 3) == 3 ? "," : "",
			 v & XGRO_PROTO_UDP ? "udp" : "");
		break;
	default:
		buf[0] = 0;
	}
	return buf;
}

const char *xgro_setting_want(const struct xgro_setting *s, char *buf,
			      size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	if (s->type == XGRO_SET_U32) {
		snprintf(buf, len, "%s%s%u..%u", s->unit ? s->unit : "",
			 s->unit ? ", " : "", s->min, s->max);
	} else if (s->type == XGRO_SET_BOOL) {
		snprintf(buf, len, "on or off");
	} else if (s->type == XGRO_SET_WORD || s->type == XGRO_SET_WORDS) {
		/* "a,b,c" -> "a, b or c"; a list: "a, b or a,b" */
		for (const char *w = s->words; *w && n < len;) {
			size_t l = strcspn(w, ",");
			bool last = !w[l];

			n += (size_t)snprintf(
				buf + n, len - n, "%s%.*s",
				n ? (last && s->type == XGRO_SET_WORD ? " or "
								      : ", ")
				  : "",
				(int)l, w);
			w += l + !last;
		}
		if (s->type == XGRO_SET_WORDS && n < len)
			snprintf(buf + n, len - n, " or %s", s->words);
	} else if (s->want) {
		snprintf(buf, len, "%s", s->want);
	} else {
		snprintf(buf, len, "%s", s->arg ? s->arg : "a value");
	}
	return buf;
}

const char *xgro_setting_help(const struct xgro_setting *s, char *buf,
			      size_t len)
{
	char want[96];

	if (s->type == XGRO_SET_FLAG)
		snprintf(buf, len, "%s", s->help);
	else if (s->type == XGRO_SET_TEXT && !s->want)
		snprintf(buf, len, "%s (%s)", s->help, s->def);
	else
		snprintf(buf, len, "%s; %s (%s)", s->help,
			 xgro_setting_want(s, want, sizeof(want)), s->def);
	return buf;
}

const char *xgro_setting_arg(const struct xgro_setting *s)
{
	if (s->arg)
		return s->arg;
	switch (s->type) {
	case XGRO_SET_FLAG:
		return NULL;
	case XGRO_SET_BOOL:
		return "on|off";
	case XGRO_SET_WORD: {
		static char buf[64];

		/* "a,b,c" -> "a|b|c" */
		snprintf(buf, sizeof(buf), "%s", s->words);
		for (char *p = buf; *p; p++)
			if (*p == ',')
				*p = '|';
		return buf;
	}
	case XGRO_SET_WORDS:
		return "LIST";
	default:
		return s->unit && !strcmp(s->unit, "bytes") ? "BYTES" : "N";
	}
}

/* The one check across settings, for attach and set alike. */
int xgro_settings_check(const struct xgro_config *c, bool veth_sink)
{
	if (c->csum_mode == XGRO_CSUM_FOLD && veth_sink) {
		fprintf(stderr,
			"xgro: csum fold: needs the tap sink: the veth "
			"sink's frames are forwarded with fresh checksums, "
			"so a bad segment would pass\n");
		return -EINVAL;
	}
	return 0;
}
