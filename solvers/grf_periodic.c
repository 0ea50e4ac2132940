#include "grf_periodic.h"
#include <math.h>
#include <string.h>

struct NeopGRFPeriodic_s {
  int           dim, n, nh;   /* nh = n/2 + 1 half-spectrum length */
  double        alpha, tau, sigma;
  double       *sd;           /* (n, nh) or (nh): standard deviation of each stored mode */
  fftw_complex *hat;          /* (n, nh) or (nh) */
  double       *w;            /* (n, n) or (n) */
  fftw_plan     c2r;
};

double NeopGRFPeriodicSigmaDefault(int dim, double alpha, double tau) { return pow(tau, 0.5 * (2.0 * alpha - dim)); }

/* FFT index -> signed wavenumber; the Nyquist index n/2 counts as -n/2 (same |k|). */
static int wavenumber(int i, int n) { return i <= n / 2 ? i : i - n; }

double NeopGRFPeriodicModeVariance(NeopGRFPeriodic grf, const int *k)
{
  double k2 = 0;
  for (int d = 0; d < grf->dim; d++) k2 += (double)k[d] * k[d];
  if (k2 == 0) return 0;
  return grf->sigma * grf->sigma * pow(4.0 * M_PI * M_PI * k2 + grf->tau * grf->tau, -grf->alpha);
}

PetscErrorCode NeopGRFPeriodicCreate(int dim, int n, double alpha, double tau, double sigma, NeopGRFPeriodic *grf)
{
  NeopGRFPeriodic g;
  size_t          nspec, nreal;

  PetscFunctionBegin;
  PetscCheck(dim == 1 || dim == 2, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "periodic GRF: dim %d, must be 1 or 2", dim);
  PetscCheck(n >= 2 && n % 2 == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "periodic GRF: grid %d, must be even and >= 2", n);
  PetscCheck(alpha > 0 && tau > 0 && sigma > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "periodic GRF: alpha %g, tau %g, sigma %g must be positive", alpha, tau, sigma);
  PetscCall(PetscNew(&g));
  g->dim   = dim;
  g->n     = n;
  g->nh    = n / 2 + 1;
  g->alpha = alpha;
  g->tau   = tau;
  g->sigma = sigma;
  nspec    = (size_t)g->nh * (dim == 2 ? (size_t)n : 1);
  nreal    = (size_t)n * (dim == 2 ? (size_t)n : 1);
  PetscCall(PetscMalloc1(nspec, &g->sd));
  for (int ix = 0; ix < (dim == 2 ? n : 1); ix++)
    for (int iy = 0; iy < g->nh; iy++) {
      int k[2] = {iy, 0};
      if (dim == 2) k[0] = wavenumber(ix, n), k[1] = iy;
      g->sd[(size_t)ix * g->nh + iy] = sqrt(NeopGRFPeriodicModeVariance(g, k));
    }
  g->hat = fftw_alloc_complex(nspec);
  g->w   = fftw_alloc_real(nreal);
  PetscCheck(g->hat && g->w, PETSC_COMM_SELF, PETSC_ERR_MEM, "periodic GRF: fftw_malloc failed for grid %d", n);
  PetscCall(NeopFFTWDoubleSetUp());
  g->c2r = dim == 2 ? fftw_plan_dft_c2r_2d(n, n, g->hat, g->w, FFTW_ESTIMATE) : fftw_plan_dft_c2r_1d(n, g->hat, g->w, FFTW_ESTIMATE);
  PetscCheck(g->c2r, PETSC_COMM_SELF, PETSC_ERR_LIB, "periodic GRF: FFTW plan failed for grid %d", n);
  *grf = g;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGRFPeriodicSample(NeopGRFPeriodic g, NeopRng *r, double *w)
{
  const int n = g->n, nh = g->nh, nx = g->dim == 2 ? n : 1;

  PetscFunctionBegin;
  /* Modes in storage order. Rows iy = 0 and iy = n/2 of the half spectrum hold
     both k and -k: draw the one with the smaller index, set its partner to the
     conjugate; self-conjugate modes are real with the full variance. */
  for (int ix = 0; ix < nx; ix++)
    for (int iy = 0; iy < nh; iy++) {
      size_t    m       = (size_t)ix * nh + iy;
      PetscBool edge    = iy == 0 || iy == n / 2;
      int       partner = g->dim == 2 ? (n - ix) % n : ix;
      double    s       = g->sd[m];
      if (edge && partner < ix) continue;
      if (edge && partner == ix) g->hat[m] = s * NeopRngNormal(r);
      else {
        double re = NeopRngNormal(r), im = NeopRngNormal(r);
        g->hat[m] = s * M_SQRT1_2 * (re + I * im);
        if (edge) g->hat[(size_t)partner * nh + iy] = conj(g->hat[m]);
      }
    }
  fftw_execute(g->c2r); /* unnormalised inverse: w_j = sum_k w^_k e^{2 pi i k.x_j} */
  PetscCall(PetscArraycpy(w, g->w, (size_t)n * nx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGRFPeriodicDestroy(NeopGRFPeriodic *grf)
{
  NeopGRFPeriodic g = *grf;

  PetscFunctionBegin;
  if (!g) PetscFunctionReturn(PETSC_SUCCESS);
  fftw_destroy_plan(g->c2r);
  fftw_free(g->hat);
  fftw_free(g->w);
  PetscCall(PetscFree(g->sd));
  PetscCall(PetscFree(*grf));
  PetscFunctionReturn(PETSC_SUCCESS);
}
