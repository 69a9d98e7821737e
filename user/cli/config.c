// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The user-settable keys of struct xgro_config, declared once: `attach`
 * options, `set KEY=VALUE`, and status output all go through this table.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum kind { K_U32, K_CSUM, K_PROTO };

struct key {
	const char *name;
	enum kind kind;
	uint32_t min, max;
	size_t off;
	const char *help;
};

#define F(field) offsetof(struct xgro_config, field)

static const struct key keys[] = {
	{ "flush-us", K_U32, 0, 1000000, F(flush_us),
	  "microseconds, 0..1000000 (0: flush when the RX ring is empty)" },
	{ "max-size", K_U32, 128, 65535, F(max_size),
	  "bytes of merged IP packet, 128..65535" },
	{ "min-payload", K_U32, 0, 65535, F(min_payload),
	  "payload bytes before a flow is steered, 0..65535" },
	{ "idle-release-ms", K_U32, 1, 3600000, F(idle_release_ms),
	  "milliseconds, 1..3600000" },
	{ "heartbeat-ms", K_U32, 1, 60000, F(heartbeat_ms),
	  "milliseconds before a silent worker is bypassed, 1..60000" },
	{ "max-segs", K_U32, 1, 64, F(max_segs),
	  "segments per super-packet, 1..64 (1: no merging, same path)" },
	{ "release-segs", K_U32, 0, 64, F(release_segs),
	  "release flows under this many segments per output, 0..64 (0: "
	  "never)" },
	{ "probation-ms", K_U32, 0, 3600000, F(probation_ms),
	  "milliseconds before a released flow may be steered again, "
	  "0..3600000 (0: only once idle)" },
	{ "nap-us", K_U32, 0, 10000, F(nap_us),
	  "microseconds a worker that just had frames sleeps on its own timer "
	  "before looking again, 0..10000 (0: wait on the socket)" },
	{ "csum", K_CSUM, 0, 0, F(csum_mode), "verify, fold or trust" },
	{ "proto", K_PROTO, 0, 0, F(protos), "tcp, udp or tcp,udp" },
};

const char *const xgro_config_keys[] = { "flush-us",
					 "max-size",
					 "min-payload",
					 "idle-release-ms",
					 "heartbeat-ms",
					 "max-segs",
					 "release-segs",
					 "probation-ms",
					 "nap-us",
					 "csum",
					 "proto",
					 NULL };

static const char *const csum_names[] = { "verify", "fold", "trust" };

void xgro_config_defaults(struct xgro_config *c)
{
	memset(c, 0, sizeof(*c));
	c->protos = XGRO_PROTO_TCP | XGRO_PROTO_UDP;
	c->min_payload = 1;
	c->idle_release_ms = 1000;
	c->flush_us = 50;
	c->max_size = 65535;
	c->csum_mode = XGRO_CSUM_VERIFY;
	c->heartbeat_ms = 100;
	c->max_segs = 64;
	c->release_segs = 2;
	c->probation_ms = 10000;
	c->nap_us = 300;
	c->frame_size = XGRO_UMEM_FRAME - XGRO_XDP_HEADROOM;
}

static const struct key *find(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

const char *xgro_config_help(const char *key)
{
	const struct key *k = find(key);

	return k ? k->help : "";
}

int xgro_config_set(struct xgro_config *c, const char *key, const char *val)
{
	const struct key *k = find(key);
	uint32_t *field, v = 0;

	if (!k)
		return -ENOENT;
	field = (uint32_t *)((char *)c + k->off);
	switch (k->kind) {
	case K_U32:
		if (xgro_parse_u32(val, k->min, k->max, &v))
			return -EINVAL;
		break;
	case K_CSUM:
		for (v = 0; v < 3 && strcmp(val, csum_names[v]); v++)
			;
		if (v == 3)
			return -EINVAL;
		break;
	case K_PROTO: {
		char buf[32], *save = NULL;

		if (strlen(val) >= sizeof(buf) || !*val)
			return -EINVAL;
		strcpy(buf, val);
		for (char *t = strtok_r(buf, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			if (!strcmp(t, "tcp"))
				v |= XGRO_PROTO_TCP;
			else if (!strcmp(t, "udp"))
				v |= XGRO_PROTO_UDP;
			else
				return -EINVAL;
		}
		if (!v)
			return -EINVAL;
		break;
	}
	}
	*field = v;
	return 0;
}

const char *xgro_config_get(const struct xgro_config *c, const char *key,
			    char *buf, size_t len)
{
	const struct key *k = find(key);
	uint32_t v;

	if (!k)
		return NULL;
	v = *(const uint32_t *)((const char *)c + k->off);
	switch (k->kind) {
	case K_U32:
		snprintf(buf, len, "%u", v);
		break;
	case K_CSUM:
		snprintf(buf, len, "%s", v < 3 ? csum_names[v] : "?");
		break;
	case K_PROTO:
		snprintf(buf, len, "%s%s%s", v & XGRO_PROTO_TCP ? "tcp" : "",
			 (v & 3) == 3 ? "," : "", v & XGRO_PROTO_UDP ? "udp" : "");
		break;
	}
	return buf;
}
