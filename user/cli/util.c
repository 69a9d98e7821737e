// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/magic.h>
#include <linux/sockios.h>
#include <net/if.h>
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

	/* digits only: strtoull would take " 5", "+5" and "-5" */
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int xgro_parse_cpus(const char *s, cpu_set_t *set)
{
	char buf[1024], *save = NULL;
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);

	CPU_ZERO(set);
	if (!*s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	for (char *t = strtok_r(buf, ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		uint32_t a, b;
		char *dash = strchr(t, '-');

		if (dash)
			*dash = 0;
		if (xgro_parse_u32(t, 0, CPU_SETSIZE - 1, &a))
			return -EINVAL;
		b = a;
		if (dash && xgro_parse_u32(dash + 1, a, CPU_SETSIZE - 1, &b))
			return -EINVAL;
		for (uint32_t c = a; c <= b; c++) {
			if ((long)c >= ncpu)
				return -ERANGE;
			CPU_SET(c, set);
		}
	}
	return CPU_COUNT(set) ? CPU_COUNT(set) : -EINVAL;
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
	n = (int)(ch.rx_count > ch.combined_count ? ch.rx_count
						  : ch.combined_count);
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

int xgro_mkdir_p(const char *path, unsigned mode, char *made, size_t n)
{
	char buf[PATH_MAX];

	if (made && n)
		made[0] = 0;
	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (char *p = buf + 1;; p++) {
		bool last = !*p;

		if (*p != '/' && !last)
			continue;
		*p = 0;
		if (mkdir(buf, mode)) {
			if (errno != EEXIST)
				return -errno;
		} else if (made && n && !made[0]) {
			snprintf(made, n, "%s", buf); /* the first we made */
		}
		if (last)
			break;
		*p = '/';
	}
	return 0;
}

/* Is dir, or the nearest ancestor of it that exists, on a bpffs? */
bool xgro_on_bpffs(const char *dir)
{
	char buf[PATH_MAX];
	struct statfs st;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (;;) {
		char *slash;

		if (!statfs(buf, &st))
			return st.f_type == BPF_FS_MAGIC;
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			return false;
		*slash = 0;
	}
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

static int ifreq_get(const char *ifname, unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

int xgro_mtu(const char *ifname)
{
	struct ifreq ifr;
	int err = ifreq_get(ifname, SIOCGIFMTU, &ifr);

	return err ? err : ifr.ifr_mtu;
}

bool xgro_is_loopback(const char *ifname)
{
	struct ifreq ifr;

	return !ifreq_get(ifname, SIOCGIFFLAGS, &ifr) &&
	       (ifr.ifr_flags & IFF_LOOPBACK);
}
