/* Cosine Gaussian random fields: statistics over many samples.

   Each sample g is projected on the cosine basis by a direct discrete inner
   product (trapezoid weights on the nodes, not the DCT the generator uses):
   z_k = <g, phi_k> / (<phi_k, phi_k> sqrt(lambda_k)), phi_k = prod sqrt(2) cos(pi k x)
   (sqrt(2) -> 1 for k_i = 0), sqrt(lambda_k) = tau^(alpha-1) (pi^2|k|^2 + tau^2)^(-alpha/2).
   The nodal cosines are discretely orthogonal, so for the intended field
   z_k are independent N(0,1) for k != 0 and z_0 = 0. With N samples:
     mean of z_k         : standard error 1/sqrt(N)
     mean of z_k^2 (= 1) : standard error sqrt(2/N) per mode,
                           sqrt(2/(N M)) pooled over M modes;
   every check allows 5 standard errors. */
#include "testing.h"
#include "grf.h"
#include <math.h>

static double sqrt_lambda(int dim, const int *k, double alpha, double tau)
{
  double k2 = 0;
  for (int d = 0; d < dim; d++) k2 += (double)k[d] * k[d];
  return pow(tau, alpha - 1) * pow(M_PI * M_PI * k2 + tau * tau, -alpha / 2);
}

static PetscErrorCode check_grf(int dim, int n, double alpha, double tau, int N)
{
  NeopGRF  grf;
  int64_t  size = dim == 1 ? n : (int64_t)n * n, nmodes = size - 1;
  double  *g, *basis, *w, *norm, *sum, *sum2;  /* g (size); basis (n, n) = cos(pi k x_j), [k * n + j] */
  double   pooled = 0, worst_var = 0, worst_mean = 0, max_c0 = 0, max_c = 0;

  PetscFunctionBegin;
  PetscCall(NeopGRFCreate(dim, n, alpha, tau, &grf));
  PetscCall(PetscMalloc6(size, &g, n * n, &basis, n, &w, size, &norm, size, &sum, size, &sum2));
  for (int j = 0; j < n; j++) w[j] = (j == 0 || j == n - 1 ? 0.5 : 1.0) / (n - 1);
  for (int k = 0; k < n; k++)
    for (int j = 0; j < n; j++) basis[k * n + j] = (k ? M_SQRT2 : 1.0) * cos(M_PI * k * (double)j / (n - 1));
  for (int64_t m = 0; m < size; m++) {
    int    k[2] = {(int)(dim == 1 ? m : m / n), (int)(m % n)};
    double nn   = 1;
    for (int d = 0; d < dim; d++) {
      double s = 0;
      for (int j = 0; j < n; j++) s += w[j] * basis[k[d] * n + j] * basis[k[d] * n + j];
      nn *= s;
    }
    norm[m] = nn * sqrt_lambda(dim, k, alpha, tau);
    sum[m] = sum2[m] = 0;
  }
  for (int s = 0; s < N; s++) {
    PetscCall(NeopGRFSample(grf, 7, (uint64_t)s, g));
    for (int64_t m = 0; m < size; m++) {
      int    k[2] = {(int)(dim == 1 ? m : m / n), (int)(m % n)};
      double c    = 0;
      if (dim == 1)
        for (int j = 0; j < n; j++) c += w[j] * basis[k[0] * n + j] * g[j];
      else
        for (int i = 0; i < n; i++) {
          double ci = 0;
          for (int j = 0; j < n; j++) ci += w[j] * basis[k[1] * n + j] * g[i * n + j];
          c += w[i] * basis[k[0] * n + i] * ci;
        }
      if (m == 0) max_c0 = PetscMax(max_c0, fabs(c));
      else {
        double z = c / norm[m];
        max_c    = PetscMax(max_c, fabs(c));
        sum[m] += z;
        sum2[m] += z * z;
      }
    }
  }
  for (int64_t m = 1; m < size; m++) {
    double mean = sum[m] / N, var = sum2[m] / N;
    worst_mean = PetscMax(worst_mean, fabs(mean) * sqrt((double)N));
    worst_var  = PetscMax(worst_var, fabs(var - 1) / sqrt(2.0 / N));
    pooled += var / nmodes;
  }
  NeopTestCheck(max_c0 <= 1e-12 * max_c, "%d-D n=%d: mean mode is zero (|c_0| %.3g, max |c_k| %.3g)", dim, n, max_c0, max_c);
  NeopTestCheck(worst_mean <= 5, "%d-D n=%d: mode means within 5 standard errors (worst %.2f)", dim, n, worst_mean);
  NeopTestCheck(worst_var <= 5, "%d-D n=%d: mode variances match the spectrum within 5 standard errors (worst %.2f)", dim,
                n, worst_var);
  NeopTestCheck(fabs(pooled - 1) <= 5 * sqrt(2.0 / (N * (double)nmodes)),
                "%d-D n=%d: pooled variance ratio %.4f, bound 1 +- %.4f", dim, n, pooled, 5 * sqrt(2.0 / (N * (double)nmodes)));
  PetscCall(PetscFree6(g, basis, w, norm, sum, sum2));
  PetscCall(NeopGRFDestroy(&grf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The stream depends on (seed, index) only. */
static PetscErrorCode check_streams(void)
{
  NeopGRF grf, other;
  double  g1[289], g2[289], g3[289];

  PetscFunctionBegin;
  PetscCall(NeopGRFCreate(2, 17, 2, 3, &grf));
  PetscCall(NeopGRFCreate(2, 17, 2, 3, &other));
  PetscCall(NeopGRFSample(grf, 3, 5, g1));
  PetscCall(NeopGRFSample(grf, 3, 6, g2));
  PetscCall(NeopGRFSample(other, 3, 5, g3));
  NeopTestCheck(!memcmp(g1, g3, sizeof(g1)), "same (seed, index) gives the same field");
  NeopTestCheck(memcmp(g1, g2, sizeof(g1)) != 0, "another index gives another field");
  PetscCall(NeopGRFSample(grf, 4, 5, g2));
  NeopTestCheck(memcmp(g1, g2, sizeof(g1)) != 0, "another seed gives another field");
  PetscCall(NeopGRFDestroy(&grf));
  PetscCall(NeopGRFDestroy(&other));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCall(check_grf(1, 33, 2, 3, 4000));
  PetscCall(check_grf(2, 17, 2, 3, 2000));
  PetscCall(check_grf(2, 12, 2.5, 7, 2000)); /* Navier-Stokes' parameters, an even node count */
  PetscCall(check_streams());
  return NeopTestFinalize();
}
