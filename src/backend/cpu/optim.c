/* Optimizer updates on the flat buffers. The arithmetic follows PyTorch's
   single-tensor implementations operation by operation (float32, scalars
   rounded to float), so a step agrees with torch.optim to rounding. */
#include "backend/cpu/cpu.h"
#include <neop/optim.h>
#include <math.h>

#define OMP_MIN 65536 /* below this a parallel region costs more than it saves */

static double cpu_sumsq(int64_t n, const float *x)
{
  double s = 0;
#pragma omp parallel for simd reduction(+ : s) if (n > OMP_MIN)
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return s;
}

static void cpu_scale(int64_t n, float a, float *x)
{
#pragma omp parallel for simd if (n > OMP_MIN)
  for (int64_t i = 0; i < n; i++) x[i] *= a;
}

static void cpu_sgd(int64_t n, float lr, float mu, float wd, PetscBool nesterov, const float *g, float *p, float *b)
{
  if (mu == 0.f) {
#pragma omp parallel for simd if (n > OMP_MIN)
    for (int64_t i = 0; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
    return;
  }
  if (nesterov) {
#pragma omp parallel for simd if (n > OMP_MIN)
    for (int64_t i = 0; i < n; i++) {
      float d = g[i] + wd * p[i];
      b[i]    = mu * b[i] + d;
      p[i] -= lr * (d + mu * b[i]);
    }
  } else {
#pragma omp parallel for simd if (n > OMP_MIN)
    for (int64_t i = 0; i < n; i++) {
      float d = g[i] + wd * p[i];
      b[i]    = mu * b[i] + d;
      p[i] -= lr * b[i];
    }
  }
}

static void cpu_adam(int64_t n, const NeopAdamCoef *c, const float *g, float *p, float *m, float *v)
{
  const float b1 = c->beta1, b2 = c->beta2, a1 = 1.f - c->beta1, a2 = 1.f - c->beta2;
  const float wd = c->wd, decay = c->decay, eps = c->eps, ss = c->step_size, bc2 = c->bc2_sqrt;

#pragma omp parallel for simd if (n > OMP_MIN)
  for (int64_t i = 0; i < n; i++) {
    float pi = p[i] * decay;
    float d  = g[i] + wd * pi;
    m[i]     = b1 * m[i] + a1 * d;
    v[i]     = b2 * v[i] + a2 * (d * d);
    p[i]     = pi - ss * (m[i] / (sqrtf(v[i]) / bc2 + eps));
  }
}

const NeopOptimKernels neop_cpu_optim = {
  .sumsq = cpu_sumsq,
  .scale = cpu_scale,
  .sgd   = cpu_sgd,
  .adam  = cpu_adam,
};
