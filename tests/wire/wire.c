// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * xgro-wire: TCP traffic as a NIC delivers it, for tests and benchmarks.
 *
 *   send  N real TCP connections to a listening socket, in the sender's
 *         network namespace. The handshake and FIN go out through an
 *         AF_PACKET socket; data segments are XDP frames made by wire_tx
 *         under BPF_PROG_RUN in live-frames mode and sent with XDP_TX, so
 *         they reach the receiving veth as xdp_frames, uncopied, with full
 *         checksums. wire_rx, attached to the interface, absorbs every
 *         segment of these connections, so the namespace's own stack never
 *         takes part (no RST, no ACK processing in anyone's thread).
 *   sink  accept N connections, read them to EOF, print bytes and
 *         (--sha) the SHA-256 of each
 *   gen   the stream of one flow, to stdout (or its SHA-256)
 *   pass  attach an XDP_PASS program until SIGINT/SIGTERM
 *
 * See xgro-wire --help and docs/wire.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "wire.h"
#include "wire.skel.h"

#ifndef BPF_F_TEST_XDP_LIVE_FRAMES
#define BPF_F_TEST_XDP_LIVE_FRAMES (1U << 1)
#endif

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* this thread's CPU time in ns, exact (not the tick-sampled utime/stime) */
static uint64_t cpu_ns(void)
{
	unsigned long long ns = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");

	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ull),
			       .tv_nsec = (long)(ns % 1000000000ull) };

	nanosleep(&ts, NULL);
}

/* ---- checksums: sums of 16-bit words as they lie in memory ---- */

static uint64_t sum16(const void *p, size_t n, uint64_t s)
{
	const uint8_t *b = p;
	uint16_t w;

	for (; n >= 2; n -= 2, b += 2) {
		memcpy(&w, b, 2);
		s += w;
	}
	if (n) {
		uint8_t last[2] = { b[0], 0 };

		memcpy(&w, last, 2);
		s += w;
	}
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* ---- SHA-256 (FIPS 180-4), for the sink and gen --sha ---- */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len;
};

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void sha256_block(struct sha256 *c, const uint8_t *p)
{
	uint32_t w[64], a, b, d, e, f, g, h, cc, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 64; i++)
		w[i] = w[i - 16] +
		       (ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^
			w[i - 15] >> 3) +
		       w[i - 7] +
		       (ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ w[i - 2] >> 10);
	a = c->h[0], b = c->h[1], cc = c->h[2], d = c->h[3];
	e = c->h[4], f = c->h[5], g = c->h[6], h = c->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) +
		     ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) +
		     ((a & b) ^ (a & cc) ^ (b & cc));
		h = g, g = f, f = e, e = d + t1;
		d = cc, cc = b, b = a, a = t1 + t2;
	}
	c->h[0] += a, c->h[1] += b, c->h[2] += cc, c->h[3] += d;
	c->h[4] += e, c->h[5] += f, c->h[6] += g, c->h[7] += h;
}

static void sha256_init(struct sha256 *c)
{
	static const uint32_t h0[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372,
					0xa54ff53a, 0x510e527f, 0x9b05688c,
					0x1f83d9ab, 0x5be0cd19 };

	memcpy(c->h, h0, sizeof(h0));
	c->len = 0;
}

static void sha256_update(struct sha256 *c, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t have = c->len % 64;

	c->len += n;
	if (have) {
		size_t take = 64 - have < n ? 64 - have : n;

		memcpy(c->buf + have, p, take);
		p += take, n -= take;
		if (have + take < 64)
			return;
		sha256_block(c, c->buf);
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(c, p);
	memcpy(c->buf, p, n);
}

static void sha256_hex(struct sha256 *c, char out[65])
{
	uint64_t bits = c->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (c->len % 64 < 56 ? 56 : 120) - c->len % 64;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(c, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", c->h[i]);
}

/* ---- the stream ---- */

/* segment k of flow f, mss bytes */
static void gen_segment(uint8_t *seg, unsigned int mss, unsigned int f,
			uint64_t k)
{
	uint64_t idx = (uint64_t)f << 56 | k;

	for (int i = 0; i < 8; i++)
		seg[i] = (uint8_t)(idx >> (56 - 8 * i));
	for (unsigned int j = 8; j < mss; j++)
		seg[j] = wire_pattern(j);
}

/* ---- the interface: addresses and the neighbour ---- */

struct iface {
	const char *name;
	int ifindex, mtu;
	uint8_t mac[6];
};

static int iface_get(struct iface *ifc)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifc->name);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		err = -errno;
	else
		memcpy(ifc->mac, ifr.ifr_hwaddr.sa_data, 6);
	if (!err && ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		err = -errno;
	else
		ifc->mtu = ifr.ifr_mtu;
	close(fd);
	ifc->ifindex = (int)if_nametoindex(ifc->name);
	if (!ifc->ifindex)
		err = -ENODEV;
	return err;
}

/* an address of IF in the family of dst (not link-local for IPv6) */
static int iface_addr(const char *name, int family, void *out)
{
	struct ifaddrs *ifa, *i;
	int err = -EADDRNOTAVAIL;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family ||
		    strcmp(i->ifa_name, name))
			continue;
		if (family == AF_INET) {
			memcpy(out,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			       4);
		} else {
			struct in6_addr *a =
				&((struct sockaddr_in6 *)i->ifa_addr)
					 ->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a))
				continue;
			memcpy(out, a, 16);
		}
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

/* the MAC of dst in the neighbour table of ifindex, through rtnetlink */
static int neigh_lookup(int ifindex, int family, const void *dst, uint8_t *mac)
{
	struct {
		struct nlmsghdr nh;
		struct ndmsg nd;
	} req = { .nh = { .nlmsg_len = sizeof(req),
			  .nlmsg_type = RTM_GETNEIGH,
			  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		  .nd = { .ndm_family = (uint8_t)family } };
	size_t alen = family == AF_INET ? 4 : 16;
	static char buf[1 << 16];
	int fd, err = -ENOENT;
	bool done = false;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *nh;

		if (n < 0) {
			err = -errno;
			break;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		     nh = NLMSG_NEXT(nh, n)) {
			struct ndmsg *nd = NLMSG_DATA(nh);
			struct rtattr *rta =
				(struct rtattr *)((char *)nd +
						  NLMSG_ALIGN(sizeof(*nd)));
			int len = (int)(nh->nlmsg_len -
					NLMSG_LENGTH(sizeof(*nd)));
			const void *a = NULL, *ll = NULL;

			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			if (nd->ndm_ifindex != ifindex ||
			    (nd->ndm_state & (NUD_FAILED | NUD_INCOMPLETE)))
				continue;
			for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
				if (rta->rta_type == NDA_DST &&
				    RTA_PAYLOAD(rta) == alen)
					a = RTA_DATA(rta);
				if (rta->rta_type == NDA_LLADDR &&
				    RTA_PAYLOAD(rta) == 6)
					ll = RTA_DATA(rta);
			}
			if (a && ll && !memcmp(a, dst, alen)) {
				memcpy(mac, ll, 6);
				err = 0;
			}
		}
	}
