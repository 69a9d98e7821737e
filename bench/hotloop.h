/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* Callgrind collection switches for the profiled loops (bench/hotloop.c,
 * bench/dpdk_gro.c): no-ops outside valgrind or without its header. */
#ifndef XGRO_HOTLOOP_H
#define XGRO_HOTLOOP_H

#if defined(__has_include) && __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
/* toggles, cheap (no re-instrumentation): run with --collect-atstart=no */
#define HOT_COLLECT_ON() CALLGRIND_TOGGLE_COLLECT
#define HOT_COLLECT_OFF() CALLGRIND_TOGGLE_COLLECT
#else
#define HOT_COLLECT_ON() ((void)0)
#define HOT_COLLECT_OFF() ((void)0)
#endif

#endif
