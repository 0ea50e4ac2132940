/* Norms and losses: per-sample Lp norms, relative Lp error, squared error.
   Sums are accumulated in double: a loss adds up whole fields. */
#include "backend/cpu/cpu.h"
#include <math.h>

#define PAR_MIN 65536

/* sum_m |x_m - u_m|^p (u may be NULL) */
static double sum_pow(int64_t M, double p, const float *x, const float *u)
{
  double s = 0;
  if (p == 2) {
#pragma omp parallel for simd reduction(+ : s) if (M > PAR_MIN)
    for (int64_t m = 0; m < M; m++) {
      double e = (double)x[m] - (u ? (double)u[m] : 0.0);
      s += e * e;
    }
  } else {
#pragma omp parallel for reduction(+ : s) if (M > PAR_MIN)
    for (int64_t m = 0; m < M; m++) s += pow(fabs((double)x[m] - (u ? (double)u[m] : 0.0)), p);
  }
  return s;
}

/* dx += c |e|^(p-1) sign(e) with e = x - u (u may be NULL) */
static void add_pow_grad(int64_t M, double p, float c, const float *x, const float *u, float *dx)
{
  if (p == 2) {
#pragma omp parallel for simd if (M > PAR_MIN)
    for (int64_t m = 0; m < M; m++) dx[m] += c * (x[m] - (u ? u[m] : 0.f));
  } else {
#pragma omp parallel for if (M > PAR_MIN)
    for (int64_t m = 0; m < M; m++) {
      float e = x[m] - (u ? u[m] : 0.f);
      dx[m] += c * (e > 0 ? 1.f : e < 0 ? -1.f : 0.f) * powf(fabsf(e), (float)(p - 1));
    }
  }
}

void neop_cpu_lp_norm(int N, int64_t M, double p, const float *x, float *nrm)
{
  for (int n = 0; n < N; n++) nrm[n] = (float)pow(sum_pow(M, p, x + n * M, NULL), 1 / p);
}

/* d||x||_p / dx = |x|^(p-1) sign(x) / ||x||^(p-1); taken as 0 at x = 0 like PyTorch */
void neop_cpu_lp_norm_backward(int N, int64_t M, double p, const float *x, const float *nrm, const float *dnrm, float *dx)
{
  for (int n = 0; n < N; n++)
    if (nrm[n] > 0) add_pow_grad(M, p, (float)(dnrm[n] / pow(nrm[n], p - 1)), x + n * M, NULL, dx + n * M);
}

void neop_cpu_rel_lp(int N, int64_t M, double p, float alpha, const float *y, const float *u, float *norms, float *loss)
{
  double s = 0;
  for (int n = 0; n < N; n++) {
    double d  = pow(sum_pow(M, p, y + n * M, u + n * M), 1 / p);
    double nu = pow(sum_pow(M, p, u + n * M, NULL), 1 / p);
    norms[n]     = (float)d;
    norms[N + n] = (float)nu;
    s += d / nu;
  }
  loss[0] = (float)(alpha * s);
}

/* r_n = d_n / nu_n with d = ||y - u||, nu = ||u||:
   dr/dy = d'(e) / nu,  dr/du = -d'(e) / nu - d nu'(u) / nu^2, where ' is the norm's gradient above */
void neop_cpu_rel_lp_backward(int N, int64_t M, double p, float alpha, const float *y, const float *u, const float *norms,
                              const float *dloss, float *dy, float *du)
{
  double g = (double)alpha * dloss[0];
  for (int n = 0; n < N; n++) {
    double d = norms[n], nu = norms[N + n];
    if (d > 0) {
      double c = g / (nu * pow(d, p - 1)); /* coefficient of |e|^(p-1) sign(e) in dr/dy */
      if (dy) add_pow_grad(M, p, (float)c, y + n * M, u + n * M, dy + n * M);
      if (du) add_pow_grad(M, p, (float)-c, y + n * M, u + n * M, du + n * M);
    }
    if (du) add_pow_grad(M, p, (float)(-g * d / (nu * nu * pow(nu, p - 1))), u + n * M, NULL, du + n * M);
  }
}

void neop_cpu_sq_err(int64_t n, float alpha, const float *y, const float *u, float *loss)
{
  loss[0] = (float)(alpha * sum_pow(n, 2, y, u));
}

void neop_cpu_sq_err_backward(int64_t n, float alpha, const float *y, const float *u, const float *dloss, float *dy,
                              float *du)
{
  float c = 2 * alpha * dloss[0];
  if (dy) add_pow_grad(n, 2, c, y, u, dy);
  if (du) add_pow_grad(n, 2, -c, y, u, du);
}
