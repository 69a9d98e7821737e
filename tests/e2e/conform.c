// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The conformance table end to end (tests/lib/conform.c): each case's
 * frames crafted and sent from the sender's namespace on its veth end,
 * and what the receiver's stack gets read here, in the receiver's
 * namespace, on every device named (the tap xgro writes to and the veth
 * itself, which carries what the XDP program passes; packet sockets see
 * skbs after GRO). A FIN of the case's flow ends each case, as in the
 * kernel's selftest: it flushes whatever is held.
 *
 *   xgro-conform SENDER_NETNS SENDER_IF FAMILY MSS RX_IF...
 *
 * prints one line per case: "ROW group case vN {want} {got} devices".
 * Exit status 0 whatever the verdicts (the caller judges), 1 on error.
 * Frames of different devices are listed in the order they were read.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include "conform.h"

#define MAX_RX 4
#define CASE_TIMEOUT_MS 3000

static struct cf_build B;
static uint8_t rxbuf[70000];
static char label[MAX_RX]; /* t: xgro's tap (xg...), v: anything else */

static int packet_socket(const char *ifname, int *ifindex, uint8_t mac[6])
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL) };
	struct ifreq ifr = { 0 };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	if (fd < 0)
		return -errno;
	a.sll_ifindex = (int)if_nametoindex(ifname);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (!a.sll_ifindex || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		int err = -errno;

		close(fd);
		return err ? err : -ENODEV;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	*ifindex = a.sll_ifindex;
	return fd;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int send_frame(int fd, int ifindex, const uint8_t *f, size_t len)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET,
				 .sll_ifindex = ifindex,
				 .sll_halen = 6 };

	memcpy(a.sll_addr, f, 6);
	if (sendto(fd, f, len, 0, (struct sockaddr *)&a, sizeof(a)) !=
	    (ssize_t)len)
		return -errno;
	return 0;
}

/* Reads the case's frames until its FIN; got[] their payload sizes, dev
 * the device each came on. Returns how many, or -ETIMEDOUT. */
static int collect(const int *fds, int nfd, uint16_t sport, int *got,
		   char *devs, size_t cap)
{
	struct pollfd p[MAX_RX];
	uint64_t end = now_ms() + CASE_TIMEOUT_MS;
	int n = 0;

	for (int i = 0; i < nfd; i++)
		p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
	while (now_ms() < end) {
		if (poll(p, (nfds_t)nfd, 100) < 0)
			return -errno;
		for (int i = 0; i < nfd; i++) {
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			uint16_t sp;
			ssize_t len;
			int pay, fin;

			if (!(p[i].revents & POLLIN))
				continue;
			len = recvfrom(fds[i], rxbuf, sizeof(rxbuf), 0,
				       (struct sockaddr *)&from, &fl);
			if (len <= 0 || from.sll_pkttype == PACKET_OUTGOING)
				continue;
			pay = cf_payload(rxbuf, (size_t)len, &sp, &fin);
			if (pay < 0 || sp != sport)
				continue;
			if (fin)
				return n;
			if (n < CF_MAX_OUT * 2) {
				got[n] = pay;
				if (strlen(devs) + 4 < cap)
					devs[strlen(devs)] = label[i];
				n++;
			}
		}
	}
	return -ETIMEDOUT;
}

int main(int argc, char **argv)
{
	int rx[MAX_RX], nrx = 0, tx, tx_if, fam, nsfd, unused;
	uint8_t rmac[6], smac[6], mac[6];
	char path[256];
	unsigned mss;

	if (argc < 6 || argc - 5 > MAX_RX) {
		fprintf(stderr,
			"usage: %s SENDER_NETNS SENDER_IF 4|6 MSS RX_IF...\n",
			argv[0]);
		return 2;
	}
	fam = atoi(argv[3]);
	mss = (unsigned)atoi(argv[4]);
	for (int i = 5; i < argc; i++) {
		rx[nrx] = packet_socket(argv[i], &unused, mac);
		label[nrx] = strncmp(argv[i], "xg", 2) ? 'v' : 't';
		if (label[nrx] == 'v') /* the wire's end: frames are for it */
			memcpy(rmac, mac, 6);
		if (rx[nrx] < 0) {
			fprintf(stderr, "%s: %s\n", argv[i],
				strerror(-rx[nrx]));
			return 1;
		}
		nrx++;
	}
	/* the sender's socket lives in its namespace; ours stay in this one */
	snprintf(path, sizeof(path), "/run/netns/%s", argv[1]);
	nsfd = open(path, O_RDONLY);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET)) {
		perror(path);
		return 1;
	}
	tx = packet_socket(argv[2], &tx_if, smac);
	if (tx < 0) {
		fprintf(stderr, "%s: %s\n", argv[2], strerror(-tx));
		return 1;
	}
	for (size_t c = 0; c < cf_ncases; c++) {
		int got[CF_MAX_OUT * 2], n;
		char w[96], g[96], devs[CF_MAX_OUT * 2 + 4] = "";
		static uint8_t fin[256];
		size_t finlen;

		memset(&B, 0, sizeof(B));
		B.family = fam;
		B.mss = mss;
		B.sport = (uint16_t)(20000 + 2 * c + (fam == 6));
		memcpy(B.dmac, rmac, 6);
		memcpy(B.smac, smac, 6);
		if (cf_build(&cf_cases[c], &B))
			continue;
		for (int i = 0; i < B.n; i++)
			if (send_frame(tx, tx_if, B.frame[i], B.len[i])) {
				perror("sendto");
				return 1;
			}
		B.f.flags = 0x11; /* FIN, ACK: ends the case */
		B.f.v6_ext = PG_EXT_NONE;
		B.f.ipoptlen = 0;
		B.f.mf = false;
		finlen = pg_build(&B.f, NULL, 0, fin, sizeof(fin));
		usleep(20000);
		if (!finlen || send_frame(tx, tx_if, fin, finlen)) {
			perror("sendto FIN");
			return 1;
		}
		n = collect(rx, nrx, B.sport, got, devs, sizeof(devs));
		printf("ROW %s %s v%d %s %s %s\n", cf_cases[c].group,
		       cf_cases[c].name, fam,
		       cf_sizes(B.want, B.nwant, w, sizeof(w)),
		       n < 0 ? "{timeout}" : cf_sizes(got, n, g, sizeof(g)),
		       devs[0] ? devs : "-");
		fflush(stdout);
	}
	return 0;
}
