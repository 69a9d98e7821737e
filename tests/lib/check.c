// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include "check.h"

const char *check_failed;
char check_msg[512];

int check_run(const char *suite, const struct check_test *t, size_t n, int argc,
	      char **argv)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(t[i].name, argv[1]))
			continue;
		check_failed = NULL;
		t[i].fn();
		if (check_failed) {
			printf("FAIL: %s/%s: %s\n", suite, t[i].name,
			       check_failed);
			failed++;
		} else {
			printf("PASS: %s/%s\n", suite, t[i].name);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}
