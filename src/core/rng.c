/* Philox-4x32-10 (Salmon et al., SC'11): a keyed bijection on 128-bit counters. */
#include <neop/rng.h>
#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void philox_round(uint32_t c[4], const uint32_t k[2])
{
  uint64_t p0 = (uint64_t)PHILOX_M0 * c[0], p1 = (uint64_t)PHILOX_M1 * c[2];
  uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0, hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
  c[0] = hi1 ^ c[1] ^ k[0];
  c[1] = lo1;
  c[2] = hi0 ^ c[3] ^ k[1];
  c[3] = lo0;
}

static void philox_block(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
  uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]}, k[2] = {key[0], key[1]};
  for (int r = 0; r < 10; r++) {
    philox_round(c, k);
    k[0] += PHILOX_W0;
    k[1] += PHILOX_W1;
  }
  for (int i = 0; i < 4; i++) out[i] = c[i];
}

void NeopRngInit(NeopRng *r, uint64_t seed, NeopRngPurpose purpose, uint64_t index)
{
  r->key[0] = (uint32_t)seed;
  r->key[1] = (uint32_t)(seed >> 32);
  /* ctr[0] counts draws; (purpose, index) select the stream. */
  r->ctr[0] = 0;
  r->ctr[1] = (uint32_t)purpose;
  r->ctr[2] = (uint32_t)index;
  r->ctr[3] = (uint32_t)(index >> 32);
  r->left   = 0;
}

uint32_t NeopRngU32(NeopRng *r)
{
  if (!r->left) {
    philox_block(r->ctr, r->key, r->buf);
    r->ctr[0]++;
    r->left = 4;
  }
  return r->buf[--r->left];
}

double NeopRngUniform(NeopRng *r)
{
  uint64_t hi = NeopRngU32(r) >> 5, lo = NeopRngU32(r) >> 6; /* 27 + 26 bits */
  return (double)(hi * 67108864u + lo) / 9007199254740992.0;
}

double NeopRngNormal(NeopRng *r)
{
  double u1 = 1.0 - NeopRngUniform(r), u2 = NeopRngUniform(r); /* u1 in (0, 1] */
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

void NeopRngPermutation(NeopRng *r, int n, int *perm)
{
  for (int i = 0; i < n; i++) perm[i] = i;
  for (int i = n - 1; i > 0; i--) {
    int j   = (int)(NeopRngUniform(r) * (i + 1));
    int t   = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
}