out:
	close(fd);
	return err;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5]) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

/* ---- send ---- */

struct send_opts {
	const char *dev, *dst, *dst_mac;
	unsigned int port, flows, mss, batch, kbatch, burst, sport, rto_ms;
	uint64_t bytes;
	double secs, rate_gbit;
	int cpu;
	bool json, no_wscale, no_cc;
};

struct flow {
	uint32_t iss, seq0;
	uint64_t una, nxt, max; /* stream offsets */
	uint64_t end; /* stream length; UINT64_MAX while --secs runs */
	uint64_t cwnd, ssthresh;
	uint64_t recover, rtx_at; /* rtx_at: a segment to resend, or ~0 */
	bool in_recovery, fin_acked, peer_fin_acked;
	uint64_t progress_ns, acked_ns, fin_sent_ns;
	uint64_t segs, rtx, timeouts, fast_rtx;
};

struct sender {
	struct send_opts o;
	struct iface ifc;
	struct wire *skel;
	struct bpf_link *link;
	int pkt_fd, family;
	unsigned int mss, hdr_len; /* Ethernet + IP + TCP */
	struct flow *fl;
	uint8_t *tmpl;
	struct xdp_md xmd;
	uint64_t runs, run_err, run_ns, idle, id_waits;
};

/* a control segment (SYN, ACK, FIN) through the AF_PACKET socket */
static int send_ctl(struct sender *s, unsigned int i, uint8_t flags,
		    uint32_t seq, uint32_t ack)
{
	struct wire_cfg *c = &s->skel->bss->cfg;
	uint8_t f[128] = { 0 }, *ip = f + 14, *th, ph[40] = { 0 };
	unsigned int l3 = s->family == AF_INET ? 20 : 40, olen = 0, tl;
	uint16_t v;
	uint64_t sum;

	memcpy(f, c->dmac, 6);
	memcpy(f + 6, c->smac, 6);
	th = ip + l3;
	if (flags & TCP_SYN) {
		th[20] = 2, th[21] = 4; /* MSS */
		th[22] = (uint8_t)(s->o.mss >> 8), th[23] = (uint8_t)s->o.mss;
		olen = 4;
		if (!s->o.no_wscale) {
			th[24] = 1, th[25] = 3, th[26] = 3, th[27] = 7;
			olen = 8;
		}
	}
	tl = 20 + olen;
	if (s->family == AF_INET) {
		f[12] = 0x08, f[13] = 0x00;
		ip[0] = 0x45;
		v = htons((uint16_t)(20 + tl));
		memcpy(ip + 2, &v, 2);
		ip[6] = 0x40; /* DF */
		ip[8] = 64, ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, c->saddr, 4);
		memcpy(ip + 16, c->daddr, 4);
		v = (uint16_t)~fold(sum16(ip, 20, 0));
		memcpy(ip + 10, &v, 2);
		memcpy(ph, c->saddr, 4);
		memcpy(ph + 4, c->daddr, 4);
		ph[9] = IPPROTO_TCP;
		ph[10] = (uint8_t)(tl >> 8), ph[11] = (uint8_t)tl;
		sum = sum16(ph, 12, 0);
	} else {
		f[12] = 0x86, f[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (uint8_t)(tl >> 8), ip[5] = (uint8_t)tl;
		ip[6] = IPPROTO_TCP, ip[7] = 64;
		memcpy(ip + 8, c->saddr, 16);
		memcpy(ip + 24, c->daddr, 16);
		memcpy(ph, c->saddr, 16);
		memcpy(ph + 16, c->daddr, 16);
		ph[34] = (uint8_t)(tl >> 8), ph[35] = (uint8_t)tl;
		ph[39] = IPPROTO_TCP;
		sum = sum16(ph, 40, 0);
	}
	memcpy(th, &s->skel->bss->flows[i].sport, 2);
	v = htons((uint16_t)s->o.port);
	memcpy(th + 2, &v, 2);
	seq = htonl(seq), ack = htonl(ack);
	memcpy(th + 4, &seq, 4);
	memcpy(th + 8, &ack, 4);
	th[12] = (uint8_t)((tl / 4) << 4);
	th[13] = flags;
	th[14] = 0xff, th[15] = 0xff;
	v = (uint16_t)~fold(sum16(th, tl, sum));
	memcpy(th + 16, &v, 2);
	if (send(s->pkt_fd, f, 14 + l3 + tl, 0) < 0)
		return -errno;
	return 0;
}

static volatile struct wire_ack *ack_of(struct sender *s, unsigned int i)
{
	return &s->skel->bss->acks[i];
}

static int handshake(struct sender *s)
{
	uint64_t t0 = now_ns(), last = 0;
	unsigned int i, ready = 0, tries = 0;

	while (ready < s->o.flows) {
		if (stop)
			return -EINTR;
		if (now_ns() - t0 > 3000000000ull) {
			fprintf(stderr,
				"xgro-wire: %s port %u: no SYN-ACK in 3 s\n",
				s->o.dst, s->o.port);
			return -ETIMEDOUT;
		}
		if (now_ns() - last > 200000000ull) { /* (re)send the SYNs */
			for (i = 0; i < s->o.flows; i++) {
				int err;

				if (ack_of(s, i)->state & WIRE_SYNACK)
					continue;
				err = send_ctl(s, i, TCP_SYN, s->fl[i].iss, 0);
				if (err) {
					fprintf(stderr,
						"xgro-wire: %s: send SYN: %s\n",
						s->o.dev, strerror(-err));
					return err;
				}
			}
			last = now_ns();
			tries++;
		}
		sleep_ns(100000);
		for (ready = 0, i = 0; i < s->o.flows; i++) {
			volatile struct wire_ack *a = ack_of(s, i);

			if (a->state & WIRE_RST) {
				fprintf(stderr,
					"xgro-wire: %s port %u: connection "
					"refused\n",
					s->o.dst, s->o.port);
				return -ECONNREFUSED;
			}
			if (a->state & WIRE_SYNACK)
				ready++;
		}
	}
	(void)tries;
	return 0;
}

