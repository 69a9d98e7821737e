// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro-xfer: traffic for the end-to-end tests, with nothing to install.
 *   gen BYTES SEED                 the stream `send` sends, to stdout
 *   send ADDR PORT BYTES SEED [BPS] one TCP connection, then close; BPS
 *                                  paces it (SO_MAX_PACING_RATE, bytes/s)
 *   recv PORT                      accept one connection, data to stdout
 *   rr-server PORT                 echo each SIZE-byte request
 *   rr ADDR PORT ROUNDS SIZE       request/response rounds; prints p50/p99
 *   udp-send ADDR PORT COUNT SIZE  numbered datagrams
 *   udp-recv PORT COUNT SIZE [gro] checks each datagram once and intact;
 *                                  with gro, uses UDP_GRO and splits buffers
 *   junk MAC IFACE COUNT SEED      malformed frames from a raw socket
 *   relay IF_A IF_B PPM SEED       an L2 wire between two interfaces that
 *                                  swaps PPM per million A->B frames with
 *                                  the next one (reordering), until killed
 * ADDR may be IPv4 or IPv6. Exit status 0 only if everything checked out.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef UDP_GRO
#define UDP_GRO 104
#endif

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = next();

		memcpy(b + i, &x, n - i < 8 ? n - i : 8);
	}
}

static int die(const char *what)
{
	fprintf(stderr, "xgro-xfer: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int resolve(const char *addr, const char *port, int type,
		   struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = type }, *ai;

	if (getaddrinfo(addr, port, &hints, &ai))
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return ss->ss_family;
}

static int listen_on(const char *port, int type)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)atoi(port)) };
	int fd = socket(AF_INET6, type, 0), one = 1, zero = 0;

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
	if (type == SOCK_STREAM && listen(fd, 8))
		die("listen");
	return fd;
}

static int connect_to(const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, fam = resolve(addr, port, SOCK_STREAM, &ss, &len);

	if (fam < 0)
		die("address");
	fd = socket(fam, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	for (int i = 0; connect(fd, (struct sockaddr *)&ss, len); i++) {
		if (i == 100)
			die("connect");
		usleep(50000);
	}
	return fd;
}

static void write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		b += w;
		n -= (size_t)w;
	}
}

