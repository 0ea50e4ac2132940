/* Point-wise activations: forward y = f(x); backward dx += f'(x) dy; grad dy *= f'(x);
   forward_grad both of the last at once. */
#include "backend/cpu/cpu.h"
#include "backend/cpu/fastmath.h"
#include <omp.h>

#define INV_SQRT2   0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794

NEOP_SIMD_CLONES static void gelu_forward(int64_t n, const float *x, float *y)
{
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.f + neop_fast_erff(x[i] * (float)INV_SQRT2));
}

/* out = (acc ? out : 0) + dy gelu'(x); out may be dy when acc is 0 */
NEOP_SIMD_CLONES static void gelu_derivative(int64_t n, const float *x, const float *dy, float *out, int acc)
{
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    float d = 0.5f * (1.f + neop_fast_erff(x[i] * (float)INV_SQRT2)) + x[i] * (float)INV_SQRT2PI * neop_fast_expf(-0.5f * x[i] * x[i]);
    out[i]  = (acc ? out[i] : 0.f) + dy[i] * d;
  }
}

/* y = gelu(x) and dy *= gelu'(x) in one pass: one erf per point */
NEOP_SIMD_CLONES static void gelu_forward_grad(int64_t n, const float *x, float *y, float *dy)
{
#pragma omp simd
  for (int64_t i = 0; i < n; i++) {
    float cdf = 0.5f * (1.f + neop_fast_erff(x[i] * (float)INV_SQRT2));
    y[i]      = x[i] * cdf;
    dy[i]     = dy[i] * (cdf + x[i] * (float)INV_SQRT2PI * neop_fast_expf(-0.5f * x[i] * x[i]));
  }
}

/* the thread's share [lo, hi) of n items inside a parallel region */
static void share(int64_t n, int64_t *lo, int64_t *hi)
{
  int64_t nt = omp_get_num_threads(), id = omp_get_thread_num();
  *lo = n * id / nt;
  *hi = n * (id + 1) / nt;
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
#pragma omp parallel if (n > 65536)
    {
      int64_t lo, hi;
      share(n, &lo, &hi);
      gelu_forward(hi - lo, x + lo, y + lo);
    }
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

/* out[i] = (acc ? out[i] : 0) + dy[i] f'(x[i]), the statements given setting
   d_ = f'(x[i]) (y[i] = f(x[i]) may be used); out may be dy itself when acc is 0. */
#define DERIV_LOOP(...) \
  _Pragma("omp parallel for simd if (n > 65536)") \
  for (int64_t i = 0; i < n; i++) { \
    float d_; \
    __VA_ARGS__; \
    out[i] = (acc ? out[i] : 0.f) + dy[i] * d_; \
  }

static void unary_derivative(NeopUnaryKind kind, int64_t n, const float *x, const float *y, const float *dy, float *out, int acc)
{
  switch (kind) {
  case NEOP_UNARY_IDENTITY:
    DERIV_LOOP(d_ = 1.f)
    break;
  case NEOP_UNARY_GELU:
#pragma omp parallel if (n > 65536)
    {
      int64_t lo, hi;
      share(n, &lo, &hi);
      gelu_derivative(hi - lo, x + lo, dy + lo, out + lo, acc);
    }
    break;
  case NEOP_UNARY_RELU:
    DERIV_LOOP(d_ = x[i] > 0.f ? 1.f : 0.f)
    break;
  case NEOP_UNARY_TANH:
    DERIV_LOOP(d_ = 1.f - y[i] * y[i])
    break;
  case NEOP_UNARY_SILU:
    DERIV_LOOP(float s = 1.f / (1.f + expf(-x[i])); d_ = s * (1.f + x[i] * (1.f - s)))
    break;
  case NEOP_UNARY_SIN:
    DERIV_LOOP(d_ = cosf(x[i]))
    break;
  case NEOP_UNARY_SIGMOID:
    DERIV_LOOP(d_ = y[i] * (1.f - y[i]))
    break;
  case NEOP_UNARY_SOFTPLUS:
    DERIV_LOOP(d_ = x[i] > 20.f ? 1.f : 1.f / (1.f + expf(-x[i])))
    break;
  case NEOP_UNARY_TANH_SIN:
    DERIV_LOOP(float t = tanhf(sinf((float)M_PI * (x[i] + 1.f))); d_ = (1.f - t * t) * (float)M_PI * cosf((float)M_PI * (x[i] + 1.f)) + 1.f)
    break;
  case NEOP_UNARY_COUNT:
    break;
  }
}

void neop_cpu_unary_backward(NeopUnaryKind kind, int64_t n, const float *x, const float *y, const float *dy, float *dx)
{
  unary_derivative(kind, n, x, y, dy, dx, 1);
}

void neop_cpu_unary_grad(NeopUnaryKind kind, int64_t n, const float *x, const float *y, float *dy)
{
  unary_derivative(kind, n, x, y, dy, dy, 0);
}

void neop_cpu_unary_forward_grad(NeopUnaryKind kind, int64_t n, const float *x, float *y, float *dy)
{
  if (kind == NEOP_UNARY_GELU) {
#pragma omp parallel if (n > 65536)
    {
      int64_t lo, hi;
      share(n, &lo, &hi);
      gelu_forward_grad(hi - lo, x + lo, y + lo, dy + lo);
    }
    return;
  }
  neop_cpu_unary_forward(kind, n, x, y);
  unary_derivative(kind, n, x, y, dy, dy, 0);
}
