/* Point-wise activations: forward y = f(x), backward dx += f'(x) dy. */
#include "backend/cpu/cpu.h"
#include <math.h>

#define INV_SQRT2   0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794

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
    for (int64_t i = 0; i < n; i++) y[i] = 0.5f * x[i] * (1.f + erff(x[i] * (float)INV_SQRT2));
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
      float cdf = 0.5f * (1.f + erff(x[i] * (float)INV_SQRT2));
      float pdf = (float)INV_SQRT2PI * expf(-0.5f * x[i] * x[i]);
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
