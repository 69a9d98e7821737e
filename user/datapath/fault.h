/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * Injected failures, for the tests that prove every step of `xgro attach`
 * is undone when a later one fails (tests/e2e/test-faults.sh). The
 * environment variable XGRO_FAULT names one step; that step then fails
 * with ECANCELED as if the system had refused it. XGRO_FAULT=sink-write:PATH
 * makes every write to the sink fail with EIO while PATH exists, read once
 * at start so that the data path pays nothing otherwise.
 * XGRO_FAULT=ring-unguarded lets the XDP program overflow the RX rings (a
 * worker then loses frames when it cannot run), for the test that proves
 * socket drops are counted (tests/e2e/test-loss.sh).
 * XGRO_FAULT=hold-ready:PATH keeps attach from saying it is up while PATH
 * exists (tests/e2e/test-cli.sh). Nothing sets it but those tests.
 */
#ifndef XGRO_FAULT_H
#define XGRO_FAULT_H

/* -ECANCELED if XGRO_FAULT names `step`, else 0. */
int xgro_fault(const char *step);
/* For XGRO_FAULT=STEP:ARG, ARG if STEP is `step`, else NULL. */
const char *xgro_fault_arg(const char *step);

#endif
