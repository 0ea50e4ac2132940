/* Point-wise kernels of FNO's fused ops (include/neop/nn/field_kernels.h):
   bias + activation + derivative in one pass and the domain pad/crop block
   copy; the table (the per-sample products are in field_linear.c). */
#include "backend/cpu/field.h"
#include "backend/cpu/fastmath.h"
#include <neop/nn/field_kernels.h>
#include <string.h>

#define INV_SQRT2   0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794
#define PAR_MIN     65536 /* fewer elements stay on one thread */
#define BLOCK       256   /* elements per scratch block of the generic activations */

/* z += b; y = gelu(z); d = gelu'(z) (d may be z; y may be z when d is NULL) */
NEOP_SIMD_CLONES static void gelu_row(int64_t n, float b, float *z, float *y, float *d)
{
  if (d) {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
      float x = z[i] + b, cdf = 0.5f * (1.f + neop_fast_erff(x * (float)INV_SQRT2));
      y[i] = x * cdf;
      d[i] = cdf + x * (float)INV_SQRT2PI * neop_fast_expf(-0.5f * x * x);
    }
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
      float x = z[i] + b;
      y[i]    = 0.5f * x * (1.f + neop_fast_erff(x * (float)INV_SQRT2));
    }
  }
}

/* any other activation through unary.c, a block at a time so that d may overwrite z */
static void generic_row(NeopUnaryKind act, int64_t n, float b, float *z, float *y, float *d)
{
  float one[BLOCK];
  for (int64_t o = 0; o < n; o += BLOCK) {
    int64_t m = n - o < BLOCK ? n - o : BLOCK;
    for (int64_t i = 0; i < m; i++) z[o + i] += b;
    neop_cpu_unary_forward(act, m, z + o, y + o);
    if (!d) continue;
    for (int64_t i = 0; i < m; i++) one[i] = 1.f;
    neop_cpu_unary_grad(act, m, z + o, y + o, one); /* one = act'(z) */
    memcpy(d + o, one, sizeof(float) * (size_t)m);
  }
}

void neop_cpu_field_act_rows(int C, int64_t n, int64_t ld, const float *b, NeopUnaryKind act, float *z, float *y, float *d)
{
#pragma omp parallel for if ((int64_t)C * n > PAR_MIN)
  for (int c = 0; c < C; c++) {
    float  bc = b ? b[c] : 0.f;
    float *zc = z + c * ld, *yc = y + c * ld, *dc = d ? d + c * ld : NULL; /* (n) */
    if (act == NEOP_UNARY_GELU) gelu_row(n, bc, zc, yc, dc);
    else if (act == NEOP_UNARY_IDENTITY && !dc) {
#pragma omp simd
      for (int64_t i = 0; i < n; i++) yc[i] = zc[i] + bc;
    } else generic_row(act, n, bc, zc, yc, dc);
  }
}

static void cpu_resize(int64_t outer, const int *A, const float *src, const int *B, float *dst, PetscBool add)
{
  int     R[3] = {A[0] < B[0] ? A[0] : B[0], A[1] < B[1] ? A[1] : B[1], A[2] < B[2] ? A[2] : B[2]};
  int64_t sa = (int64_t)A[0] * A[1] * A[2], sb = (int64_t)B[0] * B[1] * B[2], plane = (int64_t)B[1] * B[2];

#pragma omp parallel for if (outer * sb > PAR_MIN)
  for (int64_t o = 0; o < outer; o++) {
    const float *s = src + o * sa; /* (A0, A1, A2) */
    float       *d = dst + o * sb; /* (B0, B1, B2) */
    for (int i = 0; i < R[0]; i++) {
      for (int j = 0; j < R[1]; j++) {
        const float *sr = s + ((int64_t)i * A[1] + j) * A[2];
        float       *dr = d + ((int64_t)i * B[1] + j) * B[2];
        if (add) {
#pragma omp simd
          for (int k = 0; k < R[2]; k++) dr[k] += sr[k];
        } else {
          memcpy(dr, sr, sizeof(float) * (size_t)R[2]);
          memset(dr + R[2], 0, sizeof(float) * (size_t)(B[2] - R[2]));
        }
      }
      if (!add) memset(d + ((int64_t)i * B[1] + R[1]) * B[2], 0, sizeof(float) * (size_t)(B[1] - R[1]) * B[2]);
    }
    if (!add) memset(d + (int64_t)R[0] * plane, 0, sizeof(float) * (size_t)((B[0] - R[0]) * plane));
  }
}

const NeopFieldKernels neop_cpu_field = {
  .linear_act      = neop_cpu_field_linear_act,
  .linear_backward = neop_cpu_field_linear_backward,
  .add_linear_act  = neop_cpu_field_add_linear_act,
  .mlp_forward     = neop_cpu_field_mlp_forward,
  .mlp_backward    = neop_cpu_field_mlp_backward,
  .resize          = cpu_resize,
};
