/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* A small streaming JSON writer: enough for status, stats and flows. */
#ifndef XGRO_JSON_H
#define XGRO_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool first[16];
};

void json_begin(struct json *j, FILE *f);
void json_end(struct json *j); /* ends with a newline */
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_u64(struct json *j, const char *key, uint64_t v);
void json_i64(struct json *j, const char *key, int64_t v);
void json_double(struct json *j, const char *key, double v);
void json_str(struct json *j, const char *key, const char *v);
void json_bool(struct json *j, const char *key, bool v);

#endif
