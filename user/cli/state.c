// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Instance state: /run/xgro/<id>.pid (the pid alone) and <id>.state
 * (key value lines), written by `attach` once everything is in place and
 * read by the other commands. It records all that a crashed instance can
 * leave behind, so that `detach` can undo it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "sysctl.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE                                                        \
	71 /* Linux 5.14; bookworm's 6.1 headers have it, older not */
#endif

void xgro_state_id(char *id, size_t n, const char *ifname, const char *pin_dir)
{
	size_t k;

	if (!pin_dir) {
		snprintf(id, n, "%s", ifname);
		return;
	}
	/* the pin directory names the instance: /a/b -> pin-_a_b */
	k = (size_t)snprintf(id, n, "pin-%s", pin_dir);
	for (size_t i = 4; i < k && i < n; i++)
		if (id[i] == '/')
			id[i] = '_';
}

static void path_of(char *buf, size_t n, const char *id, const char *ext)
{
	snprintf(buf, n, "%s/%s.%s", XGRO_RUN_DIR, id, ext);
}

int xgro_state_write(const struct xgro_state *s)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	FILE *f;
	int err;

	err = xgro_mkdir_p(XGRO_RUN_DIR, 0755, NULL, 0);
	if (err)
		return err;
	path_of(path, sizeof(path), s->id, "state");
	/* attach and set both write it: each its own temporary */
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	/* one key and its value per line: the value is the rest of the line,
	 * spaces and all (a pin directory may have them) */
	fprintf(f, "ifname %s\nifindex %d\npid %d\npin_dir %s\nmode %s\n",
		s->ifname, s->ifindex, s->pid, s->pin_dir, s->mode);
	if (s->pin_made[0])
		fprintf(f, "pin_made %s\n", s->pin_made);
	fprintf(f, "prog_id %u\nlink_id %u\nqueues %u\nworkers %u\n",
		s->prog_id, s->link_id, s->queues, s->workers);
	fprintf(f, "xsk_mode %s\nreinject %s\ntap %s\ngso %s\n", s->xsk_mode,
		s->reinject, s->tap[0] ? s->tap : "-",
		s->gso[0] ? s->gso : "-");
	fprintf(f, "netns %llu\nnetns_cookie %llu\npid_start %llu\n",
		(unsigned long long)s->netns,
		(unsigned long long)s->netns_cookie,
		(unsigned long long)s->pid_start);
	fprintf(f, "ready %d\n", s->ready);
	fprintf(f, "jumbo %s\n", s->jumbo[0] ? s->jumbo : "-");
	for (int i = 0; xgro_settings[i].name; i++)
		fprintf(f, "setting %s %s%s%s\n", xgro_settings[i].name,
			xgro_source_names[s->src[i] < XGRO_SRC_MAX ? s->src[i]
								   : 0],
			s->given[i][0] ? " " : "", s->given[i]);
	for (int i = 0; i < s->nsysctl; i++)
		fprintf(f, "sysctl %s %s %s\n", s->sysctl[i].path,
			s->sysctl[i].value, s->sysctl[i].set);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	path_of(path, sizeof(path), s->id, "pid");
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", s->pid);
	return fclose(f) ? -errno : 0;
}

/* "NAME SOURCE[ GIVEN]": where a setting came from, what it was given */
static void read_setting(struct xgro_state *s, const char *a)
{
	const struct xgro_setting *def;
	char name[64], src[32];
	int n = 0;

	if (sscanf(a, "%63s %31s%n", name, src, &n) != 2 ||
	    !(def = xgro_setting_find(name)))
		return;
	for (int k = 0; k < XGRO_SRC_MAX; k++)
		if (!strcmp(src, xgro_source_names[k]))
			s->src[def - xgro_settings] = (uint8_t)k;
	if (a[n] == ' ')
		snprintf(s->given[def - xgro_settings], sizeof(s->given[0]),
			 "%s", a + n + 1);
}