/* the data phase's per-flow state, the template and the checksum bases */
static int setup_data(struct sender *s)
{
	struct wire_cfg *c = &s->skel->bss->cfg;
	unsigned int i, l3 = s->family == AF_INET ? 20 : 40;
	uint8_t *ip, *th, ph[40] = { 0 };
	uint64_t sum;
	uint16_t v;

	s->mss = s->o.mss;
	for (i = 0; i < s->o.flows; i++)
		if (ack_of(s, i)->peer_mss < s->mss)
			s->mss = ack_of(s, i)->peer_mss;
	if (s->mss < 64) {
		fprintf(stderr, "xgro-wire: %s: MSS %u too small\n", s->o.dst,
			s->mss);
		return -EINVAL;
	}
	s->hdr_len = 14 + l3 + 20;
	c->mss = (uint16_t)s->mss;
	s->tmpl = calloc(1, s->hdr_len + s->mss);
	if (!s->tmpl)
		return -ENOMEM;
	gen_segment(s->tmpl + s->hdr_len, s->mss, 0, 0); /* index rewritten */
	memset(s->tmpl + s->hdr_len, 0, 8);
	ip = s->tmpl + 14;
	th = ip + l3;
	if (s->family == AF_INET) {
		ip[0] = 0x45;
		v = htons((uint16_t)(40 + s->mss));
		memcpy(ip + 2, &v, 2);
		ip[6] = 0x40;
		ip[8] = 64, ip[9] = IPPROTO_TCP;
		memcpy(ip + 12, c->saddr, 4);
		memcpy(ip + 16, c->daddr, 4);
		c->ip_base = fold(sum16(ip, 20, 0));
		memcpy(ph, c->saddr, 4);
		memcpy(ph + 4, c->daddr, 4);
		ph[9] = IPPROTO_TCP;
		ph[10] = (uint8_t)((20 + s->mss) >> 8);
		ph[11] = (uint8_t)(20 + s->mss);
		sum = sum16(ph, 12, 0);
	} else {
		memcpy(ph, c->saddr, 16);
		memcpy(ph + 16, c->daddr, 16);
		ph[34] = (uint8_t)((20 + s->mss) >> 8);
		ph[35] = (uint8_t)(20 + s->mss);
		ph[39] = IPPROTO_TCP;
		sum = sum16(ph, 40, 0);
	}
	/* the fixed payload's sum, once for all frames */
	sum = sum16(s->tmpl + s->hdr_len, s->mss, sum);
	for (i = 0; i < s->o.flows; i++) {
		struct wire_flow *wf = &s->skel->bss->flows[i];
		volatile struct wire_ack *a = ack_of(s, i);
		uint8_t h[20] = { 0 };
		uint32_t ack;

		wf->ack = a->peer_isn + 1;
		memcpy(h, &wf->sport, 2);
		v = htons((uint16_t)s->o.port);
		memcpy(h + 2, &v, 2);
		ack = htonl(wf->ack);
		memcpy(h + 8, &ack, 4);
		h[12] = 0x50, h[13] = TCP_ACK;
		h[14] = 0xff, h[15] = 0xff;
		wf->csum_base = fold(sum16(h, 20, sum));
	}
	(void)th;
	s->xmd.data = 0;
	s->xmd.data_end = s->hdr_len + s->mss;
	s->xmd.ingress_ifindex = (uint32_t)s->ifc.ifindex;
	s->xmd.rx_queue_index = 0;
	c->frame_len = s->hdr_len + s->mss;
	return 0;
}

/* frames of the plan, one BPF_PROG_RUN.
 *
 * Each live-frames run costs the kernel a page pool and an XDP memory-model
 * ID (xdp_test_run_setup -> xdp_reg_mem_model). The IDs are machine-wide,
 * 65534 in all (MEM_ID_MAX), and a run's ID comes back only when its pool is
 * freed: when its last page is back from the receiver, checked once a second
 * (page_pool_release_retry), then an RCU grace period. Each free walks every
 * registered model under the lock that xdp_reg_mem_model takes too
 * (mem_allocator_disconnect), so a backlog slows every later run. Thousands of
 * small runs a second exhaust the IDs: the run fails with ENOSPC (from
 * ida_alloc_range). data_phase therefore makes few, full runs; if the IDs are
 * short all the same (another user on the machine), wait for the kernel to
 * give some back rather than fail. */
static int run_plan(struct sender *s, unsigned int n)
{
	struct wire_cfg *c = &s->skel->bss->cfg;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = s->tmpl,
		    .data_size_in = s->hdr_len + s->mss, .ctx_in = &s->xmd,
		    .ctx_size_in = sizeof(s->xmd), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = s->o.kbatch);
	int err;

	uint64_t t = now_ns();

	c->plan_len = n;
	c->plan_pos = 0;
	for (unsigned int tries = 0;; tries++) {
		err = bpf_prog_test_run_opts(
			bpf_program__fd(s->skel->progs.wire_xdp), &o);
		/* ENOSPC comes from setup, before any frame went out */
		if (!err || errno != ENOSPC || tries >= 300 || stop)
			break;
		if (!s->id_waits++)
			fprintf(stderr,
				"xgro-wire: %s: BPF_PROG_RUN: no XDP "
				"memory-model "
				"ID free (ENOSPC), waiting for the kernel to "
				"free page pools\n",
				s->o.dev);
		sleep_ns(10000000);
		c->plan_pos = 0;
		/* libbpf writes the kernel's sizes back into o: a
		 * data_size_out left there would be a limit next time */
		o.data_size_out = 0;
		o.ctx_size_out = 0;
	}
	s->runs++;
	s->run_ns += now_ns() - t;
	if (err) {
		err = -errno;
		if (err == -EINTR)
			return 0;
		fprintf(stderr, "xgro-wire: %s: BPF_PROG_RUN live frames: %s\n",
			s->o.dev, strerror(-err));
		return err;
	}
	return 0;
}

