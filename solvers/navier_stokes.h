/* 2-D incompressible Navier-Stokes in vorticity form on the periodic unit square:

     w_t + u . grad w = nu Delta w + f,   u = (psi_y, -psi_x),   -Delta psi = w,

   Fourier pseudo-spectral on an n x n grid (x_i = i/n), u . grad w evaluated
   in physical space and dealiased by the 2/3 rule; Crank-Nicolson for the
   diffusion, explicit advection and forcing, as in the FNO reference solver
   (ns_2d.py). Advection schemes: */
#pragma once
#include "fftw_double.h"

typedef enum {
  NEOP_NS_EULER, /* forward Euler: the FNO reference's scheme, first order */
  NEOP_NS_AB2,   /* Adams-Bashforth 2 (first step Euler): second order, one advection evaluation a step */
  NEOP_NS_HEUN   /* Heun (explicit trapezoid): second order, two evaluations a step */
} NeopNSScheme;
extern const char *const NeopNSSchemes[]; /* names for PetscOptionsEnum */

typedef struct NeopNavierStokes_s *NeopNavierStokes;

/* n even; f: (n, n) forcing, w[ix*n + iy] at (ix/n, iy/n), or NULL for none. Not collective. */
PetscErrorCode NeopNavierStokesCreate(int n, double nu, double dt, NeopNSScheme scheme, const double *f, NeopNavierStokes *ns);
/* Advances w0 (n, n) by nrec * steps_per_rec steps of dt and stores w every
   steps_per_rec steps, sub-sampled by 'stride' (n % stride == 0):
   out (nrec, n/stride, n/stride). Errors out if w stops being finite. Not collective. */
PetscErrorCode NeopNavierStokesSolve(NeopNavierStokes ns, const double *w0, int nrec, int steps_per_rec, int stride, double *out);
/* The dealiased advection term u . grad w of w (n, n) into F (n, n). Not collective. */
PetscErrorCode NeopNavierStokesAdvection(NeopNavierStokes ns, const double *w, double *F);
PetscErrorCode NeopNavierStokesDestroy(NeopNavierStokes *ns);
