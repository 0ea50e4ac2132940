/* Point-wise kernels on fields (outer, C, P), the work of FNO's fused ops
   around their matrix products (a sub-table of NeopBackend, pointed to by
   NeopBackend.field; CPU: src/backend/cpu/field.c). Buffers are backend
   memory. They exist so that the bias, the activation, its derivative and
   the bias gradient each take one pass over a sample that is still in cache,
   instead of one pass over the whole batch apiece. */
#pragma once
#include <neop/backend.h>

typedef struct NeopFieldKernels {
  /* One sample, z (C, P): z += b[c] (b may be NULL), y = act(z), and when dact is
     not NULL dact = act'(z). y may be z (then dact must be NULL); dact may be z
     (z is overwritten by the derivative). */
  void (*bias_act)(int C, int64_t P, const float *b, NeopUnaryKind act, float *z, float *y, float *dact);
  /* g (outer, C, P) *= dact (skipped when dact is NULL), then db[c] += the sum of g
     over outer and P (skipped when db is NULL). */
  void (*act_grad_bias)(int64_t outer, int C, int64_t P, const float *dact, float *g, float *db);
  /* Block copy between the spatial layouts A and B (3 extents each, missing
     leading dims 1) of 'outer' fields: dst[o, i, j, k] = src[o, i, j, k]
     (add: +=) on the common region i < min(A0, B0), ...; without add, the
     entries of dst outside it are set to 0 (domain padding), with add they
     are left alone (the adjoint of cropping). */
  void (*resize)(int64_t outer, const int *A, const float *src, const int *B, float *dst, PetscBool add);
} NeopFieldKernels;
