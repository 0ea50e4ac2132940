/* Periodic viscous Burgers equation on [0, 1):

     u_t + (u^2/2)_x = nu u_xx,

   Fourier pseudo-spectral in space (n points x_j = j/n, 2/3-rule dealiasing
   of u^2), ETDRK4 in time (Cox & Matthews 2002, coefficients by the contour
   integrals of Kassam & Trefethen 2005): the stiff diffusion is integrated
   exactly, the nonlinear term to fourth order. */
#pragma once
#include "fftw_double.h"

typedef struct NeopBurgers_s *NeopBurgers;

/* A solver for grid n (even), viscosity nu, output interval 'interval':
   each interval is covered by ceil(interval/dtmax) equal steps. Not collective. */
PetscErrorCode NeopBurgersCreate(int n, double nu, double dtmax, double interval, NeopBurgers *b);
/* The step actually used (<= dtmax). */
double         NeopBurgersStep(NeopBurgers b);
/* u0: (n); u: (nout, n), u[i] = u(t = (i + 1) * interval). Errors out if the
   solution stops being finite. Not collective. */
PetscErrorCode NeopBurgersSolve(NeopBurgers b, const double *u0, int nout, double *u);
PetscErrorCode NeopBurgersDestroy(NeopBurgers *b);
