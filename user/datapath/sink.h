/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Where merged packets enter the kernel stack: a tap or a veth end. */
#ifndef XGRO_SINK_H
#define XGRO_SINK_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"
#include "xgro_engine.h"

struct xgro_sink {
	enum xgro_sink_kind kind;
	char name[IF_NAMESIZE];
	int fds[XGRO_MAX_QUEUES]; /* one per queue: no sharing between workers
				   */
	unsigned nfds;
	int ifindex;	  /* the tap, or the veth end written to */
	int peer_ifindex; /* the veth's peer, where frames arrive; 0 for a tap
			   */
	uint8_t mac[6];	  /* destination MAC the stack accepts */
	bool tcp_gso, udp_gso;	/* what the kernel takes in one write */
	const char *fail_while; /* fault.h, sink-write: fail while it exists */
};

/* Creates tap NAME with one queue fd per RX queue, brings it up and sets
 * loose reverse-path filtering on it. */
int xgro_sink_tap_open(struct xgro_sink *s, const char *name, unsigned nq);
/* An AF_PACKET socket per queue on veth NAME, whose peer must be in this
 * network namespace (its MAC becomes the destination). -ELOOP when either
 * end is the interface `guard` (the attached one) or shares its master:
 * merged packets would go back to where they came from. */
int xgro_sink_veth_open(struct xgro_sink *s, const char *name, unsigned nq,
			int guard);
/* Probes which GSO kinds the kernel accepts on this sink. */
void xgro_sink_probe(struct xgro_sink *s);
void xgro_sink_close(struct xgro_sink *s);

/* Writes one small frame the stack will drop (addressed to another
 * host): can the sink take writes? 0 or -errno. */
int xgro_sink_check(struct xgro_sink *s);

/* Writes one engine output on queue q: one syscall, or, where the kernel
 * refused that GSO kind, one per segment. Returns segments written by
 * software (0 when written whole) or -errno. */
int xgro_sink_write(struct xgro_sink *s, unsigned q, const struct xgro_out *o,
		    uint8_t *scratch, size_t scratch_len);

#endif