static size_t read_full(int fd, uint8_t *b, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, b + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* datagram i: 8-byte index, then bytes derived from it */
static void dgram(uint8_t *b, size_t size, uint64_t i)
{
	rng = i * 0x9e3779b97f4a7c15ull + 7;
	memcpy(b, &i, 8);
	fill(b + 8, size - 8);
}

static int udp_check(const uint8_t *b, size_t n, size_t size, uint8_t *seen,
		     uint64_t count, uint64_t *ok, uint64_t *bad)
{
	static uint8_t want[65536];
	uint64_t i;

	if (n != size) {
		(*bad)++;
		return 0;
	}
	memcpy(&i, b, 8);
	if (i >= count || seen[i]) {
		(*bad)++;
		return 0;
	}
	dgram(want, size, i);
	if (memcmp(want, b, size)) {
		(*bad)++;
		return 0;
	}
	seen[i] = 1;
	(*ok)++;
	return 1;
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "gen") && argc == 4) {
		uint64_t n = strtoull(argv[2], NULL, 10);

		rng = strtoull(argv[3], NULL, 10) * 2654435761u + 1;
		for (uint64_t done = 0; done < n;) {
			size_t k =
				n - done < sizeof(buf) ? n - done : sizeof(buf);

			fill(buf, k);
			write_all(1, buf, k);
			done += k;
		}
		return 0;
	}
	if (!strcmp(cmd, "send") && (argc == 6 || argc == 7)) {
		int fd = connect_to(argv[2], argv[3]);
		uint64_t n = strtoull(argv[4], NULL, 10);

		if (argc == 7) {
			unsigned long rate = strtoul(argv[6], NULL, 10);

			if (setsockopt(fd, SOL_SOCKET, SO_MAX_PACING_RATE,
				       &rate, sizeof(rate)))
				return die("SO_MAX_PACING_RATE");
		}

		rng = strtoull(argv[5], NULL, 10) * 2654435761u + 1;
		for (uint64_t done = 0; done < n;) {
			size_t k =
				n - done < sizeof(buf) ? n - done : sizeof(buf);

			fill(buf, k);
			write_all(fd, buf, k);
			done += k;
		}
		shutdown(fd, SHUT_WR);
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		return close(fd);
	}
	if (!strcmp(cmd, "recv") && argc == 3) {
		int l = listen_on(argv[2], SOCK_STREAM),
		    fd = accept(l, NULL, NULL);
		ssize_t r;

		if (fd < 0)
			die("accept");
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			write_all(1, buf, (size_t)r);
		return r < 0 ? die("read") : 0;
	}
	if (!strcmp(cmd, "rr-server") && argc == 3) {
		int l = listen_on(argv[2], SOCK_STREAM),
		    fd = accept(l, NULL, NULL);
		ssize_t r;

		while ((r = read(fd, buf, sizeof(buf))) > 0)
			write_all(fd, buf, (size_t)r);
		return 0;
	}
	if (!strcmp(cmd, "rr") && argc == 6) {
		int fd = connect_to(argv[2], argv[3]), one = 1;
		uint64_t rounds = strtoull(argv[4], NULL, 10), *lat;
		size_t size = strtoull(argv[5], NULL, 10);

		if (!rounds || size > sizeof(buf) / 2)
			return 2;
		lat = calloc(rounds, sizeof(*lat));
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		rng = 99;
		for (uint64_t i = 0; i < rounds; i++) {
			uint64_t t0 = now_ns();

			fill(buf, size);
			write_all(fd, buf, size);
			if (read_full(fd, buf + size, size) != size ||
			    memcmp(buf, buf + size, size)) {
				fprintf(stderr,
					"xgro-xfer: round %llu: bad echo\n",
					(unsigned long long)i);
				return 1;
			}
			lat[i] = now_ns() - t0;
		}
		qsort(lat, rounds, sizeof(*lat), cmp_u64);
		printf("rounds %llu p50_us %.1f p99_us %.1f\n",
		       (unsigned long long)rounds, lat[rounds / 2] / 1e3,
		       lat[rounds * 99 / 100] / 1e3);
		return 0;
	}
	if (!strcmp(cmd, "udp-send") && argc == 6) {
		struct sockaddr_storage ss;
		socklen_t len;
		int fam = resolve(argv[2], argv[3], SOCK_DGRAM, &ss, &len), fd;
		uint64_t count = strtoull(argv[4], NULL, 10);
		size_t size = strtoull(argv[5], NULL, 10);

		if (fam < 0 || size < 8 || size > 1472)
			return 2;
		fd = socket(fam, SOCK_DGRAM, 0);
		for (uint64_t i = 0; i < count; i++) {
			dgram(buf, size, i);
			while (sendto(fd, buf, size, 0, (struct sockaddr *)&ss,
				      len) < 0)
				if (errno != ENOBUFS && errno != EAGAIN)
					die("sendto");
			/* a little pacing: a receiver buffer overflow is not
			 * what these tests look for */
			if (i % 64 == 63)
				usleep(200);
		}
		return 0;
	}
	if (!strcmp(cmd, "udp-recv") && (argc == 5 || argc == 6)) {
		int fd = listen_on(argv[2], SOCK_DGRAM), one = 1,
		    rcv = 16 << 20;
		uint64_t count = strtoull(argv[3], NULL, 10), ok = 0, bad = 0,
			 big = 0;
		size_t size = strtoull(argv[4], NULL, 10);
		uint8_t *seen = calloc(count, 1);
		bool gro = argc == 6 && !strcmp(argv[5], "gro");
		char cbuf[CMSG_SPACE(sizeof(int))];

		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		if (gro &&
		    setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one)))
			die("UDP_GRO");
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			struct iovec iov = { buf, sizeof(buf) };
			struct msghdr mh = { .msg_iov = &iov,
					     .msg_iovlen = 1,
					     .msg_control = cbuf,
					     .msg_controllen = sizeof(cbuf) };
			int seg = 0;
			ssize_t r;

			if (ok == count || poll(&p, 1, 3000) <= 0)
				break;
			r = recvmsg(fd, &mh, 0);
			if (r < 0)
				die("recvmsg");
			for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
			     c = CMSG_NXTHDR(&mh, c))
				if (c->cmsg_level == IPPROTO_UDP &&
				    c->cmsg_type == UDP_GRO)
					memcpy(&seg, CMSG_DATA(c), sizeof(seg));
			if (!seg)
				seg = (int)r;
			if (r > seg)
				big++;
			for (ssize_t o = 0; o < r; o += seg)
				udp_check(buf + o,
					  (size_t)(r - o < seg ? r - o : seg),
					  size, seen, count, &ok, &bad);
		}
		printf("datagrams %llu ok %llu bad %llu coalesced_reads %llu\n",
		       (unsigned long long)count, (unsigned long long)ok,
		       (unsigned long long)bad, (unsigned long long)big);
		return ok == count && !bad ? 0 : 1;
	}
	if (!strcmp(cmd, "junk") && argc == 6) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET };
		uint8_t mac[6];
		uint64_t count = strtoull(argv[4], NULL, 10);
		int fd = socket(AF_PACKET, SOCK_RAW, 0);

		rng = strtoull(argv[5], NULL, 10) + 1;
		if (sscanf(argv[2], "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0],
			   &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
			return 2;
		sll.sll_ifindex = (int)if_nametoindex(argv[3]);
		if (fd < 0 || !sll.sll_ifindex ||
		    bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
			die("packet socket");
		for (uint64_t i = 0; i < count; i++) {
			/* a TCP/IPv4 frame to the receiver, then one lie */
			uint8_t *ip = buf + 14, *th = ip + 20;
			size_t len = 14 + 20 + 20 + (next() % 1400);
			unsigned kind = (unsigned)(next() % 8);

			memset(buf, 0, 64);
			memcpy(buf, mac, 6);
			buf[6] = 0x02;
			buf[12] = 0x08;
			ip[0] = 0x45;
			ip[2] = (uint8_t)((len - 14) >> 8);
			ip[3] = (uint8_t)(len - 14);
			ip[8] = 64;
			ip[9] = 6;
			memcpy(ip + 12, "\x0a\x63\x00\x01\x0a\x63\x00\x02", 8);
			th[0] = 0x30; /* port 12345 -> 9 */
			th[1] = 0x39;
			th[3] = 9;
			th[12] = 0x50;
			th[13] = 0x10;
			fill(th + 20, len - 54);
			switch (kind) {
			case 0: /* IP length beyond the frame */
				ip[2] = 0xff;
				break;
			case 1: /* IHL below 5 */
				ip[0] = 0x43;
				break;
			case 2: /* TCP header longer than the packet */
				th[12] = 0xf0;
				len = 14 + 20 + 24;
				ip[2] = 0;
				ip[3] = 44;
				break;
			case 3: /* truncated mid-header */
				len = 14 + 10;
				break;
			case 4: /* strange options: all bytes 0xff */
				th[12] = 0xf0;
				memset(th + 20, 0xff, 40);
				if (len < 14 + 20 + 60 + 1)
					len = 14 + 20 + 61;
				ip[2] = (uint8_t)((len - 14) >> 8);
				ip[3] = (uint8_t)(len - 14);
				break;
			case 5: /* zero payload with PSH */
				th[13] = 0x18;
				len = 54;
				ip[3] = 40;
				ip[2] = 0;
				break;
			default: /* bad checksums, odd sizes: left as they are
				  */
				len |= 1;
				ip[2] = (uint8_t)((len - 14) >> 8);
				ip[3] = (uint8_t)(len - 14);
				break;
			}
			if (kind >= 4) { /* a valid IP header around the lie */
				uint32_t sum = 0;

				ip[10] = ip[11] = 0;
				for (int k = 0; k < 20; k += 2)
					sum += (uint32_t)(ip[k] << 8 |
							  ip[k + 1]);
				sum = (sum & 0xffff) + (sum >> 16);
				sum = (sum & 0xffff) + (sum >> 16);
				ip[10] = (uint8_t)(~sum >> 8);
				ip[11] = (uint8_t)~sum;
			}
			if (send(fd, buf, len, 0) < 0 && errno != ENOBUFS)
				die("send");
		}
		return 0;
	}
	if (!strcmp(cmd, "relay") && argc == 6) {
		int fd[2], one = 1;
		uint64_t ppm = strtoull(argv[4], NULL, 10), swapped = 0;
		static uint8_t held[1 << 16];
		ssize_t held_len = 0;

		rng = strtoull(argv[5], NULL, 10) + 1;
		for (int i = 0; i < 2; i++) {
			struct sockaddr_ll sll = { .sll_family = AF_PACKET,
						   .sll_protocol =
							   htons(ETH_P_ALL) };

			sll.sll_ifindex = (int)if_nametoindex(argv[2 + i]);
			fd[i] = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
			if (fd[i] < 0 || !sll.sll_ifindex ||
			    setsockopt(fd[i], SOL_PACKET,
				       PACKET_IGNORE_OUTGOING, &one,
				       sizeof(one)) ||
			    bind(fd[i], (struct sockaddr *)&sll, sizeof(sll)))
				die("relay socket");
		}
		for (;;) {
			struct pollfd p[2] = { { fd[0], POLLIN, 0 },
					       { fd[1], POLLIN, 0 } };
			int n = poll(p, 2, held_len ? 1 : -1);

			if (n < 0 && errno != EINTR)
				die("poll");
			if (!n && held_len) { /* nothing followed: let it go */
				send(fd[1], held, (size_t)held_len, 0);
				held_len = 0;
			}
			for (int i = 0; i < 2; i++) {
				ssize_t r;

				if (p[i].revents &
				    (POLLERR | POLLHUP | POLLNVAL))
					return 0; /* the wire went away */
				if (!(p[i].revents & POLLIN))
					continue;
				r = recv(fd[i], buf, sizeof(buf), MSG_DONTWAIT);
				if (r < 0 && errno != EAGAIN && errno != EINTR)
					return 0;
				if (r <= 0)
					continue;
				if (i == 0 && !held_len &&
				    next() % 1000000 < ppm) {
					memcpy(held, buf, (size_t)r);
					held_len = r;
					swapped++;
					continue;
				}
				if (send(fd[!i], buf, (size_t)r, 0) < 0 &&
				    errno != EMSGSIZE && errno != ENOBUFS)
					die("relay send");
				if (i == 0 && held_len) {
					send(fd[1], held, (size_t)held_len, 0);
					held_len = 0;
				}
			}
		}
	}
	fprintf(stderr,
		"usage: see the comment at the top of tests/e2e/xfer.c\n");
	return 2;
}
