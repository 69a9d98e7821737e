/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Minimal test harness. A test is a function listed in a table; each prints
 * one line "PASS: suite/name", "FAIL: suite/name: where", or
 * "SKIP: suite/name: reason", which tests/run.sh counts.
 */
#ifndef XGRO_CHECK_H
#define XGRO_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_test {
	const char *name;
	void (*fn)(void);
};

extern const char *check_failed; /* set by CHECK on the first failure */
extern char check_msg[512];

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			snprintf(check_msg, sizeof(check_msg), "%s:%d: %s",    \
				 __FILE__, __LINE__, #cond);                   \
			check_failed = check_msg;                              \
			return;                                                \
		}                                                              \
	} while (0)

#define CHECKF(cond, ...)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			int n_ = snprintf(check_msg, sizeof(check_msg),        \
					  "%s:%d: %s: ", __FILE__, __LINE__,   \
					  #cond);                              \
			snprintf(check_msg + n_, sizeof(check_msg) - n_,       \
				 __VA_ARGS__);                                 \
			check_failed = check_msg;                              \
			return;                                                \
		}                                                              \
	} while (0)

/* Runs the table; returns the process exit status. */
int check_run(const char *suite, const struct check_test *t, size_t n, int argc,
	      char **argv);

#define CHECK_MAIN(suite, table)                                               \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		return check_run(suite, table,                                 \
				 sizeof(table) / sizeof(table[0]), argc,       \
				 argv);                                        \
	}

#endif
