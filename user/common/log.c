// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <stdio.h>

#include <bpf/libbpf.h>

#include "log.h"

int xgro_verbosity = XGRO_LOG_INFO;

void xgro_log(int level, const char *fmt, ...)
{
	static const char *const prefix[] = { "xgro: ", "xgro: warning: ", "",
					      "xgro: debug: " };
	FILE *out = level <= XGRO_LOG_WARN ? stderr : stdout;
	va_list ap;

	if (level > xgro_verbosity)
		return;
	fputs(prefix[level], out);
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	if (xgro_verbosity < XGRO_LOG_DEBUG)
		return 0; /* we report failures ourselves, in one line */
	fputs("libbpf: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

void xgro_log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
