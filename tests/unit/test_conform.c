// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The conformance table (tests/lib/conform.c) through the engine: every
 * case's frames fed in one batch, everything flushed, and the TCP payload
 * sizes of the outputs against the ones Linux 6.18 delivers. Prints the
 * table, and a PASS/FAIL line per case and family. The 64 KB cases run
 * with the selftest's MSS (4036) and with 1448, the one a 1500-byte link
 * gives.
 */
#include "check.h"
#include "conform.h"
#include "record.h"

static struct cf_build B;
static struct xgro_pkt pkts[CF_MAX_FRAMES];

/* Runs b's frames through a fresh engine; returns the number of sizes. */
static int engine_sizes(struct cf_build *b, int *got, int cap)
{
	struct xgro_engine_config cfg = { .max_flows = 64 };
	struct rec r = { 0 };
	struct xgro_ctx *ctx;
	int n = 0;

	for (int i = 0; i < b->n; i++)
		pkts[i] = (struct xgro_pkt){ .data = b->frame[i],
					     .len = (uint32_t)b->len[i],
					     .handle = (uint64_t)i };
	if (xgro_ctx_create(&cfg, rec_emit, &r, &ctx))
		return -1;
	xgro_feed(ctx, pkts, (unsigned)b->n, 0);
	xgro_flush_all(ctx);
	xgro_ctx_destroy(ctx);
	for (size_t i = 0; i < r.n && n < cap; i++)
		got[n++] = cf_payload(r.v[i].bytes, r.v[i].len, NULL, NULL);
	rec_reset(&r);
	return n;
}

int main(void)
{
	static const unsigned mss[] = { CF_MSS_LARGE, 1448 };
	int failed = 0;

	printf("%-7s %-24s %-4s %-20s %-20s %s\n", "group", "case", "ip",
	       "Linux 6.18", "xgro engine", "verdict");
	for (size_t c = 0; c < cf_ncases; c++) {
		const struct cf_case *cs = &cf_cases[c];
		bool large = !strcmp(cs->group, "large");

		for (int fam = 4; fam <= 6; fam += 2) {
			for (size_t m = 0; m < (large ? 2u : 1u); m++) {
				int got[CF_MAX_OUT + 8], n;
				char w[96], g[96], name[64];
				bool same;

				memset(&B, 0, sizeof(B));
				B.family = fam;
				B.sport = (uint16_t)(1500 + c);
				B.mss = mss[m];
				if (cf_build(cs, &B))
					continue;
				n = engine_sizes(
					&B, got,
					(int)(sizeof(got) / sizeof(got[0])));
				same = n == B.nwant &&
				       !memcmp(got, B.want,
					       sizeof(int) * (size_t)n);
				snprintf(name, sizeof(name), "%s%s", cs->name,
					 large ? (m ? "/mss1448" : "/mss4036")
					       : "");
				printf("%-7s %-24s v%-3d %-20s %-20s %s\n",
				       cs->group, name, fam,
				       cf_sizes(B.want, B.nwant, w, sizeof(w)),
				       cf_sizes(got, n < 0 ? 0 : n, g,
						sizeof(g)),
				       same ? "same" : "DIFFERS");
				if (same) {
					printf("PASS: conform/%s/%s/v%d\n",
					       cs->group, name, fam);
				} else {
					printf("FAIL: conform/%s/%s/v%d: Linux "
					       "%s, xgro %s\n",
					       cs->group, name, fam, w, g);
					failed = 1;
				}
			}
		}
	}
	return failed;
}
