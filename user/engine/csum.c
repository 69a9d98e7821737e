// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Internet checksum (RFC 1071). Sums are kept in host byte order, which the
 * ones' complement sum tolerates: the folded result is written back as-is.
 *
 * The bulk loop splits each 32-bit word into its two 16-bit halves and adds
 * them into 32-bit lanes: eight lanes per AVX2 register, no carries to
 * propagate. A lane gains at most 2 * 0xffff per 32 bytes, so a chunk of
 * 32 KiB cannot overflow it.
 */
#include <immintrin.h>
#include <string.h>

#include "internal.h"

#define CHUNK 32768

static bool have_avx2;

__attribute__((constructor)) static void csum_init(void)
{
	__builtin_cpu_init();
	have_avx2 = __builtin_cpu_supports("avx2");
}

/* 8-byte steps, for the tail and for CPUs without AVX2. */
static uint64_t sum_scalar(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		s += (w & 0xffffffffu) + (w >> 32);
	}
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		s += w;
		p += 4;
		len -= 4;
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
	return s;
}

__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *p,
							  size_t len)
{
	const __m256i lo = _mm256_set1_epi32(0xffff);
	__m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
	__m128i x;
	uint64_t s;

	for (; len >= 64; p += 64, len -= 64) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)p);
		__m256i v1 = _mm256_loadu_si256((const __m256i *)(p + 32));

		a0 = _mm256_add_epi32(a0, _mm256_and_si256(v0, lo));
		a1 = _mm256_add_epi32(a1, _mm256_and_si256(v1, lo));
		a0 = _mm256_add_epi32(a0, _mm256_srli_epi32(v0, 16));
		a1 = _mm256_add_epi32(a1, _mm256_srli_epi32(v1, 16));
	}
	if (len >= 32) {
		__m256i v0 = _mm256_loadu_si256((const __m256i *)p);

		a0 = _mm256_add_epi32(a0, _mm256_and_si256(v0, lo));
		a1 = _mm256_add_epi32(a1, _mm256_srli_epi32(v0, 16));
		p += 32;
		len -= 32;
	}
	/* eight 32-bit lanes of each: widen to 64 bits before adding up */
	a0 = _mm256_add_epi64(
		_mm256_add_epi64(_mm256_and_si256(a0, _mm256_set1_epi64x(0xffffffff)),
				 _mm256_srli_epi64(a0, 32)),
		_mm256_add_epi64(_mm256_and_si256(a1, _mm256_set1_epi64x(0xffffffff)),
				 _mm256_srli_epi64(a1, 32)));
	x = _mm_add_epi64(_mm256_castsi256_si128(a0),
			  _mm256_extracti128_si256(a0, 1));
	s = (uint64_t)_mm_cvtsi128_si64(x) + (uint64_t)_mm_extract_epi64(x, 1);
	return s + sum_scalar(p, len);
}

uint32_t xgro_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	if (!have_avx2)
		return fold64(s + sum_scalar(p, len));
	while (len) {
		size_t n = len < CHUNK ? len : CHUNK;

		s += sum_avx2(p, n);
		p += n;
		len -= n;
		s = (s & 0xffffffffu) + (s >> 32);
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
