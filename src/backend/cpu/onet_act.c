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

/* One loop over i < n with x = z[i] + XB and the statements given; ACT4 makes its four
   variants (bias vector bv or scalar bs; with or without d), so that none tests inside. */
#define ACT_LOOP(XB, ...) \
  do { \
    _Pragma("omp simd") for (int i = 0; i < n; i++) \
    { \
      const float x = z[i] + (XB); \
      __VA_ARGS__ \
    } \
  } while (0)
#define ACT4(YS, DS) \
  do { \
    if (d && bv) ACT_LOOP(bv[i], YS DS); \
    else if (d) ACT_LOOP(bs, YS DS); \
    else if (bv) ACT_LOOP(bv[i], YS); \
    else ACT_LOOP(bs, YS); \
  } while (0)

/* y[i] = f(x), d[i] = f'(x) (d may be NULL), x = z[i] + (bv ? bv[i] : bs); y and d may be z */
NEOP_SIMD_CLONES static void row_act(NeopUnaryKind kind, int n, const float *bv, float bs, const float *z, float *y, float *d)
{
  switch (kind) {
  case NEOP_UNARY_SILU:
    ACT4(const float g = sigmoid(x); y[i] = x * g;, d[i] = g * (1.f + x * (1.f - g)););
    break;
  case NEOP_UNARY_SILU_ID:
    ACT4(const float g = sigmoid(x); y[i] = x * g + x;, d[i] = g * (1.f + x * (1.f - g)) + 1.f;);
    break;
  case NEOP_UNARY_TANH_SIN:
    ACT4(float s; float c; neop_fast_sincospi(x + 1.f, &s, &c); const float e = neop_fast_expf(2.f * s);
         const float T = (e - 1.f) / (e + 1.f); y[i] = T + x;, d[i] = (1.f - T * T) * (float)M_PI * c + 1.f;);
    break;
  default: /* NEOP_UNARY_SILU_SIN */
    ACT4(float s; float c; neop_fast_sincospi(x + 1.f, &s, &c); const float g = sigmoid(s); y[i] = s * g + x;,
         d[i] = g * (1.f + s * (1.f - g)) * (float)M_PI * c + 1.f;);
    break;
  }
}

/* any other activation through unary.c, a block at a time */
static void row_generic(NeopUnaryKind kind, int n, const float *bv, float bs, const float *z, float *y, float *d)
{
  float x[BLOCK], one[BLOCK];
  for (int o = 0; o < n; o += BLOCK) {
    int m = n - o < BLOCK ? n - o : BLOCK;
    for (int i = 0; i < m; i++) x[i] = z[o + i] + (bv ? bv[o + i] : bs), one[i] = 1.f;
    neop_cpu_unary_forward(kind, m, x, y + o);
    if (!d) continue;
    neop_cpu_unary_grad(kind, m, x, y + o, one); /* one = f'(x) */
    for (int i = 0; i < m; i++) d[o + i] = one[i];
  }
}

void neop_cpu_onet_bias_act(NeopUnaryKind kind, int64_t outer, int C, int64_t inner, const float *b, const float *z, float *y, float *d)
{
  const int fast = kind == NEOP_UNARY_SILU || kind == NEOP_UNARY_SILU_ID || kind == NEOP_UNARY_TANH_SIN || kind == NEOP_UNARY_SILU_SIN;
  /* rows of len values: (outer) rows of C with the bias vector (inner 1), (outer C) rows of inner with
     the bias of their channel, or without a bias one long row */
  const int64_t nr = !b ? 1 : inner == 1 ? outer : outer * C, len = !b ? outer * C * inner : inner == 1 ? C : inner;

#pragma omp parallel for if (outer * C * inner > PAR_MIN)
  for (int64_t r = 0; r < nr; r++) {
    const float *zr = z + r * len, *bv = b && inner == 1 ? b : NULL;
    const float  bs = b && inner > 1 ? b[r % C] : 0.f;
    float       *yr = y + r * len, *dr = d ? d + r * len : NULL;
    for (int64_t o = 0; o < len; o += 1 << 20) { /* int lengths for the row kernels */
      int n = (int)(len - o < (1 << 20) ? len - o : 1 << 20);
      if (fast) row_act(kind, n, bv ? bv + o : NULL, bs, zr + o, yr + o, dr ? dr + o : NULL);
      else row_generic(kind, n, bv ? bv + o : NULL, bs, zr + o, yr + o, dr ? dr + o : NULL);
    }
  }
}

void neop_cpu_onet_act_grad(int64_t n, const float *d, float *dy)
{
#pragma omp parallel for simd if (n > PAR_MIN)
  for (int64_t i = 0; i < n; i++) dy[i] *= d[i];
}
