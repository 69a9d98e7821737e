/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* One attribute of a network device, from rtnetlink. */
#ifndef XGRO_LINK_H
#define XGRO_LINK_H

#include <stddef.h>

/* Copies attribute `type` (IFLA_*) of device ifindex into val (at most len
 * bytes). rtnetlink answers for the caller's network namespace, which
 * /sys/class/net does not (it is that of whoever mounted /sys). 0,
 * -ENOENT when the device lacks the attribute, -ENODEV when there is no
 * such device, or -errno. */
int xgro_link_attr(int ifindex, unsigned short type, void *val, size_t len);

/* The device's master (bridge, bond, VRF) ifindex, 0 if it has none. */
int xgro_link_master(int ifindex);

#endif