/* what the ACKs say: una, recovery, timeouts. Returns the window's end. */
static uint64_t flow_update(struct sender *s, unsigned int i, uint64_t now)
{
	struct flow *f = &s->fl[i];
	volatile struct wire_ack *a = ack_of(s, i);
	uint32_t una_raw = a->una, wnd_raw = a->wnd_end;
	int32_t d = (int32_t)(una_raw - (uint32_t)(f->seq0 + f->una));
	uint64_t una = f->una, wend, mss = s->mss;

	if (d > 0) {
		una += (uint64_t)d;
		if (una > f->max) /* the FIN's sequence number */
			una = f->max;
	}
	if (una > f->una) {
		uint64_t acked = una - f->una;

		f->una = una;
		f->progress_ns = now;
		f->acked_ns = now;
		if (f->nxt < una)
			f->nxt = una;
		if (f->in_recovery) {
			if (una >= f->recover)
				f->in_recovery = false;
			else
				f->rtx_at = una; /* partial ACK: next hole */
		} else if (f->cwnd < f->ssthresh) {
			f->cwnd += acked;
		} else {
			f->cwnd += mss * acked / f->cwnd + 1;
		}
	}
	if (!f->in_recovery && a->dupacks >= 3 && f->una < f->max) {
		/* fast retransmit: the segment at una, then go on */
		f->in_recovery = true;
		f->recover = f->max;
		f->rtx_at = f->una;
		f->ssthresh = (f->max - f->una) / 2 > 2 * mss
				      ? (f->max - f->una) / 2
				      : 2 * mss;
		f->cwnd = f->ssthresh;
		f->fast_rtx++;
	}
	if (f->una < f->max &&
	    now - f->progress_ns > s->o.rto_ms * 1000000ull) {
		/* timeout: go back N */
		f->ssthresh = (f->max - f->una) / 2 > 2 * mss
				      ? (f->max - f->una) / 2
				      : 2 * mss;
		f->cwnd = 10 * mss;
		f->nxt = f->una;
		f->in_recovery = false;
		f->rtx_at = ~0ull;
		f->progress_ns = now;
		f->timeouts++;
	}
	d = (int32_t)(wnd_raw - (uint32_t)(f->seq0 + f->una));
	wend = d > 0 ? f->una + (uint64_t)d : f->una;
	if (!s->o.no_cc && f->una + f->cwnd < wend)
		wend = f->una + f->cwnd;
	/* a closed window is probed after a timeout's worth of silence */
	if (wend < f->nxt + mss && f->una == f->max &&
	    now - f->progress_ns > s->o.rto_ms * 1000000ull)
		wend = f->nxt + mss;
	return wend;
}

static void plan_add(struct sender *s, unsigned int *n, unsigned int i,
		     uint64_t off)
{
	struct wire_slot *p = &s->skel->bss->plan[(*n)++];
	struct flow *f = &s->fl[i];

	p->flow = i;
	p->seg = (uint32_t)(off / s->mss);
	f->segs++;
	if (off < f->max)
		f->rtx++;
}

/* segments the flows' windows allow now (retransmissions included), at most
 * --batch */
static uint64_t ready_segs(struct sender *s, const uint64_t *wend)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < s->o.flows && n < s->o.batch; i++) {
		struct flow *f = &s->fl[i];
		uint64_t lim = f->end < wend[i] ? f->end : wend[i];

		if (f->rtx_at != ~0ull && f->rtx_at >= f->una &&
		    f->rtx_at < f->max)
			n++;
		if (lim > f->nxt)
			n += (lim - f->nxt) / s->mss;
	}
	return n < s->o.batch ? n : s->o.batch;
}

static int data_phase(struct sender *s)
{
	uint64_t t0 = now_ns(), deadline = 0, tokens = 0, last_tok = t0,
		 dbg = 0;
	uint64_t rate = (uint64_t)(s->o.rate_gbit * 1e9 / 8); /* bytes/s */
	/* two plans' worth: a late wakeup does not lose tokens */
	uint64_t bucket = 2 * (uint64_t)s->o.batch * s->mss;
	uint64_t *wend = calloc(s->o.flows, sizeof(*wend));
	unsigned int i, rr = 0;
	int err = 0;

	if (!wend)
		return -ENOMEM;
	if (s->o.secs > 0)
		deadline = t0 + (uint64_t)(s->o.secs * 1e9);
	for (;;) {
		uint64_t now = now_ns(), budget = UINT64_MAX;
		unsigned int n = 0, done = 0, pass;
		bool any;

		if (stop) {
			err = -EINTR;
			goto out;
		}
		if (getenv("XGRO_WIRE_DEBUG") && now - dbg > 100000000ull) {
			dbg = now;
			for (i = 0; i < s->o.flows; i++) {
				struct flow *f = &s->fl[i];
				volatile struct wire_ack *a = ack_of(s, i);

				fprintf(stderr,
					"dbg runs %llu run_ns %llu idle %llu\n",
					(unsigned long long)s->runs,
					(unsigned long long)s->run_ns,
					(unsigned long long)s->idle);
				fprintf(stderr,
					"dbg flow %u una %llu nxt %llu max "
					"%llu wend %llu cwnd %llu dup %u acks "
					"%llu tx %llu bad %llu rtx %llu to "
					"%llu\n",
					i, (unsigned long long)f->una,
					(unsigned long long)f->nxt,
					(unsigned long long)f->max,
					(unsigned long long)wend[i],
					(unsigned long long)f->cwnd, a->dupacks,
					(unsigned long long)a->acks,
					(unsigned long long)
						s->skel->bss->cfg.tx_frames,
					(unsigned long long)
						s->skel->bss->cfg.tx_bad,
					(unsigned long long)f->rtx,
					(unsigned long long)f->timeouts);
			}
		}
		if (deadline && now >= deadline) {
			for (i = 0; i < s->o.flows; i++)
				if (s->fl[i].end > s->fl[i].max)
					s->fl[i].end = s->fl[i].max;
			deadline = 0;
		}
		for (i = 0; i < s->o.flows; i++) {
			struct flow *f = &s->fl[i];

			wend[i] = flow_update(s, i, now);
			if (f->una >= f->end)
				done++;
			else if (now - f->acked_ns > 5000000000ull) {
				fprintf(stderr,
					"xgro-wire: %s port %u: flow %u: no "
					"ACK for 5 s "
					"(does the receiving veth have an XDP "
					"program or GRO on?)\n",
					s->o.dst, s->o.port, i);
				err = -ETIMEDOUT;
				goto out;
			}
		}
		if (done == s->o.flows)
			break;
		if (rate) {
			tokens += (now - last_tok) * rate / 1000000000ull;
			last_tok = now;
			if (tokens > bucket)
				tokens = bucket;
			budget = tokens / s->mss;
			/* Paced: one run per full plan, not one per few
			 * tokens (see run_plan: each run holds a kernel ID for
			 * a second or more). Wait for the tokens of what the
			 * windows allow now, up to --batch segments. */
			if (budget < s->o.batch) {
				uint64_t want = ready_segs(s, wend);

				if (want > budget) {
					uint64_t ns = (want * s->mss - tokens) *
						      1000000000ull / rate;

					sleep_ns(ns < 1000000 ? ns : 1000000);
					s->idle++;
					continue;
				}
			}
		}
		/* retransmissions first, then new data, round robin in
		 * bursts of --burst segments per flow */
		for (i = 0; i < s->o.flows && n < s->o.batch && budget; i++) {
			struct flow *f = &s->fl[i];

			if (f->rtx_at != ~0ull) {
				if (f->rtx_at >= f->una && f->rtx_at < f->max) {
					plan_add(s, &n, i, f->rtx_at);
					budget--;
				}
				f->rtx_at = ~0ull;
			}
		}
		do {
			any = false;
			for (pass = 0;
			     pass < s->o.flows && n < s->o.batch && budget;
			     pass++) {
				struct flow *f;
				unsigned int b = 0;

				i = rr;
				rr = (rr + 1) % s->o.flows;
				f = &s->fl[i];
				while (b < s->o.burst && n < s->o.batch &&
				       budget && f->nxt < f->end &&
				       f->nxt + s->mss <= wend[i]) {
					plan_add(s, &n, i, f->nxt);
					f->nxt += s->mss;
					if (f->nxt > f->max)
						f->max = f->nxt;
					b++;
					budget--;
				}
				any |= b > 0;
			}
		} while (any && n < s->o.batch && budget);
		if (!n) {
			sleep_ns(20000);
			s->idle++;
			continue;
		}
		if (rate)
			tokens -= (uint64_t)n * s->mss;
		err = run_plan(s, n);
		if (err)
			goto out;
	}
out:
	free(wend);
	return err;
}

