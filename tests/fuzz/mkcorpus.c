// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* Writes the seed corpus of fuzz_engine: short streams of valid frames of
 * each kind, in the fuzzer's input format. Run: mkcorpus DIR */
#include <stdio.h>
#include <string.h>

#include "pktgen.h"

static size_t frame_op(uint8_t *out, const uint8_t *f, size_t len)
{
	/* op 100..199 reads a 2-byte length; keep op even: no hints */
	out[0] = 100;
	out[1] = (uint8_t)((len - 100) >> 8);
	out[2] = (uint8_t)(len - 100);
	memcpy(out + 3, f, len);
	return 3 + len;
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16], fr[2048], pay[1500];
	int n = 0;

	if (argc != 2)
		return 2;
	for (int fam = 4; fam <= 6; fam += 2)
		for (int proto = 6; proto <= 17; proto += 11)
			for (int vl = 0; vl <= 2; vl++)
				for (int mode = 0; mode < 3; mode++) {
					struct pg_flow f;
					size_t off = 0;
					char path[512];
					FILE *fp;

					pg_init(&f, fam, proto, (unsigned)n);
					f.nvlan = vl;
					f.vlan_tpid[0] =
						vl == 2 ? 0x88a8 : 0x8100;
					f.vlan_tpid[1] = 0x8100;
					f.vlan_tci[0] = 5;
					f.vlan_tci[1] = 6;
					if (proto == 6 && mode == 1)
						f.optlen = 12;
					buf[off++] = (uint8_t)mode; /* csum */
					buf[off++] = 3;		    /* flows */
					buf[off++] = 20;	    /* frames */
					buf[off++] = 63;	    /* segs */
					buf[off++] = 0;
					buf[off++] = 0; /* max_size default */
					buf[off++] = 3; /* tcp, udp */
					buf[off++] = 0;
					for (int i = 0; i < 6; i++) {
						size_t plen =
							i == 5 ? 300 : 400;
						size_t len;

						pg_fill((unsigned)n, 0, pay,
							plen);
						if (mode == 2 && i == 3)
							f.flags |= 0x08;
						len = pg_build(&f, pay, plen,
							       fr, sizeof(fr));
						off += frame_op(buf + off, fr,
								len);
						f.seq += (uint32_t)plen;
						f.ip_id++;
						f.flags = 0x10;
					}
					buf[off++] = 210; /* flush_expired */
					snprintf(path, sizeof(path),
						 "%s/seed-%02d", argv[1], n++);
					fp = fopen(path, "wb");
					if (!fp ||
					    fwrite(buf, 1, off, fp) != off)
						return 1;
					fclose(fp);
				}
	/* Linux 6.18 rules: IPv4 with a fixed ID and DF clear; IPv6 with an
	 * extension header, its bytes changed on the fifth segment; a
	 * max_size that the last, shorter segment meets exactly. */
	for (int ext = PG_EXT_NONE; ext <= PG_EXT_FRAGMENT; ext++)
		for (int proto = 6; proto <= 17; proto += 11) {
			struct pg_flow f;
			size_t off = 0, l3 = 0;
			char path[512];
			FILE *fp;

			pg_init(&f, ext ? 6 : 4, proto, (unsigned)n);
			f.df = false;
			f.v6_ext = (uint8_t)ext;
			buf[off++] = 0; /* csum verify */
			buf[off++] = 3;
			buf[off++] = 20;
			buf[off++] = 63;
			off += 2; /* max_size, below */
			buf[off++] = 3;
			buf[off++] = 0;
			for (int i = 0; i < 6; i++) {
				size_t plen = i == 5 ? 300 : 400;
				size_t len;

				pg_fill((unsigned)n, 0, pay, plen);
				if (i == 4)
					f.v6_ext_fill = 0x11;
				len = pg_build(&f, pay, plen, fr, sizeof(fr));
				off += frame_op(buf + off, fr, len);
				l3 = i ? l3 + plen : len - 14;
				f.seq += (uint32_t)plen;
				if (ext)
					f.ip_id++;
			}
			buf[4] = (uint8_t)(l3 >> 8);
			buf[5] = (uint8_t)l3;
			buf[off++] = 210;
			snprintf(path, sizeof(path), "%s/seed-%02d", argv[1],
				 n++);
			fp = fopen(path, "wb");
			if (!fp || fwrite(buf, 1, off, fp) != off)
				return 1;
			fclose(fp);
		}
	return 0;
}
