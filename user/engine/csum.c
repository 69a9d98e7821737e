// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * Internet checksum (RFC 1071). Sums are kept in host byte order, which the
 * ones' complement sum tolerates: the folded result is written back as-is.
 *
 * Two implementations, the one for this CPU chosen once at load time: AVX2
 * where the CPU has it, else 64-bit scalar code (x86-64 without AVX2, or
 * any other architecture). `xgro-bench --csum` measures both, and
 * tests/unit/test_csum.c checks both against a plain RFC 1071 sum at every
 * length 0..9000 and every alignment 0..63.
 */
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "internal.h"

#define CHUNK 32768

/* Ones' complement sum of 64-bit words: add with carry, the carries
 * counted apart and added back at the end (they are worth 2^64 = 1 in
 * ones' complement arithmetic modulo 0xffff). */
static uint64_t add_carry(uint64_t s, uint64_t w, uint64_t *carries)
{
	s += w;
	*carries += s < w;
	return s;
}

/* What is left after the wide steps: up to 7 bytes. */
static uint64_t sum_tail(const uint8_t *p, size_t len)
{
	uint64_t s = 0;

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

static uint32_t fold_carry(uint64_t s, uint64_t c)
{
	/* fold the 64-bit sum to 32 bits, the carries being 1 each */
	uint64_t r = (s & 0xffffffffu) + (s >> 32) + c;

	r = (r & 0xffffffffu) + (r >> 32);
	r = (r & 0xffffffffu) + (r >> 32);
	return (uint32_t)r;
}

/* 32 bytes a step in four independent add-with-carry chains, then 8. */
uint32_t xgro_csum_scalar(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s0 = sum, s1 = 0, s2 = 0, s3 = 0, c = 0, w[4];

	for (; len >= 32; p += 32, len -= 32) {
		memcpy(w, p, 32);
		s0 = add_carry(s0, w[0], &c);
		s1 = add_carry(s1, w[1], &c);
		s2 = add_carry(s2, w[2], &c);
		s3 = add_carry(s3, w[3], &c);
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(w, p, 8);
		s0 = add_carry(s0, w[0], &c);
	}
	s0 = add_carry(s0, s1, &c);
	s0 = add_carry(s0, s2, &c);
	s0 = add_carry(s0, s3, &c);
	s0 = add_carry(s0, sum_tail(p, len), &c);
	return fold_carry(s0, c);
}

#if defined(__x86_64__)
/*
 * 32 bytes a step by multiply-add: each 16-bit word, biased by 0x8000 so
 * that it reads as a signed one, is multiplied by 1 and added to its
 * neighbour into a 32-bit lane: one xor, one multiply-add and one add per
 * 32 bytes where masking, shifting and two adds took four. The bias,
 * -0x10000 per lane and step, is put back at the end. Four accumulators
 * hide the multiply-add's latency. A lane moves by at most 0x10000 a step,
 * so 32 KiB (1024 steps, 256 per accumulator) cannot overflow it.
 */
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *p,
							 size_t len)
{
	const __m256i bias = _mm256_set1_epi16((short)0x8000);
	const __m256i one = _mm256_set1_epi16(1);
	__m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
	__m128i x;
	int64_t steps = 0, s;

#define STEP(acc, off)                                                         \
	acc = _mm256_add_epi32(                                                \
		acc,                                                           \
		_mm256_madd_epi16(                                             \
			_mm256_xor_si256(_mm256_loadu_si256(                   \
						 (const __m256i *)(p + off)),  \
					 bias),                                \
			one))
	for (; len >= 128; p += 128, len -= 128, steps += 4) {
		STEP(a0, 0);
		STEP(a1, 32);
		STEP(a2, 64);
		STEP(a3, 96);
	}
	for (; len >= 32; p += 32, len -= 32, steps++)
		STEP(a0, 0);
#undef STEP
	a0 = _mm256_add_epi32(_mm256_add_epi32(a0, a1),
			      _mm256_add_epi32(a2, a3));
	/* signed lanes: widen with their sign, then add up */
	a0 = _mm256_add_epi64(
		_mm256_cvtepi32_epi64(_mm256_castsi256_si128(a0)),
		_mm256_cvtepi32_epi64(_mm256_extracti128_si256(a0, 1)));
	x = _mm_add_epi64(_mm256_castsi256_si128(a0),
			  _mm256_extracti128_si256(a0, 1));
	s = _mm_cvtsi128_si64(x) + _mm_extract_epi64(x, 1);
	/* the bias: 8 lanes, 0x10000 each per step */
	s += steps * 8 * 0x10000;
	return (uint64_t)s + (uint64_t)(xgro_csum_scalar(p, len, 0));
}

uint32_t xgro_csum_avx2(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

	/* below this the scalar code wins: the vector setup and reduction
	 * cost more than they save (xgro-bench --csum) */
	if (len < 256)
		return xgro_csum_scalar(buf, len, sum);
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

bool xgro_csum_have_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2");
}
#else
uint32_t xgro_csum_avx2(const void *buf, size_t len, uint32_t sum)
{
	return xgro_csum_scalar(buf, len, sum);
}

bool xgro_csum_have_avx2(void)
{
	return false;
}
#endif

static uint32_t (*csum_impl)(const void *, size_t, uint32_t) = xgro_csum_scalar;

__attribute__((constructor)) static void csum_init(void)
{
	if (xgro_csum_have_avx2())
		csum_impl = xgro_csum_avx2;
}

uint32_t xgro_csum_partial(const void *buf, size_t len, uint32_t sum)
{
	return csum_impl(buf, len, sum);
}

/* the engine folds inline (fold32); the API's fold is the same one */
uint16_t xgro_csum_fold(uint32_t sum)
{
	return fold32(sum);
}
