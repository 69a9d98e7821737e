// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link.h"

int xgro_link_attr(int ifindex, unsigned short type, void *val, size_t len)
{
	struct {
		struct nlmsghdr nh;
		struct ifinfomsg ifi;
	} req = {
		.nh = { .nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST },
		.ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex },
	};
	char buf[16384];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;
	int fd, err = -ENOENT;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		err = -errno;
		goto out;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	for (; NLMSG_OK(nh, n); nh = NLMSG_NEXT(nh, n)) {
		struct rtattr *a;
		int alen;

		if (nh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(nh);

			err = e->error ? e->error : -ENOENT;
			break;
		}
		if (nh->nlmsg_type != RTM_NEWLINK)
			continue;
		a = IFLA_RTA(NLMSG_DATA(nh));
		alen = (int)IFLA_PAYLOAD(nh);
		for (; RTA_OK(a, alen); a = RTA_NEXT(a, alen)) {
			if (a->rta_type != type)
				continue;
			memset(val, 0, len);
			memcpy(val, RTA_DATA(a),
			       RTA_PAYLOAD(a) < len ? RTA_PAYLOAD(a) : len);
			err = 0;
			break;
		}
	}
out:
	close(fd);
	return err;
}

int xgro_link_master(int ifindex)
{
	unsigned int m = 0;

	return xgro_link_attr(ifindex, IFLA_MASTER, &m, sizeof(m)) ? 0 : (int)m;
}
