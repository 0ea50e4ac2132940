/* Bias + activation + its derivative of the operator networks' linear layers
   in one pass (NeopONetKernels.bias_act, act_grad; the op is
   src/ops/linear_act.c). The MultiONet and DGNO activations (silu, silu(x) + x,
   tanh(sin(pi (x + 1))) + x, silu(sin(pi (x + 1))) + x) share sin/cos/exp
   between f and f' and vectorise (the same formulas as unary.c); the others
   go through unary.c a block at a time. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/fastmath.h"

#define PAR_MIN 65536 /* fewer elements stay on one thread */
#define BLOCK   256   /* elements per scratch block of the generic activations */

static inline __attribute__((always_inline)) float sigmoid(float x) { return 1.f / (1.f + neop_fast_expf(-x)); }

/* y[i] = f(z[i] + b[i]), d[i] = f'(z[i] + b[i]) (b, d may be NULL; y and d may be z) */
NEOP_SIMD_CLONES static void row_act(NeopUnaryKind kind, int n, const float *b, const float *z, float *y, float *d)
{
  switch (kind) {
  case NEOP_UNARY_SILU:
  case NEOP_UNARY_SILU_ID: {
    const float one = kind == NEOP_UNARY_SILU_ID ? 1.f : 0.f;
#pragma omp simd
    for (int i = 0; i < n; i++) {
      float x = z[i] + (b ? b[i] : 0.f), g = sigmoid(x);
      y[i] = x * g + one * x;
      if (d) d[i] = g * (1.f + x * (1.f - g)) + one;
    }
  } break;
  case NEOP_UNARY_TANH_SIN:
#pragma omp simd
    for (int i = 0; i < n; i++) {
      float x = z[i] + (b ? b[i] : 0.f), s, c, e, T;
      neop_fast_sincospi(x + 1.f, &s, &c);
      e    = neop_fast_expf(2.f * s);
      T    = (e - 1.f) / (e + 1.f);
      y[i] = T + x;
      if (d) d[i] = (1.f - T * T) * (float)M_PI * c + 1.f;
    }
    break;
  default: /* NEOP_UNARY_SILU_SIN */
#pragma omp simd
    for (int i = 0; i < n; i++) {
      float x = z[i] + (b ? b[i] : 0.f), s, c, g;
      neop_fast_sincospi(x + 1.f, &s, &c);
      g    = sigmoid(s);
      y[i] = s * g + x;
      if (d) d[i] = g * (1.f + s * (1.f - g)) * (float)M_PI * c + 1.f;
    }
    break;
  }
}

/* any other activation through unary.c, a block at a time */
static void row_generic(NeopUnaryKind kind, int n, const float *b, const float *z, float *y, float *d)
{
  float x[BLOCK], one[BLOCK];
  for (int o = 0; o < n; o += BLOCK) {
    int m = n - o < BLOCK ? n - o : BLOCK;
    for (int i = 0; i < m; i++) x[i] = z[o + i] + (b ? b[o + i] : 0.f), one[i] = 1.f;
    neop_cpu_unary_forward(kind, m, x, y + o);
    if (!d) continue;
    neop_cpu_unary_grad(kind, m, x, y + o, one); /* one = f'(x) */
    for (int i = 0; i < m; i++) d[o + i] = one[i];
  }
}

void neop_cpu_onet_bias_act(NeopUnaryKind kind, int64_t rows, int C, const float *b, const float *z, float *y, float *d)
{
  const int fast = kind == NEOP_UNARY_SILU || kind == NEOP_UNARY_SILU_ID || kind == NEOP_UNARY_TANH_SIN || kind == NEOP_UNARY_SILU_SIN;
  /* without a bias the rows are one long row */
  const int64_t nr = b ? rows : 1, len = b ? C : rows * C;

#pragma omp parallel for if (rows * C > PAR_MIN)
  for (int64_t r = 0; r < nr; r++) {
    const float *zr = z + r * len;
    float       *yr = y + r * len, *dr = d ? d + r * len : NULL;
    for (int64_t o = 0; o < len; o += 1 << 20) { /* int lengths for the row kernels */
      int n = (int)(len - o < (1 << 20) ? len - o : 1 << 20);
      if (fast) row_act(kind, n, b ? b + o : NULL, zr + o, yr + o, dr ? dr + o : NULL);
      else row_generic(kind, n, b ? b + o : NULL, zr + o, yr + o, dr ? dr + o : NULL);
    }
  }
}

void neop_cpu_onet_act_grad(int64_t n, const float *d, float *dy)
{
#pragma omp parallel for simd if (n > PAR_MIN)
  for (int64_t i = 0; i < n; i++) dy[i] *= d[i];
}
