// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Readiness for a service manager: systemd's notify protocol
 * (sd_notify(3), "the documented protocol"): one datagram of
 * newline-separated KEY=VALUE to the AF_UNIX socket named by
 * $NOTIFY_SOCKET, a path or, when it starts with '@', an abstract name.
 *
 * Written here rather than linking libsystemd: the protocol is a single
 * sendto() that systemd documents as stable for other implementations,
 * while libsystemd would add a shared library (and its own dependencies)
 * to a binary that otherwise needs only libbpf and libxdp, for one call.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

int xgro_notify(const char *msg)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	size_t n;
	int fd, err = 0;

	if (!name || !*name)
		return 0; /* not run by a service manager that wants to know */
	n = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || n >= sizeof(sa.sun_path)) {
		pr_warn("NOTIFY_SOCKET '%s': want a path or an @abstract name",
			name);
		return -EINVAL;
	}
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = 0; /* abstract: no terminating NUL counted */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n +
			  (name[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || sendto(fd, msg, strlen(msg), MSG_NOSIGNAL,
			     (struct sockaddr *)&sa, len) < 0)
		err = -errno;
	if (fd >= 0)
		close(fd);
	if (err)
		pr_warn("NOTIFY_SOCKET %s: sending %s: %s", name, msg,
			strerror(-err));
	return err;
}
