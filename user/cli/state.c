// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Instance state: /run/xgro/<id>.pid (the pid alone) and <id>.state
 * (key value lines), written by `attach` once everything is in place and
 * read by the other commands. It records all that a crashed instance can
 * leave behind, so that `detach` can undo it.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

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

	err = xgro_mkdir_p(XGRO_RUN_DIR, 0755);
	if (err)
		return err;
	path_of(path, sizeof(path), s->id, "state");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "ifname %s\nifindex %d\npid %d\npin_dir %s\nmode %s\n",
		s->ifname, s->ifindex, s->pid, s->pin_dir, s->mode);
	fprintf(f, "prog_id %u\nlink_id %u\nqueues %u\nworkers %u\n",
		s->prog_id, s->link_id, s->queues, s->workers);
	fprintf(f, "xsk_mode %s\nreinject %s\ntap %s\ngso %s\n", s->xsk_mode,
		s->reinject, s->tap[0] ? s->tap : "-", s->gso[0] ? s->gso : "-");
	fprintf(f, "netns %llu\n", (unsigned long long)s->netns);
	fprintf(f, "jumbo %s\n", s->jumbo[0] ? s->jumbo : "-");
	for (int i = 0; i < s->nsysctl; i++)
		fprintf(f, "sysctl %s %s\n", s->sysctl[i].path,
			s->sysctl[i].value);
	if (fclose(f) || rename(tmp, path))
		return -errno;
	path_of(path, sizeof(path), s->id, "pid");
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "%d\n", s->pid);
	return fclose(f) ? -errno : 0;
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
		char key[32], a[PATH_MAX], b[64] = "";

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "%31s %4095s %63s", key, a, b) < 2)
			continue;
		if (!strcmp(key, "ifname"))
			snprintf(s->ifname, sizeof(s->ifname), "%s", a);
		else if (!strcmp(key, "ifindex"))
			s->ifindex = atoi(a);
		else if (!strcmp(key, "pid"))
			s->pid = atoi(a);
		else if (!strcmp(key, "pin_dir"))
			snprintf(s->pin_dir, sizeof(s->pin_dir), "%s", a);
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
		else if (!strcmp(key, "sysctl") && s->nsysctl < 8 && b[0]) {
			snprintf(s->sysctl[s->nsysctl].path,
				 sizeof(s->sysctl[0].path), "%s", a);
			snprintf(s->sysctl[s->nsysctl].value,
				 sizeof(s->sysctl[0].value), "%s", b);
			s->nsysctl++;
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

bool xgro_pid_alive(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (pid <= 0 || (kill(pid, 0) && errno == ESRCH))
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

const char *const xgro_pin_names[] = { "config",    "counters",
					  "flows",     "steer",
					  "heartbeat", "worker_stats",
					  "xsks",      NULL };

void xgro_state_cleanup(const struct xgro_state *s)
{
	char path[PATH_MAX + 32];

	/* only the pins we make, so a mistaken --pin-dir removes nothing
	 * of anybody else's */
	for (int i = 0; xgro_pin_names[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->pin_dir, xgro_pin_names[i]);
		if (unlink(path) && errno != ENOENT)
			pr_warn("removing pin %s: %s", path, strerror(errno));
	}
	if (s->pin_dir[0] && rmdir(s->pin_dir) && errno != ENOENT)
		pr_warn("removing %s: %s", s->pin_dir, strerror(errno));
	if (!strncmp(s->pin_dir, XGRO_PIN_ROOT "/", strlen(XGRO_PIN_ROOT) + 1))
		rmdir(XGRO_PIN_ROOT); /* fails harmlessly while others use it */
	/* the tap is not persistent: it went away with the instance's fds */
	if (s->nsysctl && s->netns != xgro_netns_id()) {
		/* /proc/sys/net is per namespace: writing here would change
		 * another namespace's settings, perhaps the host's */
		pr_warn("sysctls of pid %d's network namespace not restored: "
			"run 'xgro detach' in that namespace", s->pid);
		xgro_state_remove(s->id);
		return;
	}
	for (int i = 0; i < s->nsysctl; i++) {
		FILE *f = fopen(s->sysctl[i].path, "w");

		if (!f || fprintf(f, "%s\n", s->sysctl[i].value) < 0)
			pr_warn("restoring %s: %s", s->sysctl[i].path,
				strerror(errno));
		if (f)
			fclose(f);
	}
	xgro_state_remove(s->id);
}
