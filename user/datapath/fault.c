// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

int xgro_fault(const char *step)
{
	const char *f = getenv("XGRO_FAULT");

	return f && !strcmp(f, step) ? -ECANCELED : 0;
}

const char *xgro_fault_arg(const char *step)
{
	const char *f = getenv("XGRO_FAULT");
	size_t n = strlen(step);

	return f && !strncmp(f, step, n) && f[n] == ':' ? f + n + 1 : NULL;
}
