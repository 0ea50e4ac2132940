/* Counter-based random numbers (Philox-4x32-10). A stream is keyed by
   (seed, purpose, index): the same numbers come out for a sample, a parameter
   or an epoch's shuffle whatever the number of ranks, and any stream can be
   recreated from its key without replaying others. */
#pragma once
#include <stdint.h>

typedef enum {
  NEOP_RNG_INIT    = 1, /* parameter initialisation: index = parameter number */
  NEOP_RNG_SHUFFLE = 2, /* epoch shuffling: index = epoch */
  NEOP_RNG_DATA    = 3, /* data generation: index = sample number */
  NEOP_RNG_MODEL   = 4, /* in-model randomness (test-function centres, ...): index = step */
  NEOP_RNG_NOISE   = 5  /* observation noise, samplers */
} NeopRngPurpose;

typedef struct {
  uint32_t key[2];
  uint32_t ctr[4];
  uint32_t buf[4];
  int      left;   /* unused words in buf */
} NeopRng;

void     NeopRngInit(NeopRng *r, uint64_t seed, NeopRngPurpose purpose, uint64_t index);
uint32_t NeopRngU32(NeopRng *r);
double   NeopRngUniform(NeopRng *r);   /* [0, 1) with 53 random bits */
double   NeopRngNormal(NeopRng *r);    /* standard normal (Box-Muller) */
/* Fisher-Yates permutation of 0..n-1. */
void     NeopRngPermutation(NeopRng *r, int n, int *perm);
