/*
 * crc32c.c: CRC-32C (Castagnoli, reflected polynomial 0x82F63B78).
 *
 * Three implementations with one contract: the CPU's CRC32 instruction
 * (SSE4.2 on x86-64, the ARMv8 CRC extension on AArch64), each compiled
 * with a target attribute so the rest of the build needs no -m flags, and
 * a portable slicing-by-8 table.  Which one runs is decided once, at load
 * time, from what the CPU reports.
 *
 * The SSE4.2 one runs three chains at once (below): every accepted event
 * is checksummed on the loop thread, and one chain left the instruction
 * two thirds idle.
 */
#include <string.h>

#include "crc32c.h"
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
/* The compiler builtins, so no -march flag and no arm_acle.h version
 * differences: clang spells the target "crc", GCC "+crc". */
#if defined(__clang__)
#define CRC32C_ARM_TARGET __attribute__((target("crc")))
#define crc32c_arm64 __builtin_arm_crc32cd
#define crc32c_arm8 __builtin_arm_crc32cb
#else
#define CRC32C_ARM_TARGET __attribute__((target("+crc")))
#define crc32c_arm64 __builtin_aarch64_crc32cx
#define crc32c_arm8 __builtin_aarch64_crc32cb
#endif
#endif

#define CRC32C_POLY 0x82F63B78u

typedef uint32_t (*crc32c_fn)(uint32_t, const unsigned char *, size_t);

static uint32_t crc32c_table[8][256];
#if defined(__x86_64__)
/* Three chains of CRC32C_SHORT bytes each per step (crc32c_sse42). */
#define CRC32C_SHORT 64
static uint32_t crc32c_shift_short[4][256];
#endif
static crc32c_fn crc32c_best;
static const char *crc32c_best_name = "table";

/* Load 8 bytes little-endian whatever the alignment. */
static inline uint64_t crc32c_load64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* Slicing-by-8 over an inverted crc: eight table lookups per 8 bytes. */
static uint32_t crc32c_slice8(uint32_t crc, const unsigned char *p,
			      size_t len)
{
	const uint32_t (*t)[256] = (const uint32_t (*)[256])crc32c_table;

	while (len >= 8) {
		uint64_t v = crc32c_load64(p) ^ crc;
		crc = t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^
		      t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
		      t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^
		      t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

/*
 * Tabulate "append n zero bytes" for a crc register (no inversions): a
 * linear map, so the image of each of the 32 bits, feeding zeros through
 * the byte table, gives it whole; t[k][v] is the image of v << 8k.
 */
static void crc32c_shift_table(uint32_t t[4][256], size_t n)
{
	uint32_t img[32];

	for (int b = 0; b < 32; b++) {
		uint32_t c = 1u << b;
		for (size_t i = 0; i < n; i++)
			c = crc32c_table[0][c & 0xff] ^ (c >> 8);
		img[b] = c;
	}
	for (int k = 0; k < 4; k++) {
		t[k][0] = 0;
		for (unsigned v = 1; v < 256; v++)
			t[k][v] = t[k][v & (v - 1)] ^
				  img[8 * k + __builtin_ctz(v)];
	}
}

/* The register c followed by CRC32C_SHORT zero bytes. */
static inline uint32_t crc32c_shift(uint32_t c)
{
	const uint32_t (*t)[256] = crc32c_shift_short;

	return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^
	       t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
}

/*
 * SSE4.2: the crc32 instruction has a latency of three cycles but starts
 * one every cycle, so blocks of 3 * CRC32C_SHORT bytes run as three
 * independent chains over their thirds (the second and third from zero),
 * joined by the shift: crc(A B) = shift(crc(A), |B|) ^ crc0(B), as the
 * register is linear in its start and in the data.  An event (~500
 * bytes) takes two blocks; the rest goes one chain, 8 bytes a step.
 */
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t len)
{
	uint64_t c = crc, c1, c2;
	const unsigned char *end;

	while (len > 0 && ((uintptr_t)p & 7) != 0) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 3 * CRC32C_SHORT) {
		c1 = c2 = 0;
		end = p + CRC32C_SHORT;
		do {
			c = _mm_crc32_u64(c, crc32c_load64(p));
			c1 = _mm_crc32_u64(c1, crc32c_load64(p + CRC32C_SHORT));
			c2 = _mm_crc32_u64(c2, crc32c_load64(p + 2 * CRC32C_SHORT));
			p += 8;
		} while (p < end);
		c = crc32c_shift((uint32_t)c) ^ c1;
		c = crc32c_shift((uint32_t)c) ^ c2;
		p += 2 * CRC32C_SHORT;
		len -= 3 * CRC32C_SHORT;
	}
	while (len >= 32) {
		c = _mm_crc32_u64(c, crc32c_load64(p));
		c = _mm_crc32_u64(c, crc32c_load64(p + 8));
		c = _mm_crc32_u64(c, crc32c_load64(p + 16));
		c = _mm_crc32_u64(c, crc32c_load64(p + 24));
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		c = _mm_crc32_u64(c, crc32c_load64(p));
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return (uint32_t)c;
}
#endif

#if defined(__aarch64__) && defined(__linux__)
/* ARMv8 CRC extension: crc32cx per 8 bytes. */
CRC32C_ARM_TARGET
static uint32_t crc32c_armv8(uint32_t crc, const unsigned char *p, size_t len)
{
	while (len >= 8) {
		crc = crc32c_arm64(crc, crc32c_load64(p));
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = crc32c_arm8(crc, *p++);
	return crc;
}
#endif

/* Build the tables and pick the implementation on first use (not in a
 * constructor: every process linking proto, agentlogctl included, would
 * pay 8 KiB of table writes and CPUID, which traps to the hypervisor on a
 * VM, at start-up whether or not it ever computes a CRC).  Racing first
 * calls from two threads both build identical tables and store the same
 * pointer last. */
static void crc32c_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc32c_table[0][n] = c;
	}
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = crc32c_table[0][n];
		for (int k = 1; k < 8; k++) {
			c = crc32c_table[0][c & 0xff] ^ (c >> 8);
			crc32c_table[k][n] = c;
		}
	}
	crc32c_fn best = crc32c_slice8;
#if defined(__x86_64__)
	unsigned eax, ebx, ecx, edx;

	/* <cpuid.h> rather than __builtin_cpu_supports(): the latter links
	 * libgcc's CPU-model constructor, which runs CPUID at start-up. */
	if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_2)) {
		crc32c_shift_table(crc32c_shift_short, CRC32C_SHORT);
		best = crc32c_sse42;
		crc32c_best_name = "sse4.2";
	}
#elif defined(__aarch64__) && defined(__linux__)
	if (getauxval(AT_HWCAP) & HWCAP_CRC32) {
		best = crc32c_armv8;
		crc32c_best_name = "armv8";
	}
#endif
	__atomic_store_n(&crc32c_best, best, __ATOMIC_RELEASE);
}

/* The implementation, initialised on first use. */
static crc32c_fn crc32c_get(void)
{
	crc32c_fn f = __atomic_load_n(&crc32c_best, __ATOMIC_ACQUIRE);

	if (__builtin_expect(f == NULL, 0)) {
		crc32c_init();
		f = __atomic_load_n(&crc32c_best, __ATOMIC_ACQUIRE);
	}
	return f;
}

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	return ~crc32c_get()(~crc, buf, len);
}

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	(void)crc32c_get();     /* the tables */
	return ~crc32c_slice8(~crc, buf, len);
}

const char *crc32c_impl(void)
{
	(void)crc32c_get();
	return crc32c_best_name;
}
