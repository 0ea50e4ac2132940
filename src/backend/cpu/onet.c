/* CPU kernels of the operator networks (neop/nn/onet.h): activation
   derivatives, grid interpolation, top-k row sums, weak-form quadrature. */
#include <neop/nn/onet.h>
#include "backend/cpu/cpu.h"
#include <math.h>
#include <stdlib.h>

#define INV_SQRT2   0.70710678118654752440
#define INV_SQRT2PI 0.39894228040143267794

/* f'(x) */
static inline float d1(NeopUnaryKind kind, float x)
{
  switch (kind) {
  case NEOP_UNARY_IDENTITY:
    return 1.f;
  case NEOP_UNARY_GELU:
    return 0.5f * (1.f + erff(x * (float)INV_SQRT2)) + x * (float)INV_SQRT2PI * expf(-0.5f * x * x);
  case NEOP_UNARY_RELU:
    return x > 0.f ? 1.f : 0.f;
  case NEOP_UNARY_TANH: {
    float t = tanhf(x);
    return 1.f - t * t;
  }
  case NEOP_UNARY_SILU: {
    float s = 1.f / (1.f + expf(-x));
    return s * (1.f + x * (1.f - s));
  }
  case NEOP_UNARY_SIN:
    return cosf(x);
  case NEOP_UNARY_SIGMOID: {
    float s = 1.f / (1.f + expf(-x));
    return s * (1.f - s);
  }
  case NEOP_UNARY_SOFTPLUS:
    return x > 20.f ? 1.f : 1.f / (1.f + expf(-x));
  case NEOP_UNARY_TANH_SIN: {
    float th = (float)M_PI * (x + 1.f), T = tanhf(sinf(th));
    return (1.f - T * T) * (float)M_PI * cosf(th) + 1.f;
  }
  case NEOP_UNARY_SILU_SIN: { /* silu'(s) pi cos th + 1, s = sin th */
    float th = (float)M_PI * (x + 1.f), s = sinf(th), g = 1.f / (1.f + expf(-s));
    return g * (1.f + s * (1.f - g)) * (float)M_PI * cosf(th) + 1.f;
  }
  case NEOP_UNARY_SILU_ID: {
    float s = 1.f / (1.f + expf(-x));
    return s * (1.f + x * (1.f - s)) + 1.f;
  }
  case NEOP_UNARY_COUNT:
    break;
  }
  return 0.f;
}

/* f''(x) */
static inline float d2(NeopUnaryKind kind, float x)
{
  switch (kind) {
  case NEOP_UNARY_IDENTITY:
  case NEOP_UNARY_RELU:
    return 0.f;
  case NEOP_UNARY_GELU:
    return (float)INV_SQRT2PI * expf(-0.5f * x * x) * (2.f - x * x);
  case NEOP_UNARY_TANH: {
    float t = tanhf(x);
    return -2.f * t * (1.f - t * t);
  }
  case NEOP_UNARY_SILU: {
    float s = 1.f / (1.f + expf(-x));
    return s * (1.f - s) * (2.f + x * (1.f - 2.f * s));
  }
  case NEOP_UNARY_SIN:
    return -sinf(x);
  case NEOP_UNARY_SIGMOID: {
    float s = 1.f / (1.f + expf(-x));
    return s * (1.f - s) * (1.f - 2.f * s);
  }
  case NEOP_UNARY_SOFTPLUS: {
    float s = 1.f / (1.f + expf(-x));
    return x > 20.f ? 0.f : s * (1.f - s);
  }
  case NEOP_UNARY_TANH_SIN: {
    /* g = tanh(sin th) + x, th = pi (x + 1): g'' = -pi^2 (1 - T^2) (2 T cos^2 th + sin th) */
    float th = (float)M_PI * (x + 1.f), s = sinf(th), c = cosf(th), T = tanhf(s);
    return -(float)(M_PI * M_PI) * (1.f - T * T) * (2.f * T * c * c + s);
  }
  case NEOP_UNARY_SILU_SIN: {
    /* g = silu(sin th) + x: g'' = pi^2 (silu''(s) cos^2 th - silu'(s) sin th) */
    float th = (float)M_PI * (x + 1.f), s = sinf(th), c = cosf(th), g = 1.f / (1.f + expf(-s));
    float d1s = g * (1.f + s * (1.f - g)), d2s = g * (1.f - g) * (2.f + s * (1.f - 2.f * g));
    return (float)(M_PI * M_PI) * (d2s * c * c - d1s * s);
  }
  case NEOP_UNARY_SILU_ID: {
    float s = 1.f / (1.f + expf(-x));
    return s * (1.f - s) * (2.f + x * (1.f - 2.f * s));
  }
  case NEOP_UNARY_COUNT:
    break;
  }
  return 0.f;
}

static void cpu_unary_deriv(NeopUnaryKind kind, int64_t n, const float *x, float *y)
{
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; i++) y[i] = d1(kind, x[i]);
}

static void cpu_unary_deriv_backward(NeopUnaryKind kind, int64_t n, const float *x, const float *dy, float *dx)
{
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; i++) dx[i] += d2(kind, x[i]) * dy[i];
}

