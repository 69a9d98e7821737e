// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Internet checksum (RFC 1071). Sums are kept in host byte order, which the
 * ones' complement sum tolerates: the folded result is written back as-is.
 */
#include <string.h>

#include "xgro_engine.h"

/*
 * Each 32-bit word adds its two halves to a 32-bit lane: a plain loop
 * that clang vectorises (8 lanes with AVX2). A chunk of 32 KiB adds at
 * most 8192 * 0x1fffe, so the lanes cannot overflow.
 */
#define CHUNK 32768

__attribute__((target_clones("avx2", "default"))) static uint32_t
sum_words(const uint8_t *p, size_t nwords)
{
	uint32_t s = 0;

	for (size_t i = 0; i < nwords; i++) {
		uint32_t w;

		memcpy(&w, p + 4 * i, 4);
		s += (w & 0xffff) + (w >> 16);
	}
	return s;
}

uint32_t xgro_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	while (len >= 4) {
		size_t n = len < CHUNK ? len : CHUNK;

		n &= ~(size_t)3;
		s += sum_words(p, n / 4);
		p += n;
		len -= n;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		s += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* a trailing byte is the high byte of a network-order word */
		uint8_t last[2] = { p[0], 0 };
		uint16_t w;

		memcpy(&w, last, 2);
		s += w;
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t xgro_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}