/* FIN each flow, wait for it to be acknowledged and ACK the peer's FIN */
static int fin_phase(struct sender *s)
{
	uint64_t t0 = now_ns();
	unsigned int i, open;

	do {
		uint64_t now = now_ns();

		open = 0;
		for (i = 0; i < s->o.flows; i++) {
			struct flow *f = &s->fl[i];
			volatile struct wire_ack *a = ack_of(s, i);
			uint32_t fin_seq = f->seq0 + (uint32_t)f->end;

			if (!f->fin_acked && a->una == fin_seq + 1)
				f->fin_acked = true;
			if (!f->fin_acked &&
			    now - f->fin_sent_ns > s->o.rto_ms * 1000000ull) {
				send_ctl(s, i, TCP_FIN | TCP_ACK, fin_seq,
					 s->skel->bss->flows[i].ack);
				f->fin_sent_ns = now;
			}
			if (!f->peer_fin_acked && (a->state & WIRE_FIN)) {
				send_ctl(s, i, TCP_ACK, fin_seq + 1,
					 a->peer_fin + 1);
				f->peer_fin_acked = true;
			}
			open += !f->fin_acked || !f->peer_fin_acked;
		}
		if (open)
			sleep_ns(200000);
	} while (open && now_ns() - t0 < 2000000000ull && !stop);
	if (open)
		fprintf(stderr,
			"xgro-wire: %s port %u: %u flows not closed cleanly\n",
			s->o.dst, s->o.port, open);
	return 0;
}

