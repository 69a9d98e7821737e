// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cli.h"

int xgro_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int xgro_parse_cpus(const char *s, uint64_t *mask)
{
	char buf[256], *save = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int n = 0;

	*mask = 0;
	if (!*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		uint32_t a, b;
		char *dash = strchr(t, '-');

		if (dash)
			*dash = 0;
		if (xgro_parse_u32(t, 0, 63, &a))
			return -EINVAL;
		b = a;
		if (dash && xgro_parse_u32(dash + 1, a, 63, &b))
			return -EINVAL;
		for (uint32_t c = a; c <= b; c++) {
			if ((long)c >= ncpu)
				return -ERANGE;
			if (!(*mask & (1ull << c)))
				n++;
			*mask |= 1ull << c;
		}
	}
	return n ? n : -EINVAL;
}

/* Through ethtool, which answers for the caller's network namespace
 * (sysfs would show the namespace it was mounted in). */
int xgro_rx_queues(const char *ifname)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct ifreq ifr = { 0 };
	int fd, n;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ch;
	if (ioctl(fd, SIOCETHTOOL, &ifr)) {
		int err = errno;

		close(fd);
		return err == EOPNOTSUPP ? 1 : -err;
	}
	close(fd);
	n = (int)(ch.rx_count > ch.combined_count ? ch.rx_count :
						   ch.combined_count);
	return n > 0 ? n : 1;
}

int xgro_bpffs_ensure(void)
{
	struct statfs st;

	if (!statfs(XGRO_BPFFS, &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", XGRO_BPFFS, "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

int xgro_mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

const char *xgro_pin_dir(const char *ifname, const char *opt, char *buf,
			 size_t n)
{
	if (opt)
		snprintf(buf, n, "%s", opt);
	else
		snprintf(buf, n, "%s/%s", XGRO_PIN_ROOT, ifname);
	return buf;
}
