/* Weak-form residuals with compactly supported test functions, as in DGNO
   (Zang & Koutsourelakis 2025) and ParticleWNN:

     Wendland CSRBF v(r) = (1-r)^(l+2) ((l^2+4l+3) r^2 + (3l+6) r + 3)/3, l = floor(d/2)+3:
       d = 2: (1-r)^6 (35 r^2 + 18 r + 3)/3,   d = 1: (1-r)^5 (8 r^2 + 5 r + 1);
     test function v_c(x) = v(|x - c| / R), centres c drawn per step by Latin
     hypercube in [R, 1-R]^d, keyed by (seed, NEOP_RNG_MODEL, step);
     quadrature: a fixed set z_q of the unit ball (an n^d mesh of [-1,1]^d, the
     points with |z| < 1 in 2-D, all n in 1-D), x = c + R z_q, and integrals
     over the ball as means over the set.

   Test-function values and gradients are computed in double and the quadrature
   sums accumulate in double: with R = 1e-4 the terms grad u . grad v are
   O(1/R) and cancel to O(1) (see docs/dgno.md for the measured accuracy).

   Darcy / Poisson, primal form: r_c = mean_q a grad u . grad v_c - mean_q f v_c.
   Loss: (1/nglobal) sum_n ||r_n||_2 + sum_n (sum of the k largest r_nc^2), the
   reference code's mean residual norm plus its top-k emphasis.
   Darcy, mixed form (the reference's piecewise example, a flux s = a grad u from
   its own networks): r1_c = mean_q |s - a grad u|^2, r2_c = mean_q s . grad v_c -
   mean_q f v_c; loss mean_(n,c) r1 + sqrt(nc) mean_(n,c) r2^2.
   Burgers u_t + u u_x = nu u_xx (the reference's Example_Burgers): r_c =
   mean_q [(u_t + u u_x) v_c + nu u_x dv_c/dx], test functions in x at time
   slices (dim 1) or in (x, t) (dim 2). Not collective. */
#pragma once
#include <neop/nn/onet.h>

typedef struct NeopWeakForm_s *NeopWeakForm;

/* dim 1 or 2, radius R in (0, 0.5), ncentres per step, nmesh quadrature mesh points per dim. */
PetscErrorCode NeopWeakFormCreate(int dim, double radius, int ncentres, int nmesh, NeopWeakForm *wf);
PetscErrorCode NeopWeakFormDestroy(NeopWeakForm *wf);
/* The Wendland function at z (|z| <= 1 in the unit ball; outside: 0) and its gradient dv (dim) w.r.t. z. */
void NeopWendland(int dim, const double *z, double *v, double *dv);
/* Draws the centres of a step and fills the points x (ncentres Q, dim), centre-major,
   in backend memory (valid until the next draw). */
PetscErrorCode NeopWeakFormDraw(NeopWeakForm wf, uint64_t seed, uint64_t step);
/* Centres are drawn in [R, hi_j - R] per dim (default hi = 1). */
PetscErrorCode NeopWeakFormSetBox(NeopWeakForm wf, const double *hi);
/* Sets the centres (ncentres, dim) (host, double) instead of drawing them, and the points. */
PetscErrorCode NeopWeakFormSetCentres(NeopWeakForm wf, const double *centres);
/* Sizes, the points (a NeopTensor (P, dim) owned by wf) and the centres (host, (ncentres, dim), double). */
PetscErrorCode NeopWeakFormGetPoints(NeopWeakForm wf, int *ncentres, int *nquad, NeopTensor **x, const double **centres);
/* Quadrature set z (Q, dim), values v (Q) and gradients dv (Q, dim) in double (host). */
PetscErrorCode NeopWeakFormGetQuadrature(NeopWeakForm wf, int *nquad, const double **z, const double **v, const double **dv);
/* int F . grad v_c: F (N, dim, P) -> y (N, ncentres) = mean_q sum_j F_j dv_j(z_q) / R (double sums). */
PetscErrorCode NeopWeakFormFlux(NeopWeakForm wf, NeopTape *t, NeopTensor *F, NeopTensor **y);
/* int s v_c: s (N, P) -> y (N, ncentres) = mean_q s v(z_q). */
PetscErrorCode NeopWeakFormSource(NeopWeakForm wf, NeopTape *t, NeopTensor *s, NeopTensor **y);
/* Darcy primal residual: a (N, P) at the points, du (N, dim, P), constant source f -> r (N, ncentres). */
PetscErrorCode NeopWeakFormDarcyResidual(NeopWeakForm wf, NeopTape *t, NeopTensor *a, NeopTensor *du, double f, NeopTensor **r);
/* Poisson -laplace(u) = f with f varying in space: r (N, nc) = mean_q grad u . grad v - mean_q f(x_q) v(z_q),
   f (N, nc Q) at the points, du (N, d, nc Q) */
PetscErrorCode NeopWeakFormPoissonResidual(NeopWeakForm wf, NeopTape *t, NeopTensor *f, NeopTensor *du, NeopTensor **r);
/* (1/nglobal) sum_n ||r_n||_2 + sum_n topk_n(r^2) (topk = 0: no emphasis term). */
PetscErrorCode NeopWeakFormLoss(NeopWeakForm wf, NeopTape *t, NeopTensor *r, int topk, int nglobal, NeopTensor **loss);
/* Darcy mixed form: a (N, P), du and the flux network's s (N, dim, P) -> r1, r2 (N, ncentres) as above. */
PetscErrorCode NeopWeakFormDarcyMixedResidual(NeopWeakForm wf, NeopTape *t, NeopTensor *a, NeopTensor *du, NeopTensor *s, double f,
                                              NeopTensor **r1, NeopTensor **r2);
/* (1/nglobal) sum_n [mean_c r1_nc + sqrt(ncentres) mean_c r2_nc^2]. */
PetscErrorCode NeopWeakFormMixedLoss(NeopWeakForm wf, NeopTape *t, NeopTensor *r1, NeopTensor *r2, int nglobal, NeopTensor **loss);
/* Burgers: u (N, P) and du (N, 2, P) (d/dx, d/dt) at the points (x, t) of the residual -> r (N, ncentres).
   dim 1: the points' x are wf's, their t the centre's time (set by the caller); dim 2: wf's points are (x, t). */
PetscErrorCode NeopWeakFormBurgersResidual(NeopWeakForm wf, NeopTape *t, NeopTensor *u, NeopTensor *du, double nu, NeopTensor **r);
