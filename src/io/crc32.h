/* CRC-32 (IEEE 802.3, the zlib/PNG polynomial): checkpoint checksums. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 to start) over n bytes. Not collective, thread-safe after the first call. */
uint32_t neop_crc32(uint32_t crc, const void *buf, size_t n);