int xgro_state_read(const char *id, struct xgro_state *s)
{
	char path[PATH_MAX], line[PATH_MAX + 64];
	FILE *f;

	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	path_of(path, sizeof(path), id, "state");
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char key[32], *a, p[128], v[32], w[32];

		line[strcspn(line, "\n")] = 0;
		a = strchr(line, ' ');
		if (!a || (size_t)(a - line) >= sizeof(key))
			continue;
		memcpy(key, line, (size_t)(a - line));
		key[a - line] = 0;
		a++;
		if (!strcmp(key, "ifname"))
			snprintf(s->ifname, sizeof(s->ifname), "%s", a);
		else if (!strcmp(key, "ifindex"))
			s->ifindex = atoi(a);
		else if (!strcmp(key, "pid"))
			s->pid = atoi(a);
		else if (!strcmp(key, "pin_dir"))
			snprintf(s->pin_dir, sizeof(s->pin_dir), "%s", a);
		else if (!strcmp(key, "pin_made"))
			snprintf(s->pin_made, sizeof(s->pin_made), "%s", a);
		else if (!strcmp(key, "mode"))
			snprintf(s->mode, sizeof(s->mode), "%s", a);
		else if (!strcmp(key, "prog_id"))
			s->prog_id = (uint32_t)strtoul(a, NULL, 10);
		else if (!strcmp(key, "link_id"))
			s->link_id = (uint32_t)strtoul(a, NULL, 10);
		else if (!strcmp(key, "queues"))
			s->queues = (uint32_t)strtoul(a, NULL, 10);
		else if (!strcmp(key, "workers"))
			s->workers = (uint32_t)strtoul(a, NULL, 10);
		else if (!strcmp(key, "xsk_mode"))
			snprintf(s->xsk_mode, sizeof(s->xsk_mode), "%s", a);
		else if (!strcmp(key, "jumbo") && strcmp(a, "-"))
			snprintf(s->jumbo, sizeof(s->jumbo), "%s", a);
		else if (!strcmp(key, "reinject"))
			snprintf(s->reinject, sizeof(s->reinject), "%s", a);
		else if (!strcmp(key, "tap") && strcmp(a, "-"))
			snprintf(s->tap, sizeof(s->tap), "%s", a);
		else if (!strcmp(key, "gso") && strcmp(a, "-"))
			snprintf(s->gso, sizeof(s->gso), "%s", a);
		else if (!strcmp(key, "netns"))
			s->netns = strtoull(a, NULL, 10);
		else if (!strcmp(key, "netns_cookie"))
			s->netns_cookie = strtoull(a, NULL, 10);
		else if (!strcmp(key, "pid_start"))
			s->pid_start = strtoull(a, NULL, 10);
		else if (!strcmp(key, "ready"))
			s->ready = atoi(a) == 1;
		else if (!strcmp(key, "setting"))
			read_setting(s, a);
		else if (!strcmp(key, "sysctl") && s->nsysctl < 8 &&
			 sscanf(a, "%127s %31s %31s", p, v, w) == 3) {
			struct xgro_sysctl_saved *c = &s->sysctl[s->nsysctl++];

			snprintf(c->path, sizeof(c->path), "%s", p);
			snprintf(c->value, sizeof(c->value), "%s", v);
			snprintf(c->set, sizeof(c->set), "%s", w);
		}
	}
	fclose(f);
	return 0;
}

void xgro_state_remove(const char *id)
{
	char path[PATH_MAX];

	path_of(path, sizeof(path), id, "state");
	unlink(path);
	path_of(path, sizeof(path), id, "pid");
	unlink(path);
}

uint64_t xgro_netns_id(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (uint64_t)st.st_ino;
}

int xgro_netns_resolve(const char *arg, uint64_t *ino)
{
	char path[PATH_MAX];
	struct stat st;
	uint32_t n;

	if (!arg) {
		*ino = xgro_netns_id();
		return 0;
	}
	if (!strcmp(arg, "all")) {
		*ino = 0;
		return 0;
	}
	if (strchr(arg, '/'))
		snprintf(path, sizeof(path), "%s", arg);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", arg);
	if (!stat(path, &st)) {
		*ino = (uint64_t)st.st_ino;
		return 0;
	}
	if (!xgro_parse_u32(arg, 1, UINT32_MAX, &n)) {
		*ino = n; /* an inode, as status prints it */
		return 0;
	}
	return -ENOENT;
}