static void report(struct sender *s, uint64_t wall, uint64_t cpu)
{
	uint64_t bytes = 0, segs = 0, rtx = 0, to = 0, frtx = 0;
	double secs = (double)wall / 1e9;
	unsigned int i;

	for (i = 0; i < s->o.flows; i++) {
		bytes += s->fl[i].una;
		segs += s->fl[i].segs;
		rtx += s->fl[i].rtx;
		to += s->fl[i].timeouts;
		frtx += s->fl[i].fast_rtx;
	}
	if (!s->o.json) {
		for (i = 0; i < s->o.flows; i++)
			printf("flow %u sport %u bytes %llu segments %llu "
			       "retransmits %llu closed %s\n",
			       i, ntohs(s->skel->bss->flows[i].sport),
			       (unsigned long long)s->fl[i].una,
			       (unsigned long long)s->fl[i].segs,
			       (unsigned long long)s->fl[i].rtx,
			       s->fl[i].fin_acked && s->fl[i].peer_fin_acked
				       ? "yes"
				       : "no");
		printf("total %llu bytes in %.3f s: %.2f Gbit/s, mss %u, "
		       "retransmits %llu (timeouts %llu, fast %llu), "
		       "cpu %.3f s (%.2f s/GB)\n",
		       (unsigned long long)bytes, secs, bytes * 8 / secs / 1e9,
		       s->mss, (unsigned long long)rtx, (unsigned long long)to,
		       (unsigned long long)frtx, (double)cpu / 1e9,
		       bytes ? (double)cpu / bytes : 0.0);
		return;
	}
	printf("{\"dst\":\"%s\",\"port\":%u,\"flows\":%u,\"mss\":%u,"
	       "\"bytes_acked\":%llu,\"segments_sent\":%llu,"
	       "\"retransmits\":%llu,\"timeouts\":%llu,\"fast_retransmits\":%"
	       "llu,"
	       "\"elapsed_s\":%.6f,\"gbit_s\":%.4f,\"cpu_ns\":%llu,"
	       "\"cpu_s_per_gb\":%.4f,\"runs\":%llu,\"id_waits\":%llu,"
	       "\"per_flow\":[",
	       s->o.dst, s->o.port, s->o.flows, s->mss,
	       (unsigned long long)bytes, (unsigned long long)segs,
	       (unsigned long long)rtx, (unsigned long long)to,
	       (unsigned long long)frtx, secs, bytes * 8 / secs / 1e9,
	       (unsigned long long)cpu, bytes ? (double)cpu / bytes : 0.0,
	       (unsigned long long)s->runs, (unsigned long long)s->id_waits);
	for (i = 0; i < s->o.flows; i++)
		printf("%s{\"flow\":%u,\"sport\":%u,\"bytes\":%llu,"
		       "\"segments\":%llu,\"retransmits\":%llu,\"closed\":%s}",
		       i ? "," : "", i, ntohs(s->skel->bss->flows[i].sport),
		       (unsigned long long)s->fl[i].una,
		       (unsigned long long)s->fl[i].segs,
		       (unsigned long long)s->fl[i].rtx,
		       s->fl[i].fin_acked && s->fl[i].peer_fin_acked ? "true"
								     : "false");
	printf("]}\n");
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (level == LIBBPF_WARN && getenv("XGRO_WIRE_VERBOSE"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int do_send(struct send_opts *o)
{
	struct sender s = { .o = *o, .ifc = { .name = o->dev }, .pkt_fd = -1 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	uint8_t dst[16] = { 0 };
	struct wire_cfg *c;
	uint64_t t0, c0;
	unsigned int i;
	int err;

	if (inet_pton(AF_INET, o->dst, dst) == 1) {
		s.family = AF_INET;
	} else if (inet_pton(AF_INET6, o->dst, dst) == 1) {
		s.family = AF_INET6;
	} else {
		fprintf(stderr, "xgro-wire: %s: not an IP address\n", o->dst);
		return -EINVAL;
	}
	err = iface_get(&s.ifc);
	if (err) {
		fprintf(stderr, "xgro-wire: %s: %s\n", o->dev, strerror(-err));
		return err;
	}
	if (!s.o.mss)
		s.o.mss = (unsigned int)s.ifc.mtu -
			  (s.family == AF_INET ? 40 : 60);
	s.skel = wire__open_and_load();
	if (!s.skel) {
		err = -errno;
		fprintf(stderr, "xgro-wire: wire.bpf.o: load: %s\n",
			strerror(-err));
		return err;
	}
	c = &s.skel->bss->cfg;
	c->v6 = s.family == AF_INET6;
	memcpy(c->daddr, dst, 16);
	err = iface_addr(o->dev, s.family, c->saddr);
	if (err) {
		fprintf(stderr, "xgro-wire: %s: no %s address\n", o->dev,
			s.family == AF_INET ? "IPv4" : "IPv6");
		goto out;
	}
	memcpy(c->smac, s.ifc.mac, 6);
	err = o->dst_mac ? parse_mac(o->dst_mac, c->dmac)
			 : neigh_lookup(s.ifc.ifindex, s.family, dst, c->dmac);
	if (err) {
		fprintf(stderr,
			"xgro-wire: %s: no neighbour entry on %s (give "
			"--dst-mac)\n",
			o->dst, o->dev);
		goto out;
	}
	c->sport_lo = (uint16_t)o->sport;
	c->dport = (uint16_t)o->port;
	c->nflows = (uint16_t)o->flows;
	s.fl = calloc(o->flows, sizeof(*s.fl));
	if (!s.fl) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < o->flows; i++) {
		struct flow *f = &s.fl[i];

		if (getrandom(&f->iss, sizeof(f->iss), 0) != sizeof(f->iss))
			f->iss = (uint32_t)now_ns() * (i + 1);
		f->seq0 = f->iss + 1;
		f->end = o->bytes ? (o->bytes + s.o.mss - 1) / s.o.mss
				  : UINT64_MAX;
		f->rtx_at = ~0ull;
		s.skel->bss->flows[i].seq0 = f->seq0;
		s.skel->bss->flows[i].sport = htons((uint16_t)(o->sport + i));
	}
	s.pkt_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	sll.sll_ifindex = s.ifc.ifindex;
	if (s.pkt_fd < 0 ||
	    bind(s.pkt_fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		fprintf(stderr, "xgro-wire: %s: AF_PACKET socket: %s\n", o->dev,
			strerror(-err));
		goto out;
	}
	/* a bpf_link: detached when this process ends, however it ends */
	s.link = bpf_program__attach_xdp(s.skel->progs.wire_xdp, s.ifc.ifindex);
	if (!s.link) {
		err = -errno;
		fprintf(stderr, "xgro-wire: %s: attach XDP: %s\n", o->dev,
			strerror(-err));
		goto out;
	}
	t0 = now_ns();
	c0 = cpu_ns();
	err = handshake(&s);
	if (err)
		goto out;
	for (i = 0; i < o->flows; i++) {
		send_ctl(&s, i, TCP_ACK, s.fl[i].seq0,
			 ack_of(&s, i)->peer_isn + 1);
		s.fl[i].progress_ns = now_ns();
		s.fl[i].acked_ns = s.fl[i].progress_ns;
	}
	err = setup_data(&s);
	if (err)
		goto out;
	for (i = 0; i < o->flows; i++) {
		struct flow *f = &s.fl[i];

		if (f->end != UINT64_MAX)
			f->end *= s.mss; /* whole segments */
		f->cwnd = 10ull * s.mss;
		f->ssthresh = UINT64_MAX;
	}
	err = data_phase(&s);
	if (err) {
		/* the receiver should not wait: RST at what it may expect */
		for (i = 0; i < o->flows; i++) {
			send_ctl(&s, i, TCP_RST,
				 s.fl[i].seq0 + (uint32_t)s.fl[i].una, 0);
			send_ctl(&s, i, TCP_RST,
				 s.fl[i].seq0 + (uint32_t)s.fl[i].max, 0);
		}
		goto out;
	}
	fin_phase(&s);
	report(&s, now_ns() - t0, cpu_ns() - c0);
	if (c->tx_bad)
		fprintf(stderr,
			"xgro-wire: wire_tx: %llu frames past the plan\n",
			(unsigned long long)c->tx_bad);
out:
	bpf_link__destroy(s.link);
	if (s.pkt_fd >= 0)
		close(s.pkt_fd);
	wire__destroy(s.skel);
	free(s.fl);
	free(s.tmpl);
	return err;
}

/* ---- sink ---- */

static int do_sink(unsigned int port, unsigned int nconn, bool sha, bool json,
		   unsigned int secs)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port) };
	struct conn {
		int fd;
		uint64_t bytes;
		struct sha256 h;
		char peer[INET6_ADDRSTRLEN];
		unsigned int pport;
	} *cs = calloc(nconn, sizeof(*cs));
	struct pollfd *p = calloc(nconn + 1, sizeof(*p));
	static uint8_t buf[1 << 20];
	unsigned int accepted = 0, open = 0, i;
	int lfd, zero = 0, one = 1, err = 0;

	if (!cs || !p)
		return -ENOMEM;
	if (secs)
		alarm(secs);
	lfd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1024)) {
		err = -errno;
		fprintf(stderr, "xgro-wire: sink port %u: %s\n", port,
			strerror(-err));
		return err;
	}
	fprintf(stderr, "listening on port %u\n", port);
	while ((accepted < nconn || open) && !stop) {
		unsigned int np = 0;

		if (accepted < nconn)
			p[np++] =
				(struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < accepted; i++)
			if (cs[i].fd >= 0)
				p[np++] = (struct pollfd){ .fd = cs[i].fd,
							   .events = POLLIN };
		if (poll(p, np, -1) < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		for (unsigned int k = 0; k < np; k++) {
			ssize_t r;

			if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (p[k].fd == lfd) {
				struct sockaddr_in6 pa;
				socklen_t pl = sizeof(pa);
				struct conn *cn = &cs[accepted];
				int fd = accept(lfd, (struct sockaddr *)&pa,
						&pl);

				if (fd < 0)
					continue;
				cn->fd = fd;
				sha256_init(&cn->h);
				inet_ntop(AF_INET6, &pa.sin6_addr, cn->peer,
					  sizeof(cn->peer));
				cn->pport = ntohs(pa.sin6_port);
				accepted++, open++;
				continue;
			}
			for (i = 0; i < accepted && cs[i].fd != p[k].fd; i++)
				;
			r = read(p[k].fd, buf, sizeof(buf));
			if (r > 0) {
				cs[i].bytes += (uint64_t)r;
				if (sha)
					sha256_update(&cs[i].h, buf, (size_t)r);
				continue;
			}
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r < 0)
				fprintf(stderr,
					"xgro-wire: sink: connection from port "
					"%u: %s\n",
					cs[i].pport, strerror(errno));
			close(cs[i].fd);
			cs[i].fd = -1;
			open--;
		}
	}
	for (i = 0; i < accepted; i++) {
		char hex[65] = "-";

		if (sha)
			sha256_hex(&cs[i].h, hex);
		if (json)
			printf("{\"peer\":\"%s\",\"port\":%u,\"bytes\":%llu,"
			       "\"sha256\":\"%s\"}\n",
			       cs[i].peer, cs[i].pport,
			       (unsigned long long)cs[i].bytes, hex);
		else
			printf("conn %u peer %s port %u bytes %llu sha256 %s\n",
			       i, cs[i].peer, cs[i].pport,
			       (unsigned long long)cs[i].bytes, hex);
	}
	if (stop)
		fprintf(stderr,
			"xgro-wire: sink port %u: stopped with %u of %u "
			"connections open or missing\n",
			port, open + nconn - accepted, nconn);
	close(lfd);
	free(cs);
	free(p);
	return err ? err : (stop ? -EINTR : 0);
}