/* Corner offsets and weights of point pts[p] (d <= 3): returns the number of corners. */
static int interp_stencil(int d, const int *S, int nearest, const float *x, int64_t *off, float *wt)
{
  int64_t base = 0, stride[3];
  int     i0[3];
  float   fr[3];

  stride[d - 1] = 1;
  for (int k = d - 2; k >= 0; k--) stride[k] = stride[k + 1] * S[k + 1];
  for (int k = 0; k < d; k++) {
    double h = 1.0 / (S[k] - 1), s = x[k] / h;
    if (nearest) {
      int i = (int)floor(s + 0.5);
      i0[k] = i < 0 ? 0 : i > S[k] - 1 ? S[k] - 1 : i;
      fr[k] = 0.f;
    } else {
      int i = (int)floor(s);
      i     = i < 0 ? 0 : i > S[k] - 2 ? S[k] - 2 : i;
      i0[k] = i;
      fr[k] = (float)(s - i);
    }
    base += i0[k] * stride[k];
  }
  if (nearest) {
    off[0] = base;
    wt[0]  = 1.f;
    return 1;
  }
  for (int c = 0; c < (1 << d); c++) {
    float   w = 1.f;
    int64_t o = base;
    for (int k = 0; k < d; k++) {
      int bit = (c >> k) & 1;
      w *= bit ? fr[k] : 1.f - fr[k];
      o += bit * stride[k];
    }
    off[c] = o;
    wt[c]  = w;
  }
  return 1 << d;
}

static void cpu_grid_interp(int R, int d, const int *S, int P, int nearest, const float *pts, const float *g, float *y)
{
  int64_t G = 1;
  for (int k = 0; k < d; k++) G *= S[k];
#pragma omp parallel for if ((int64_t)R * P > 16384)
  for (int p = 0; p < P; p++) {
    int64_t off[8];
    float   wt[8];
    int     nc = interp_stencil(d, S, nearest, pts + (int64_t)p * d, off, wt);
    for (int r = 0; r < R; r++) {
      float s = 0.f;
      for (int c = 0; c < nc; c++) s += wt[c] * g[r * G + off[c]];
      y[(int64_t)r * P + p] = s;
    }
  }
}

static void cpu_grid_interp_backward(int R, int d, const int *S, int P, int nearest, const float *pts, const float *dy,
                                     float *dg)
{
  int64_t G = 1;
  for (int k = 0; k < d; k++) G *= S[k];
  /* rows are independent: parallel over rows, points in order */
#pragma omp parallel for if ((int64_t)R * P > 16384)
  for (int r = 0; r < R; r++)
    for (int p = 0; p < P; p++) {
      int64_t off[8];
      float   wt[8];
      int     nc = interp_stencil(d, S, nearest, pts + (int64_t)p * d, off, wt);
      for (int c = 0; c < nc; c++) dg[r * G + off[c]] += wt[c] * dy[(int64_t)r * P + p];
    }
}

typedef struct {
  float v;
  int   i;
} ValIdx;

/* descending values, ties by index so the choice is deterministic */
static int cmp_desc(const void *a, const void *b)
{
  const ValIdx *x = a, *y = b;
  if (x->v != y->v) return x->v < y->v ? 1 : -1;
  return x->i - y->i;
}

static void cpu_topk_sum(int N, int M, int k, const float *x, void *work, int *idx, float *y)
{
  ValIdx *row = work; /* (M) */

  for (int n = 0; n < N; n++) {
    double s = 0;
    for (int m = 0; m < M; m++) row[m] = (ValIdx){x[(int64_t)n * M + m], m};
    qsort(row, (size_t)M, sizeof(ValIdx), cmp_desc);
    for (int j = 0; j < k; j++) {
      idx[(int64_t)n * k + j] = row[j].i;
      s += row[j].v;
    }
    y[n] = (float)s;
  }
}

static void cpu_topk_sum_backward(int N, int M, int k, const int *idx, const float *dy, float *dx)
{
  for (int n = 0; n < N; n++)
    for (int j = 0; j < k; j++) dx[(int64_t)n * M + idx[(int64_t)n * k + j]] += dy[n];
}

static void cpu_weak_reduce(int N, int J, int C, int Q, const float *F, const double *w, float *y)
{
  int64_t P = (int64_t)C * Q;
#pragma omp parallel for collapse(2) if ((int64_t)N * C * Q * J > 65536)
  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++) {
      double s = 0;
      for (int j = 0; j < J; j++) {
        const float  *f  = F + ((int64_t)n * J + j) * P + (int64_t)c * Q;
        const double *wj = w + (int64_t)j * Q;
        for (int q = 0; q < Q; q++) s += (double)f[q] * wj[q];
      }
      y[(int64_t)n * C + c] = (float)(s / Q);
    }
}

static void cpu_weak_reduce_backward(int N, int J, int C, int Q, const double *w, const float *dy, float *dF)
{
  int64_t P = (int64_t)C * Q;
#pragma omp parallel for collapse(2) if ((int64_t)N * C * Q * J > 65536)
  for (int n = 0; n < N; n++)
    for (int j = 0; j < J; j++)
      for (int c = 0; c < C; c++) {
        double g  = (double)dy[(int64_t)n * C + c] / Q;
        float *df = dF + ((int64_t)n * J + j) * P + (int64_t)c * Q;
        for (int q = 0; q < Q; q++) df[q] += (float)(g * w[(int64_t)j * Q + q]);
      }
}

const NeopONetKernels NeopONetKernelsCPU = {
  .unary_deriv          = cpu_unary_deriv,
  .unary_deriv_backward = cpu_unary_deriv_backward,
  .grid_interp          = cpu_grid_interp,
  .grid_interp_backward = cpu_grid_interp_backward,
  .topk_sum             = cpu_topk_sum,
  .topk_sum_backward    = cpu_topk_sum_backward,
  .weak_reduce          = cpu_weak_reduce,
  .weak_reduce_backward = cpu_weak_reduce_backward,
  .bias_act             = neop_cpu_onet_bias_act,
  .act_grad             = neop_cpu_onet_act_grad,
};