const char *xgro_netns_name(uint64_t ino, char *buf, size_t n)
{
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (!stat("/proc/1/ns/net", &st) && (uint64_t)st.st_ino == ino) {
		snprintf(buf, n, "the host's (net:[%llu])",
			 (unsigned long long)ino);
		return buf;
	}
	snprintf(buf, n, "net:[%llu]", (unsigned long long)ino);
	d = opendir("/run/netns");
	while (d && (e = readdir(d))) {
		char path[PATH_MAX];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		if (!stat(path, &st) && (uint64_t)st.st_ino == ino) {
			snprintf(buf, n, "%s (net:[%llu])", e->d_name,
				 (unsigned long long)ino);
			break;
		}
	}
	if (d)
		closedir(d);
	return buf;
}

uint64_t xgro_netns_cookie(void)
{
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
		cookie = 0;
	close(fd);
	return cookie;
}

bool xgro_netns_same(const struct xgro_state *s)
{
	uint64_t cookie;

	if (s->netns != xgro_netns_id())
		return false;
	cookie = s->netns_cookie ? xgro_netns_cookie() : 0;
	return !cookie || cookie == s->netns_cookie;
}

int xgro_netns_enter(const struct xgro_state *s)
{
	uint64_t ino = s->netns;
	int pid = xgro_state_alive(s) ? s->pid : 0;
	char path[PATH_MAX];
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd = -1, back, err;

	if (xgro_netns_same(s))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (pid > 0 && !stat(path, &st) && (uint64_t)st.st_ino == ino)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	d = fd < 0 ? opendir("/run/netns") : NULL;
	while (d && fd < 0 && (e = readdir(d))) {
		snprintf(path, sizeof(path), "/run/netns/%s", e->d_name);
		if (e->d_name[0] != '.' && !stat(path, &st) &&
		    (uint64_t)st.st_ino == ino)
			fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (d)
		closedir(d);
	if (fd < 0)
		return -ENOENT;
	back = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	err = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	/* the inode of a namespace long gone, reused: not the instance's */
	if (!err && !xgro_netns_same(s)) {
		err = -ENOENT;
		if (back < 0 || setns(back, CLONE_NEWNET))
			err = -errno;
	}
	if (back >= 0)
		close(back);
	return err;
}

struct find_ctx {
	const char *ifname, *pin_dir;
	uint64_t netns;
	struct xgro_state *st;
	int here, elsewhere;
	struct xgro_state other;
};

static int find_one(const struct xgro_state *s, void *u)
{
	struct find_ctx *c = u;

	if (strcmp(s->ifname, c->ifname) ||
	    (c->pin_dir && strcmp(s->pin_dir, c->pin_dir)))
		return 0;
	if (c->netns && s->netns != c->netns) {
		if (!c->elsewhere++)
			c->other = *s;
		return 0;
	}
	if (!c->here++)
		*c->st = *s;
	return 0;
}

int xgro_instance_find(const char *ifname, const char *pin_dir,
		       const char *netns, struct xgro_state *st)
{
	struct find_ctx c = { .ifname = ifname, .pin_dir = pin_dir, .st = st };
	char name[PATH_MAX];

	if (xgro_netns_resolve(netns, &c.netns)) {
		pr_err("network namespace '%s': not found (want a name from "
		       "'ip netns', a path, an inode, or all)",
		       netns);
		return -ENOENT;
	}
	xgro_state_each(find_one, &c);
	if (c.here > 1) {
		pr_err("interface '%s': %d xgro instances%s; name one with "
		       "--pin-dir",
		       ifname, c.here,
		       netns ? "" : " in this network namespace");
		return -EEXIST;
	}
	if (c.here)
		return 0;
	if (c.elsewhere)
		pr_err("interface '%s': no xgro instance in %s network "
		       "namespace; "
		       "pid %d serves one in %s (run there, or add --netns)",
		       ifname, netns ? "that" : "this", c.other.pid,
		       xgro_netns_name(c.other.netns, name, sizeof(name)));
	else
		pr_err("interface '%s': no xgro instance%s", ifname,
		       pin_dir ? " with those pins" : "");
	return -ENOENT;
}

uint64_t xgro_pid_start(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* after the command's ")" (it may hold spaces and parentheses):
	 * state is field 3, starttime field 22 */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
			 "%*d %*d %*d %*d %*d %*d %llu",
			 &start) != 1)
		return 0;
	return start;
}

