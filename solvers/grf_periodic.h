/* Gaussian random fields on the periodic unit interval / square, sampled on
   the n (or n x n) grid x_j = j/n with the FFT basis:

     w(x) = sum_k w^_k exp(2 pi i k.x),   w^_{-k} = conj(w^_k),
     E|w^_k|^2 = sigma^2 (4 pi^2 |k|^2 + tau^2)^(-alpha),  w^_0 = 0,

   k over the grid's FFT wavenumbers (-n/2 <= k_d < n/2). This is the
   Karhunen-Loeve expansion of N(0, sigma^2 (-Delta + tau^2 I)^(-alpha)) with
   zero mean, as in the FNO data scripts: GRF1.m (Burgers, 1-D) and
   random_fields.py (Navier-Stokes, 2-D) produce this distribution (see
   docs/solvers.md for the one Nyquist-mode difference of GRF1.m). */
#pragma once
#include "fftw_double.h"
#include <neop/rng.h>

typedef struct NeopGRFPeriodic_s *NeopGRFPeriodic;

/* sigma of the FNO's random_fields.py when none is given: tau^(alpha - dim/2). */
double NeopGRFPeriodicSigmaDefault(int dim, double alpha, double tau);

/* dim 1 or 2, n even. Not collective. */
PetscErrorCode NeopGRFPeriodicCreate(int dim, int n, double alpha, double tau, double sigma, NeopGRFPeriodic *grf);
/* One sample from the stream r (the caller keys it, e.g. (seed, NEOP_RNG_DATA,
   sample)). w: (n) or (n, n) row-major, w[ix*n + iy] = w(ix/n, iy/n). */
PetscErrorCode NeopGRFPeriodicSample(NeopGRFPeriodic grf, NeopRng *r, double *w);
/* E|w^_k|^2 for the integer wavenumber k[0..dim-1] (0 for k = 0). */
double         NeopGRFPeriodicModeVariance(NeopGRFPeriodic grf, const int *k);
PetscErrorCode NeopGRFPeriodicDestroy(NeopGRFPeriodic *grf);
