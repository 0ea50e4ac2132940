/* Point-wise activations: forward y = f(x), backward dx += f'(x) dy. */
#include "backend/cpu/cpu.h"
#include <math.h>

#define INV_SQRT2   0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794

/* expf and erff that vectorise (libm's do not, and GELU was 15% of an MgNO
   training step): exp by 2^n times a degree-6 polynomial on
   [-ln2/2, ln2/2] (relative error ~2e-7); erf by Abramowitz & Stegun 7.1.26
   (absolute error <= 1.5e-7). */
typedef union {
  float   f;
  int32_t i;
} fbits;

/* exp(x) for x <= 0 (all that GELU needs); 0 below -87 */
static inline float vexpf_neg(float x)
{
  const float big = 12582912.f; /* 1.5 2^23: adding it rounds to an integer */
  float       fn, r, p;
  fbits       t, s;
  int32_t     under = x < -87.f;

  x   = under ? -87.f : x;
  t.f = x * 1.44269504f + big;
  fn  = t.f - big;
  r   = x - fn * 0.693145752f - fn * 1.42860677e-6f;
  p   = 1.f + r * (1.f + r * (0.5f + r * (0.166666672f + r * (0.0416666642f + r * (0.00833333377f + r * 0.00138888892f)))));
  s.i = (t.i - 0x4B400000 + 127) << 23; /* 2^n, n = round(x / ln 2): the low bits of t */
  return under ? 0.f : p * s.f;
}

static inline float verff(float x)
{
  float a = fabsf(x), t = 1.f / (1.f + 0.3275911f * a);
  float y = 1.f - t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f)))) * vexpf_neg(-a * a);
  return copysignf(y, x);
}

static inline float softplus(float x) { return x > 20.f ? x : log1pf(expf(x)); } /* PyTorch's threshold 20 */

void neop_cpu_unary_forward(NeopUnaryKind kind, int64_t n, const float *x, float *y)
{
  switch (kind) {
  case NEOP_UNARY_IDENTITY:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = x[i];
    break;
  case NEOP_UNARY_GELU:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.f + verff(x[i] * (float)INV_SQRT2));
    break;
  case NEOP_UNARY_RELU:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0.f ? x[i] : 0.f;
    break;
  case NEOP_UNARY_TANH:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = tanhf(x[i]);
    break;
  case NEOP_UNARY_SILU:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = x[i] / (1.f + expf(-x[i]));
    break;
  case NEOP_UNARY_SIN:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = sinf(x[i]);
    break;
  case NEOP_UNARY_SIGMOID:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = 1.f / (1.f + expf(-x[i]));
    break;
  case NEOP_UNARY_SOFTPLUS:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = softplus(x[i]);
    break;
  case NEOP_UNARY_TANH_SIN:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) y[i] = tanhf(sinf((float)M_PI * (x[i] + 1.f))) + x[i];
    break;
  case NEOP_UNARY_COUNT:
    break;
  }
}

void neop_cpu_unary_backward(NeopUnaryKind kind, int64_t n, const float *x, const float *y, const float *dy, float *dx)
{
  switch (kind) {
  case NEOP_UNARY_IDENTITY:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i];
    break;
  case NEOP_UNARY_GELU:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) {
      float cdf = 0.5f * (1.f + verff(x[i] * (float)INV_SQRT2));
      float pdf = (float)INV_SQRT2PI * vexpf_neg(-0.5f * x[i] * x[i]);
      dx[i] += dy[i] * (cdf + x[i] * pdf);
    }
    break;
  case NEOP_UNARY_RELU:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) dx[i] += x[i] > 0.f ? dy[i] : 0.f;
    break;
  case NEOP_UNARY_TANH:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * (1.f - y[i] * y[i]);
    break;
  case NEOP_UNARY_SILU:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) {
      float s = 1.f / (1.f + expf(-x[i]));
      dx[i] += dy[i] * s * (1.f + x[i] * (1.f - s));
    }
    break;
  case NEOP_UNARY_SIN:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * cosf(x[i]);
    break;
  case NEOP_UNARY_SIGMOID:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) dx[i] += dy[i] * y[i] * (1.f - y[i]);
    break;
  case NEOP_UNARY_SOFTPLUS:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) dx[i] += x[i] > 20.f ? dy[i] : dy[i] / (1.f + expf(-x[i]));
    break;
  case NEOP_UNARY_TANH_SIN:
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) {
      float s = sinf((float)M_PI * (x[i] + 1.f)), t = tanhf(s);
      dx[i] += dy[i] * ((1.f - t * t) * (float)M_PI * cosf((float)M_PI * (x[i] + 1.f)) + 1.f);
    }
    break;
  case NEOP_UNARY_COUNT:
    break;
  }
}
