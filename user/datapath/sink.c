// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Sinks (docs/design.md, "Writing to the tap"). A tap opened with
 * IFF_VNET_HDR takes writev([virtio_net_hdr][frame...]) and hands the
 * stack one skb per write; an AF_PACKET socket with PACKET_VNET_HDR on a
 * veth end takes the same writes and delivers them to the peer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link.h"
#include "sysctl.h"
#include "sink.h"

#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20 /* missing from the 6.1 UAPI headers */
#define TUN_F_USO6 0x40
#endif

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr))
		err = -errno;
	close(fd);
	return err;
}

static int get_mac(const char *name, uint8_t mac[6])
{
	struct ifreq ifr = { 0 };
	int err;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	err = ifreq_ioctl(SIOCGIFHWADDR, &ifr);
	if (!err)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return err;
}

static int set_up(const char *name)
{
	struct ifreq ifr = { 0 };
	int err;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	err = ifreq_ioctl(SIOCGIFFLAGS, &ifr);
	if (err)
		return err;
	ifr.ifr_flags |= IFF_UP;
	return ifreq_ioctl(SIOCSIFFLAGS, &ifr);
}

int xgro_sink_tap_open(struct xgro_sink *s, const char *name, unsigned nq)
{
	char path[128];
	int err;

	memset(s, 0, sizeof(*s));
	s->kind = XGRO_SINK_TAP;
	snprintf(s->name, sizeof(s->name), "%s", name);
	if (nq > XGRO_MAX_QUEUES)
		return -EINVAL;
	/* TUNSETIFF would attach to an existing tap: never take over one */
	if (if_nametoindex(name))
		return -EEXIST;
	for (unsigned q = 0; q < nq; q++) {
		struct ifreq ifr = { 0 };
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

		if (fd < 0) {
			err = -errno;
			goto fail;
		}
		s->fds[s->nfds++] = fd;
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
		ifr.ifr_flags =
			IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
		if (ioctl(fd, TUNSETIFF, &ifr)) {
			err = -errno;
			goto fail;
		}
	}
	/* no IPv6 address of its own: no router solicitations, no DAD */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/addr_gen_mode",
		 name);
	xgro_sysctl_write(path, "1");
	/* Injected packets arrive here, not where their source routes, and
	 * the tap has no IPv4 address: any reverse-path filtering, loose
	 * included, drops them (fib_validate_source). The kernel applies
	 * max(all, tap); the caller deals with `all`. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter",
		 name);
	err = xgro_sysctl_write(path, "0");
	if (err)
		goto fail;
	s->ifindex = (int)if_nametoindex(name);
	if ((err = get_mac(name, s->mac)) || (err = set_up(name)))
		goto fail;
	return 0;
fail:
	xgro_sink_close(s);
	return err;
}

/* The peer of a veth, from its ethtool statistics. */
static int veth_peer(const char *name, char peer[IF_NAMESIZE])
{
	/* struct ethtool_sset_info ends in a flexible array of one here */
	uint64_t info_buf[(sizeof(struct ethtool_sset_info) + 8) / 8 + 1] = {
		0
	};
	struct ethtool_sset_info *info = (void *)info_buf;
	struct ethtool_gstrings *strs = NULL;
	struct ethtool_stats *vals = NULL;
	struct ifreq ifr = { 0 };
	int err = -ENOENT;
	uint32_t n;

	info->cmd = ETHTOOL_GSSET_INFO;
	info->sset_mask = 1ull << ETH_SS_STATS;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_data = (void *)info;
	if ((err = ifreq_ioctl(SIOCETHTOOL, &ifr)))
		return err;
	n = info->data[0];
	strs = calloc(1, sizeof(*strs) + n * ETH_GSTRING_LEN);
	vals = calloc(1, sizeof(*vals) + n * sizeof(uint64_t));
	if (!strs || !vals) {
		err = -ENOMEM;
		goto out;
	}
	strs->cmd = ETHTOOL_GSTRINGS;
	strs->string_set = ETH_SS_STATS;
	strs->len = n;
	ifr.ifr_data = (void *)strs;
	if ((err = ifreq_ioctl(SIOCETHTOOL, &ifr)))
		goto out;
	vals->cmd = ETHTOOL_GSTATS;
	vals->n_stats = n;
	ifr.ifr_data = (void *)vals;
	if ((err = ifreq_ioctl(SIOCETHTOOL, &ifr)))
		goto out;
	err = -ENOENT;
	for (uint32_t i = 0; i < n; i++) {
		if (strncmp((char *)strs->data + i * ETH_GSTRING_LEN,
			    "peer_ifindex", ETH_GSTRING_LEN))
			continue;
		err = if_indextoname((unsigned)vals->data[i], peer) ? 0
								    : -EXDEV;
		break;
	}
out:
	free(strs);
	free(vals);
	return err;
}

/* Would frames written to veth end `name` (peer `peer`) reach `guard`? */
static bool loops_to(int name, int peer, int guard)
{
	int master = xgro_link_master(guard);

	return name == guard || peer == guard ||
	       (master && (xgro_link_master(name) == master ||
			   xgro_link_master(peer) == master));
}

