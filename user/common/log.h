/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
#ifndef XGRO_LOG_H
#define XGRO_LOG_H

#include <stdarg.h>

enum xgro_log_level {
	XGRO_LOG_ERR,
	XGRO_LOG_WARN,
	XGRO_LOG_INFO,
	XGRO_LOG_DEBUG
};

extern int xgro_verbosity; /* messages up to this level are printed */

void xgro_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Routes libbpf's messages through ours: silent unless -v. */
void xgro_log_setup_libbpf(void);

#define pr_err(...) xgro_log(XGRO_LOG_ERR, __VA_ARGS__)
#define pr_warn(...) xgro_log(XGRO_LOG_WARN, __VA_ARGS__)
#define pr_info(...) xgro_log(XGRO_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) xgro_log(XGRO_LOG_DEBUG, __VA_ARGS__)

#endif