/* ---- gen, pass ---- */

static int do_gen(unsigned int flow, uint64_t segs, unsigned int mss, bool sha)
{
	uint8_t *seg = malloc(mss);
	struct sha256 h;
	char hex[65];

	if (!seg)
		return -ENOMEM;
	sha256_init(&h);
	for (uint64_t k = 0; k < segs; k++) {
		gen_segment(seg, mss, flow, k);
		if (sha)
			sha256_update(&h, seg, mss);
		else if (fwrite(seg, 1, mss, stdout) != mss)
			return -EIO;
	}
	if (sha) {
		sha256_hex(&h, hex);
		printf("%s\n", hex);
	}
	free(seg);
	return 0;
}

static int do_pass(const char *dev)
{
	int ifindex = (int)if_nametoindex(dev), err = 0;
	struct bpf_link *link;
	struct wire *skel;

	if (!ifindex) {
		fprintf(stderr, "xgro-wire: %s: no such interface\n", dev);
		return -ENODEV;
	}
	skel = wire__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "xgro-wire: wire.bpf.o: load: %s\n",
			strerror(-err));
		return err;
	}
	link = bpf_program__attach_xdp(skel->progs.wire_pass, ifindex);
	if (!link) {
		err = -errno;
		fprintf(stderr, "xgro-wire: %s: attach XDP: %s\n", dev,
			strerror(-err));
	} else {
		printf("attached to %s\n", dev);
		fflush(stdout);
		while (!stop)
			pause();
	}
	bpf_link__destroy(link);
	wire__destroy(skel);
	return err;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xgro-wire send --dev IF --dst IP --port P [options]\n"
		"       xgro-wire sink --port P [--flows N] [--sha] [--json] "
		"[--secs S]\n"
		"       xgro-wire gen --flow F --segs N --mss M [--sha]\n"
		"       xgro-wire pass --dev IF\n"
		"\n"
		"send: N TCP connections from IF's address to IP:P, data as "
		"XDP frames\n"
		"(BPF_PROG_RUN live frames, XDP_TX on IF), ACKs absorbed by "
		"XDP on IF.\n"
		"  --flows N           connections (1, at most %d)\n"
		"  --bytes-per-flow B  bytes per flow, rounded up to whole "
		"segments\n"
		"  --secs S            or send for S seconds (default 3)\n"
		"  --rate GBIT         pace the total TCP payload at GBIT "
		"Gbit/s\n"
		"  --mss M             largest segment (IF's MTU - 40, or - 60 "
		"for IPv6);\n"
		"                      the peer's MSS option may lower it\n"
		"  --dst-mac MAC       instead of the neighbour table\n"
		"  --sport N           first source port (40000); flows use "
		"N..N+flows-1\n"
		"  --batch N           frames per BPF_PROG_RUN (256, at most "
		"%d)\n"
		"  --kernel-batch N    the run's batch_size: frames per flush "
		"(64)\n"
		"  --burst N           consecutive segments per flow in a run "
		"(16)\n"
		"  --rto-ms N          retransmission timeout (200)\n"
		"  --no-wscale         no window scale option (64 KB windows)\n"
		"  --no-cc             no congestion window, only the "
		"receiver's\n"
		"  --cpu N             pin to CPU N\n"
		"  --json              one JSON object\n"
		"sink: accept N connections on [::]:P (IPv4 too), read each to "
		"EOF, print\n"
		"  per connection the peer, bytes and with --sha the SHA-256; "
		"--secs S: give\n"
		"  up after S seconds (exit status 1).\n"
		"gen: the stream of flow F (N segments of M bytes) to stdout, "
		"or its SHA-256.\n"
		"  Segment k is [be64(F << 56 | k)][byte j = (131 j + 7) mod "
		"256, j = 8..M-1].\n"
		"pass: attach an XDP_PASS program to IF until "
		"SIGINT/SIGTERM.\n",
		WIRE_MAX_FLOWS, WIRE_MAX_PLAN);
}

enum {
	O_DEV = 256,
	O_DST,
	O_PORT,
	O_FLOWS,
	O_BYTES,
	O_SECS,
	O_RATE,
	O_MSS,
	O_DMAC,
	O_SPORT,
	O_BATCH,
	O_KBATCH,
	O_BURST,
	O_RTO,
	O_NOWS,
	O_NOCC,
	O_CPU,
	O_JSON,
	O_SHA,
	O_FLOW,
	O_SEGS,
};

