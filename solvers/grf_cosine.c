/* Cosine-basis Gaussian random fields evaluated with a DCT-I (see grf.h). */
#include "grf.h"
#include <neop/rng.h>
#include <fftw3.h>
#include <math.h>

struct NeopGRF_s {
  int       dim, n;
  double    alpha, tau;
  int64_t   size;   /* n^dim */
  double   *scale;  /* (n^dim) sqrt(lambda_k) prod c(k_i) times the DCT-I end weights; 0 at k = 0 */
  double   *buf;    /* (n^dim) coefficients, transformed in place */
  fftw_plan plan;
};

double NeopGRFSqrtEigenvalue(NeopGRF grf, const int *k)
{
  double k2 = 0;
  for (int d = 0; d < grf->dim; d++) k2 += (double)k[d] * k[d];
  return pow(grf->tau, grf->alpha - 1) * pow(M_PI * M_PI * k2 + grf->tau * grf->tau, -grf->alpha / 2);
}

PetscErrorCode NeopGRFCreate(int dim, int n, double alpha, double tau, NeopGRF *grf)
{
  NeopGRF g;
  int     dims[2] = {n, n};
  fftw_r2r_kind kinds[2] = {FFTW_REDFT00, FFTW_REDFT00};

  PetscFunctionBegin;
  PetscCheck(dim == 1 || dim == 2, PETSC_COMM_SELF, PETSC_ERR_SUP, "GRF: dimension %d not supported (1 or 2)", dim);
  PetscCheck(n >= 2, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "GRF: need at least 2 nodes per dimension, got %d", n);
  PetscCheck(alpha > 0 && tau > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "GRF: -grf_alpha %g and -grf_tau %g must be positive", alpha, tau);
  PetscCall(PetscNew(&g));
  g->dim   = dim;
  g->n     = n;
  g->alpha = alpha;
  g->tau   = tau;
  g->size  = dim == 1 ? n : (int64_t)n * n;
  PetscCall(PetscMalloc2(g->size, &g->scale, g->size, &g->buf));
  for (int64_t i = 0; i < g->size; i++) {
    int    k[2] = {(int)(dim == 1 ? i : i / n), (int)(i % n)};
    double s    = NeopGRFSqrtEigenvalue(g, k);
    for (int d = 0; d < dim; d++) {
      if (k[d] > 0) s *= M_SQRT2;              /* orthonormal cosine */
      if (k[d] > 0 && k[d] < n - 1) s *= 0.5;  /* REDFT00 doubles the interior terms */
    }
    g->scale[i] = s;
  }
  g->scale[0] = 0; /* mean mode */
  /* FFTW_ESTIMATE: the same algorithm (hence the same rounding) on every rank and run. */
  g->plan = fftw_plan_r2r(dim, dims, g->buf, g->buf, kinds, FFTW_ESTIMATE);
  PetscCheck(g->plan, PETSC_COMM_SELF, PETSC_ERR_LIB, "GRF: FFTW could not plan a DCT-I of size %d^%d", n, dim);
  *grf = g;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGRFSample(NeopGRF grf, uint64_t seed, uint64_t index, double *field)
{
  NeopRng r;

  PetscFunctionBegin;
  NeopRngInit(&r, seed, NEOP_RNG_DATA, index);
  for (int64_t i = 0; i < grf->size; i++) grf->buf[i] = grf->scale[i] * NeopRngNormal(&r);
  fftw_execute(grf->plan);
  PetscCall(PetscArraycpy(field, grf->buf, grf->size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGRFDestroy(NeopGRF *grf)
{
  PetscFunctionBegin;
  if (!*grf) PetscFunctionReturn(PETSC_SUCCESS);
  fftw_destroy_plan((*grf)->plan);
  PetscCall(PetscFree2((*grf)->scale, (*grf)->buf));
  PetscCall(PetscFree(*grf));
  PetscFunctionReturn(PETSC_SUCCESS);
}
