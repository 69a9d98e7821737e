/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * The host settings xgro reads and changes, under /proc/sys. Values under
 * /proc/sys/net belong to the caller's network namespace.
 */
#ifndef XGRO_SYSCTL_H
#define XGRO_SYSCTL_H

#include <stddef.h>

/* The first line of path, without its newline. 0 or -errno. */
int xgro_sysctl_read(const char *path, char *buf, size_t n);
/* Its value as a number, or `otherwise` if it cannot be read. */
int xgro_sysctl_int(const char *path, int otherwise);
/* Writes val (a newline is added). 0 or -errno. */
int xgro_sysctl_write(const char *path, const char *val);

#endif
