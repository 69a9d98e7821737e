// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * The checksum against RFC 1071 done the plain way (16-bit words one by
 * one, the carries folded at the end), for each implementation the engine
 * has (scalar, AVX2 where the CPU has it, and the one chosen at run time):
 * every length 0..9000 at every alignment 0..63, over random bytes and
 * over 0xff bytes (the most carries), with and without a starting sum.
 */
#include "check.h"
#include "internal.h"

#define MAXLEN 9000
#define ALIGNS 64

static uint8_t buf[MAXLEN + ALIGNS + 64] __attribute__((aligned(64)));

typedef uint32_t (*csum_fn)(const void *, size_t, uint32_t);

static uint16_t ref_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* RFC 1071, in host order like the engine: word i is bytes 2i, 2i+1 as
 * memory holds them; an odd last byte is padded with a zero byte. */
static uint64_t ref_word(const uint8_t *p, size_t i, size_t len)
{
	uint8_t b[2] = { p[2 * i], 2 * i + 1 < len ? p[2 * i + 1] : 0 };
	uint16_t w;

	memcpy(&w, b, 2);
	return w;
}

static const char *sweep(csum_fn fn, uint32_t start)
{
	static char why[128];

	for (size_t a = 0; a < ALIGNS; a++) {
		const uint8_t *p = buf + a;
		uint64_t even = start; /* the reference sum of p[0, len & ~1) */

		for (size_t len = 0; len <= MAXLEN; len++) {
			uint64_t ref = even;
			uint16_t got;

			if (len & 1)
				ref += ref_word(p, len / 2, len);
			got = xgro_csum_fold(fn(p, len, start));
			if (got != ref_fold(ref)) {
				snprintf(why, sizeof(why),
					 "alignment %zu length %zu: %#x, not "
					 "%#x",
					 a, len, got, ref_fold(ref));
				return why;
			}
			if (len & 1)
				even += ref_word(p, len / 2, len + 1);
		}
	}
	return NULL;
}

static void fill_random(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)(x >> 32);
	}
}

static void check_impl(csum_fn fn)
{
	const char *why;

	fill_random();
	why = sweep(fn, 0);
	CHECKF(!why, "random bytes: %s", why);
	why = sweep(fn, 0xfffe1234u);
	CHECKF(!why, "random bytes, a starting sum: %s", why);
	memset(buf, 0xff, sizeof(buf));
	why = sweep(fn, 0);
	CHECKF(!why, "0xff bytes: %s", why);
}

static void scalar(void)
{
	check_impl(xgro_csum_scalar);
}

/* without AVX2 there is nothing to run: the scalar code is then the
 * chosen one, which the next test covers */
static void avx2(void)
{
	if (xgro_csum_have_avx2())
		check_impl(xgro_csum_avx2);
}

static void chosen(void)
{
	check_impl(xgro_csum_partial);
}

static const struct check_test tests[] = {
	{ "scalar", scalar },
	{ "avx2_where_the_cpu_has_it", avx2 },
	{ "chosen_at_run_time", chosen },
};

CHECK_MAIN("csum", tests)
