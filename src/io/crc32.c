/* Table-driven CRC-32, reflected polynomial 0xEDB88320: the same values as
   zlib's crc32() and Python's zlib.crc32(), so files can be checked outside neop. */
#include "io/crc32.h"

static uint32_t table[256];
static int      table_ready;

static void make_table(void)
{
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  table_ready = 1;
}

uint32_t neop_crc32(uint32_t crc, const void *buf, size_t n)
{
  const unsigned char *p = (const unsigned char *)buf;

  if (!table_ready) make_table();
  crc = ~crc;
  for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}