int xgro_sink_veth_open(struct xgro_sink *s, const char *name, unsigned nq,
			int guard)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	char peer[IF_NAMESIZE];
	int err, one = 1;

	memset(s, 0, sizeof(*s));
	s->kind = XGRO_SINK_VETH;
	snprintf(s->name, sizeof(s->name), "%s", name);
	sll.sll_ifindex = (int)if_nametoindex(name);
	if (!sll.sll_ifindex)
		return -ENODEV;
	if (nq > XGRO_MAX_QUEUES)
		return -EINVAL;
	if ((err = veth_peer(name, peer)) || (err = get_mac(peer, s->mac)))
		return err == -ENOENT || err == -EOPNOTSUPP ? -ENOTTY : err;
	s->ifindex = sll.sll_ifindex;
	s->peer_ifindex = (int)if_nametoindex(peer);
	if (loops_to(s->ifindex, s->peer_ifindex, guard))
		return -ELOOP;
	for (unsigned q = 0; q < nq; q++) {
		/* protocol 0: this socket sends and never receives */
		int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			err = -errno;
			goto fail;
		}
		s->fds[s->nfds++] = fd;
		if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one,
			       sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
			err = -errno;
			goto fail;
		}
	}
	return set_up(name);
fail:
	xgro_sink_close(s);
	return err;
}

void xgro_sink_close(struct xgro_sink *s)
{
	for (unsigned i = 0; i < s->nfds; i++)
		close(s->fds[i]);
	s->nfds = 0;
}

static int frame_write(void *user, const uint8_t *f, size_t len)
{
	const int *fd = user;
	struct virtio_net_hdr vh = { 0 };
	struct iovec iov[2] = { { &vh, sizeof(vh) }, { (void *)f, len } };

	return writev(*fd, iov, 2) < 0 ? -errno : 0;
}

/*
 * Two segments of TEST-NET traffic to a MAC that is not the sink's: the
 * kernel validates the GSO header on the write and then drops the packet
 * as addressed to another host.
 */
static bool probe_one(struct xgro_sink *s, bool udp)
{
	uint8_t f[14 + 20 + 20 + 200] = { 0 };
	struct virtio_net_hdr vh = { 0 };
	struct iovec iov[3];
	uint8_t *ip = f + 14, *l4 = ip + 20;
	uint32_t l4h = udp ? 8 : 20, len = 14 + 20 + l4h + 200;
	uint16_t c;

	f[0] = 0x02; /* destination 02:00:00:00:00:00, not ours */
	f[6] = 0x02;
	f[11] = 1;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[6] = 0x40;
	ip[8] = 1;
	ip[9] = udp ? 17 : 6;
	memcpy(ip + 12, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	c = (uint16_t)~xgro_csum_fold(xgro_csum_partial(ip, 20, 0));
	memcpy(ip + 10, &c, 2);
	l4[1] = 9;
	l4[3] = 9;
	if (udp) {
		l4[4] = (uint8_t)((l4h + 200) >> 8);
		l4[5] = (uint8_t)(l4h + 200);
	} else {
		l4[12] = 0x50;
		l4[13] = 0x10;
	}
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.gso_type =
		udp ? VIRTIO_NET_HDR_GSO_UDP_L4 : VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = 100;
	vh.hdr_len = (uint16_t)(34 + l4h);
	vh.csum_start = 34;
	vh.csum_offset = udp ? 6 : 16;
	iov[0] = (struct iovec){ &vh, sizeof(vh) };
	iov[1] = (struct iovec){ f, 34 + l4h };
	iov[2] = (struct iovec){ f + 34 + l4h, 200 };
	return writev(s->fds[0], iov, 3) == (ssize_t)(sizeof(vh) + len);
}

void xgro_sink_probe(struct xgro_sink *s)
{
	s->tcp_gso = s->nfds && probe_one(s, false);
	s->udp_gso = false;
	if (!s->nfds)
		return;
	if (s->kind == XGRO_SINK_TAP) {
		/* a kernel without USO does not know these offload bits */
		unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			       TUN_F_USO4 | TUN_F_USO6;

		if (ioctl(s->fds[0], TUNSETOFFLOAD, off))
			return;
	}
	s->udp_gso = probe_one(s, true);
}

static bool injected_failure(const struct xgro_sink *s)
{
	return __builtin_expect(s->fail_while != NULL, 0) &&
	       !access(s->fail_while, F_OK);
}

int xgro_sink_check(struct xgro_sink *s)
{
	uint8_t f[60] = {
		0x02, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5
	};
	struct virtio_net_hdr vh = { 0 };
	struct iovec iov[2] = { { &vh, sizeof(vh) }, { f, sizeof(f) } };

	if (!s->nfds)
		return -EBADF;
	if (injected_failure(s))
		return -EIO;
	/* 0x88b5: the local experimental EtherType, to a MAC not ours */
	return writev(s->fds[0], iov, 2) < 0 ? -errno : 0;
}

int xgro_sink_write(struct xgro_sink *s, unsigned q, const struct xgro_out *o,
		    uint8_t *scratch, size_t scratch_len)
{
	int fd = s->fds[q], n;
	bool gso = o->vnet.gso_type != VIRTIO_NET_HDR_GSO_NONE;
	bool refused = gso && (o->vnet.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4
				       ? !s->udp_gso
				       : !s->tcp_gso);

	if (injected_failure(s))
		return -EIO;

	if (!refused) {
		if (writev(fd, o->iov, (int)o->iovcnt) >= 0)
			return 0;
		if (errno != EINVAL || !gso)
			return -errno;
	}
	/* GSO refused: cut it into wire frames here */
	n = xgro_segment(o, scratch, scratch_len, frame_write, &fd);
	return n;
}
