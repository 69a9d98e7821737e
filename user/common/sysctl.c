// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysctl.h"

int xgro_sysctl_read(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = read(fd, buf, n - 1);
	if (r < 0)
		err = -errno;
	close(fd);
	buf[r > 0 ? r : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return err;
}

int xgro_sysctl_int(const char *path, int otherwise)
{
	char buf[32];

	return xgro_sysctl_read(path, buf, sizeof(buf)) ? otherwise : atoi(buf);
}

int xgro_sysctl_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;
	char buf[64];
	int len = snprintf(buf, sizeof(buf), "%s\n", val);

	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len)
		err = -errno;
	close(fd);
	return err;
}