static const struct option longopts[] = {
	{ "dev", 1, NULL, O_DEV },
	{ "dst", 1, NULL, O_DST },
	{ "port", 1, NULL, O_PORT },
	{ "flows", 1, NULL, O_FLOWS },
	{ "bytes-per-flow", 1, NULL, O_BYTES },
	{ "secs", 1, NULL, O_SECS },
	{ "rate", 1, NULL, O_RATE },
	{ "mss", 1, NULL, O_MSS },
	{ "dst-mac", 1, NULL, O_DMAC },
	{ "sport", 1, NULL, O_SPORT },
	{ "batch", 1, NULL, O_BATCH },
	{ "kernel-batch", 1, NULL, O_KBATCH },
	{ "burst", 1, NULL, O_BURST },
	{ "rto-ms", 1, NULL, O_RTO },
	{ "no-wscale", 0, NULL, O_NOWS },
	{ "no-cc", 0, NULL, O_NOCC },
	{ "cpu", 1, NULL, O_CPU },
	{ "json", 0, NULL, O_JSON },
	{ "sha", 0, NULL, O_SHA },
	{ "flow", 1, NULL, O_FLOW },
	{ "segs", 1, NULL, O_SEGS },
	{ "help", 0, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int num(const char *name, const char *s, double lo, double hi,
	       double *out)
{
	char *e;
	double v = strtod(s, &e);

	if (e == s || *e || v < lo || v > hi) {
		fprintf(stderr,
			"xgro-wire: --%s %s: not a number in [%g, %g]\n", name,
			s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	struct send_opts o = { .flows = 1,
			       .secs = 0,
			       .batch = 256,
			       .kbatch = 64,
			       .burst = 16,
			       .sport = 40000,
			       .rto_ms = 200,
			       .cpu = -1 };
	unsigned int flow = 0, segs = 0;
	bool sha = false;
	const char *cmd;
	double v;
	int c, err;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		const char *n = longopts[0].name;

		for (int k = 0; longopts[k].name; k++)
			if (longopts[k].val == c)
				n = longopts[k].name;
		err = 0;
		switch (c) {
		case O_DEV:
			o.dev = optarg;
			break;
		case O_DST:
			o.dst = optarg;
			break;
		case O_DMAC:
			o.dst_mac = optarg;
			break;
		case O_PORT:
			err = num(n, optarg, 1, 65535, &v);
			o.port = (unsigned int)v;
			break;
		case O_FLOWS:
			err = num(n, optarg, 1, WIRE_MAX_FLOWS, &v);
			o.flows = (unsigned int)v;
			break;
		case O_BYTES:
			err = num(n, optarg, 1, 1e15, &v);
			o.bytes = (uint64_t)v;
			break;
		case O_SECS:
			err = num(n, optarg, 0.001, 1e6, &v);
			o.secs = v;
			break;
		case O_RATE:
			err = num(n, optarg, 0.001, 1000, &v);
			o.rate_gbit = v;
			break;
		case O_MSS:
			err = num(n, optarg, 64, 4000, &v);
			o.mss = (unsigned int)v;
			break;
		case O_SPORT:
			err = num(n, optarg, 1, 65535, &v);
			o.sport = (unsigned int)v;
			break;
		case O_BATCH:
			err = num(n, optarg, 1, WIRE_MAX_PLAN, &v);
			o.batch = (unsigned int)v;
			break;
		case O_KBATCH:
			err = num(n, optarg, 1, 256, &v);
			o.kbatch = (unsigned int)v;
			break;
		case O_BURST:
			err = num(n, optarg, 1, WIRE_MAX_PLAN, &v);
			o.burst = (unsigned int)v;
			break;
		case O_RTO:
			err = num(n, optarg, 1, 60000, &v);
			o.rto_ms = (unsigned int)v;
			break;
		case O_NOWS:
			o.no_wscale = true;
			break;
		case O_NOCC:
			o.no_cc = true;
			break;
		case O_CPU:
			err = num(n, optarg, 0, 4095, &v);
			o.cpu = (int)v;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_SHA:
			sha = true;
			break;
		case O_FLOW:
			err = num(n, optarg, 0, 255, &v);
			flow = (unsigned int)v;
			break;
		case O_SEGS:
			err = num(n, optarg, 0, 4e9, &v);
			segs = (unsigned int)v;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
		if (err)
			return 2;
	}
	if (optind != argc) {
		fprintf(stderr, "xgro-wire: %s: unexpected argument\n",
			argv[optind]);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGALRM, on_signal);
	if (!strcmp(cmd, "send")) {
		if (!o.dev || !o.dst || !o.port) {
			fprintf(stderr, "xgro-wire: send needs --dev, --dst "
					"and --port\n");
			return 2;
		}
		if (o.sport + o.flows > 65536) {
			fprintf(stderr,
				"xgro-wire: --sport %u: too high for %u "
				"flows\n",
				o.sport, o.flows);
			return 2;
		}
		if (!o.bytes && !o.secs)
			o.secs = 3;
		if (o.cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(o.cpu, &set);
			if (sched_setaffinity(0, sizeof(set), &set)) {
				fprintf(stderr, "xgro-wire: CPU %d: %s\n",
					o.cpu, strerror(errno));
				return 1;
			}
		}
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
		libbpf_set_print(libbpf_quiet);
		return do_send(&o) ? 1 : 0;
	}
	if (!strcmp(cmd, "sink")) {
		if (!o.port) {
			fprintf(stderr, "xgro-wire: sink needs --port\n");
			return 2;
		}
		return do_sink(o.port, o.flows, sha, o.json,
			       (unsigned int)o.secs)
			       ? 1
			       : 0;
	}
	if (!strcmp(cmd, "gen")) {
		if (!o.mss) {
			fprintf(stderr, "xgro-wire: gen needs --mss\n");
			return 2;
		}
		return do_gen(flow, segs, o.mss, sha) ? 1 : 0;
	}
	if (!strcmp(cmd, "pass")) {
		if (!o.dev) {
			fprintf(stderr, "xgro-wire: pass needs --dev\n");
			return 2;
		}
		libbpf_set_print(libbpf_quiet);
		return do_pass(o.dev) ? 1 : 0;
	}
	fprintf(stderr,
		"xgro-wire: %s: unknown command (send, sink, gen, pass)\n",
		cmd);
	return 2;
}