bool xgro_state_alive(const struct xgro_state *s)
{
	char path[64], comm[32] = "";
	int pid = s->pid;
	FILE *f;

	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
		return false;
	if (s->pid_start && xgro_pid_start(pid) != s->pid_start)
		return false;
	/* a recycled pid is not our instance */
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	return !strncmp(comm, "xgro", 4);
}

int xgro_state_each(int (*fn)(const struct xgro_state *s, void *u), void *u)
{
	DIR *d = opendir(XGRO_RUN_DIR);
	struct dirent *e;
	int ret = 0;

	if (!d)
		return 0;
	while (!ret && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		struct xgro_state s;
		char id[160];

		if (n < 7 || strcmp(e->d_name + n - 6, ".state") ||
		    n - 6 >= sizeof(id))
			continue;
		memcpy(id, e->d_name, n - 6);
		id[n - 6] = 0;
		if (!xgro_state_read(id, &s))
			ret = fn(&s, u);
	}
	closedir(d);
	return ret;
}

const char *const xgro_pin_names[] = { "config", "counters",  "flows",
				       "steer",	 "heartbeat", "worker_stats",
				       "xsks",	 NULL };

/* The parents of the pin directory that attach made, deepest first. */
static void remove_made_parents(const struct xgro_state *s)
{
	size_t top = strlen(s->pin_made);
	char dir[PATH_MAX];

	if (!top || strncmp(s->pin_dir, s->pin_made, top) ||
	    (s->pin_dir[top] && s->pin_dir[top] != '/'))
		return;
	snprintf(dir, sizeof(dir), "%s", s->pin_dir);
	for (char *slash;
	     (slash = strrchr(dir, '/')) && (size_t)(slash - dir) >= top;) {
		*slash = 0;
		if (rmdir(dir) && errno != ENOENT)
			return; /* somebody else's is in it now */
	}
}

/* Back to the value before xgro, unless someone changed it since: an
 * administrator's choice made while attached stays. */
static void restore_sysctl(const struct xgro_sysctl_saved *c)
{
	char now[32];
	int err;

	if ((err = xgro_sysctl_read(c->path, now, sizeof(now))) ||
	    strcmp(now, c->set)) {
		if (err)
			pr_warn("reading %s: %s", c->path, strerror(-err));
		else
			pr_warn("%s is %s, not the %s xgro set: left as it is",
				c->path, now, c->set);
		return;
	}
	if ((err = xgro_sysctl_write(c->path, c->value)))
		pr_warn("restoring %s: %s", c->path, strerror(-err));
}

void xgro_state_cleanup(const struct xgro_state *s)
{
	char path[PATH_MAX + 32];

	/* only the pins we make, so a mistaken --pin-dir removes nothing
	 * of anybody else's */
	for (int i = 0; xgro_pin_names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->pin_dir,
			 xgro_pin_names[i]);
		if (unlink(path) && errno != ENOENT)
			pr_warn("removing pin %s: %s", path, strerror(errno));
	}
	if (s->pin_dir[0] && rmdir(s->pin_dir) && errno != ENOENT)
		pr_warn("removing %s: %s", s->pin_dir, strerror(errno));
	remove_made_parents(s);
	if (!strncmp(s->pin_dir, XGRO_PIN_ROOT "/", strlen(XGRO_PIN_ROOT) + 1))
		rmdir(XGRO_PIN_ROOT); /* fails harmlessly while others use it */
	/* the tap is not persistent: it went away with the instance's fds */
	if (s->nsysctl && !xgro_netns_same(s)) {
		/* /proc/sys/net is per namespace: writing here would change
		 * another namespace's settings, perhaps the host's */
		pr_warn("sysctls of pid %d's network namespace not restored: "
			"run 'xgro detach' in that namespace",
			s->pid);
		xgro_state_remove(s->id);
		return;
	}
	for (int i = 0; i < s->nsysctl; i++)
		restore_sysctl(&s->sysctl[i]);
	xgro_state_remove(s->id);
}
