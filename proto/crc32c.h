/*
 * crc32c.h: CRC-32C (Castagnoli), the checksum of journal and inbox records.
 * Uses the CPU's CRC instruction (SSE4.2 on x86-64, ARMv8 CRC) when present,
 * chosen once at run time, and a slicing table otherwise.
 * crc32c(0, "123456789", 9) == 0xE3069283.
 */
#ifndef AGENTLOG_CRC32C_H
#define AGENTLOG_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) over buf[0..len). */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* The same with the portable slicing-by-8 table, whatever the CPU has
 * (for tests and benchmarks: the hardware path must agree with it). */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);

/* "sse4.2", "armv8" or "table": the implementation crc32c() uses. */
const char *crc32c_impl(void);

#endif
