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

/* The MultiONet/DGNO activations, branch-free so that they vectorise (libm's sinf and
   expf are scalar calls): silu, silu(x) + x, tanh(sin(pi (x + 1))) + x and
   silu(sin(pi (x + 1))) + x, with tanh s = (e^2s - 1)/(e^2s + 1) for |s| <= 1. */
static inline __attribute__((always_inline)) float fast_sigmoid(float x) { return 1.f / (1.f + neop_fast_expf(-x)); }

NEOP_SIMD_CLONES static void onet_act_forward(NeopUnaryKind kind, int64_t n, const float *x, float *y)
{
  switch (kind) {
  case NEOP_UNARY_SILU:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * fast_sigmoid(x[i]);
    break;
  case NEOP_UNARY_SILU_ID:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) y[i] = x[i] * fast_sigmoid(x[i]) + x[i];
    break;
  case NEOP_UNARY_TANH_SIN:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
      float s, c, e;
      neop_fast_sincospi(x[i] + 1.f, &s, &c);
      e    = neop_fast_expf(2.f * s);
      y[i] = (e - 1.f) / (e + 1.f) + x[i];
    }
    break;
  default: /* NEOP_UNARY_SILU_SIN */
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
      float s, c;
      neop_fast_sincospi(x[i] + 1.f, &s, &c);
      y[i] = s * fast_sigmoid(s) + x[i];
    }
    break;
  }
}

/* out = (acc ? out : 0) + dy f'(x); out may be dy when acc is 0 */
NEOP_SIMD_CLONES static void onet_act_derivative(NeopUnaryKind kind, int64_t n, const float *x, const float *dy, float *out, int acc)
{
  switch (kind) {
  case NEOP_UNARY_SILU:
  case NEOP_UNARY_SILU_ID: {
    float one = kind == NEOP_UNARY_SILU_ID ? 1.f : 0.f;
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
      float g = fast_sigmoid(x[i]);
      out[i]  = (acc ? out[i] : 0.f) + dy[i] * (g * (1.f + x[i] * (1.f - g)) + one);
    }
  } break;
  case NEOP_UNARY_TANH_SIN:
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
      float s, c, e, T;
      neop_fast_sincospi(x[i] + 1.f, &s, &c);
      e      = neop_fast_expf(2.f * s);
      T      = (e - 1.f) / (e + 1.f);
      out[i] = (acc ? out[i] : 0.f) + dy[i] * ((1.f - T * T) * (float)M_PI * c + 1.f);
    }
    break;
  default: /* NEOP_UNARY_SILU_SIN */
#pragma omp simd
    for (int64_t i = 0; i < n; i++) {
      float s, c, g;
      neop_fast_sincospi(x[i] + 1.f, &s, &c);
      g      = fast_sigmoid(s);
      out[i] = (acc ? out[i] : 0.f) + dy[i] * (g * (1.f + s * (1.f - g)) * (float)M_PI * c + 1.f);
    }
    break;
  }
}

static int onet_act(NeopUnaryKind kind)
{
  return kind == NEOP_UNARY_SILU || kind == NEOP_UNARY_SILU_ID || kind == NEOP_UNARY_TANH_SIN || kind == NEOP_UNARY_SILU_SIN;
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
  if (onet_act(kind)) {
#pragma omp parallel if (n > 65536)
    {
      int64_t lo, hi;
      share(n, &lo, &hi);
      onet_act_forward(kind, hi - lo, x + lo, y + lo);
    }
    return;
  }
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
  case NEOP_UNARY_SILU: /* onet_act_forward */
  case NEOP_UNARY_SILU_ID:
  case NEOP_UNARY_TANH_SIN:
  case NEOP_UNARY_SILU_SIN:
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
  if (onet_act(kind)) {
#pragma omp parallel if (n > 65536)
    {
      int64_t lo, hi;
      share(n, &lo, &hi);
      onet_act_derivative(kind, hi - lo, x + lo, dy + lo, out + lo, acc);
    }
    return;
  }
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
  case NEOP_UNARY_SIN:
    DERIV_LOOP(d_ = cosf(x[i]))
    break;
  case NEOP_UNARY_SIGMOID:
    DERIV_LOOP(d_ = y[i] * (1.f - y[i]))
    break;
  case NEOP_UNARY_SOFTPLUS:
    DERIV_LOOP(d_ = x[i] > 20.f ? 1.f : 1.f / (1.f + expf(-x[i])))
    break;
  case NEOP_UNARY_SILU: /* onet_act_derivative */
  case NEOP_UNARY_SILU_ID:
  case NEOP_UNARY_TANH_SIN:
  case NEOP_UNARY_SILU_SIN:
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
