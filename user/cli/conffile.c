// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Settings from a file (attach --config FILE), and where each value came
 * from: the default, the file, the command line, or a later `set`. The
 * keys are the settings table's names; attach records the sources in the
 * state file, `set` updates them there, `status` shows them.
 *
 * The file: one `KEY = VALUE` a line (spaces around `=` optional), `#`
 * to the end of a line is a comment, blank lines are skipped. A flag
 * (zero-copy, copy, busy-poll) takes `on`; busy-poll also `off`.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "log.h"

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

/* One line: 0 if applied or empty, else -EINVAL said. */
static int load_line(const char *path, int n, char *line,
		     struct xgro_attach_opts *o)
{
	const struct xgro_setting *s;
	char *key, *val, *eq, why[192];
	int err;

	line[strcspn(line, "#\n")] = 0;
	key = trim(line);
	if (!*key)
		return 0;
	eq = strchr(key, '=');
	if (!eq) {
		fprintf(stderr, "xgro: %s:%d: '%s': want KEY = VALUE\n", path,
			n, key);
		return -EINVAL;
	}
	*eq = 0;
	key = trim(key);
	val = trim(eq + 1);
	s = xgro_setting_find(key);
	if (!s) {
		fprintf(stderr,
			"xgro: %s:%d: unknown key '%s' (the keys are "
			"attach's options, 'xgro attach --help')\n",
			path, n, key);
		return -EINVAL;
	}
	/* the settings keep pointers to their values: the line stays */
	val = strdup(val);
	if (!val)
		return -ENOMEM;
	err = xgro_setting_apply(o, key, val, XGRO_SRC_FILE);
	if (err) {
		fprintf(stderr, "xgro: %s:%d: %s: %s\n", path, n, key,
			xgro_setting_refusal(s, val, err, why, sizeof(why)));
		free(val);
		return -EINVAL;
	}
	return 0;
}

int xgro_conffile_load(const char *path, struct xgro_attach_opts *o)
{
	char line[1024];
	FILE *f = fopen(path, "r");
	int n = 0, err = 0;

	if (!f) {
		fprintf(stderr, "xgro: config file %s: %s\n", path,
			strerror(errno));
		return -EINVAL;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		n++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr,
				"xgro: %s:%d: line longer than %zu bytes\n",
				path, n, sizeof(line) - 2);
			err = -EINVAL;
			break;
		}
		err = load_line(path, n, line, o);
	}
	if (!err && ferror(f)) {
		fprintf(stderr, "xgro: config file %s: %s\n", path,
			strerror(EIO));
		err = -EINVAL;
	}
	fclose(f);
	return err;
}

int xgro_sources_note_set(struct xgro_state *st, char **words, int nwords)
{
	int err;

	for (int i = 0; i < nwords; i++) {
		const char *eq = strchr(words[i], '=');
		const struct xgro_setting *s;
		char key[64];

		if (!eq || (size_t)(eq - words[i]) >= sizeof(key))
			continue;
		memcpy(key, words[i], (size_t)(eq - words[i]));
		key[eq - words[i]] = 0;
		s = xgro_setting_find(key);
		if (!s || !s->live)
			continue;
		st->src[s - xgro_settings] = XGRO_SRC_SET;
		snprintf(st->given[s - xgro_settings], sizeof(st->given[0]),
			 "%s", eq + 1);
	}
	err = xgro_state_write(st);
	if (err)
		pr_warn("state file in %s: %s: status will not say these came "
			"from set",
			XGRO_RUN_DIR, strerror(-err));
	return err;
}

/* An attach-only setting's value as attach took it. */
static const char *attach_value(const struct xgro_state *st,
				const struct xgro_setting *s)
{
	int i = (int)(s - xgro_settings);

	if (!strcmp(s->name, "pin-dir"))
		return st->pin_dir;
	if (st->given[i][0])
		return st->given[i];
	return s->def ? s->def : "off";
}

void xgro_sources_print(const struct xgro_state *st,
			const struct xgro_config *c, struct json *j)
{
	char buf[64];

	if (j)
		json_obj_open(j, "settings");
	for (const struct xgro_setting *s = xgro_settings; s->name; s++) {
		const char *src = xgro_source_names[st->src[s - xgro_settings]];
		const char *v;

		if (s->alias)
			continue; /* its value and source are the target's */
		v = s->live ? xgro_config_get(c, s->name, buf, sizeof(buf))
			    : attach_value(st, s);
		if (j) {
			json_obj_open(j, s->name);
			json_str(j, "value", v);
			json_str(j, "source", src);
			json_bool(j, "live", s->live);
			json_obj_close(j);
		} else {
			printf("    %-16s %-16s %s%s\n", s->name, v, src,
			       s->live ? "" : ", at attach only");
		}
	}
	if (j)
		json_obj_close(j);
}
