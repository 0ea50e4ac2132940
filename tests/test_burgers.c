/* Burgers solver against the Cole-Hopf solution: u = -2 nu phi_x / phi with
   phi_t = nu phi_xx, phi = a + b1 e^{-4 pi^2 nu t} cos(2 pi x) + b2 e^{-16 pi^2 nu t} sin(4 pi x).
   Error at t = 1 for the generator's nu = 0.1, spectral convergence in n,
   fourth-order convergence in dt; then the "burgers" generator itself. */
#include "testing.h"
#include "burgers.h"
#include "generator_pdes.h"
#include <math.h>

static const double A = 1.0, B1 = 0.6, B2 = 0.3; /* phi >= 0.1 > 0 */

static double cole_hopf(double x, double t, double nu)
{
  double e1 = B1 * exp(-4 * M_PI * M_PI * nu * t), e2 = B2 * exp(-16 * M_PI * M_PI * nu * t);
  double phi = A + e1 * cos(2 * M_PI * x) + e2 * sin(4 * M_PI * x);
  double phx = -2 * M_PI * e1 * sin(2 * M_PI * x) + 4 * M_PI * e2 * cos(4 * M_PI * x);
  return -2 * nu * phx / phi;
}

/* max |u_h(T) - u(T)| / max |u(T)| on n points with step dt. */
static PetscErrorCode error_at(int n, double nu, double T, double dt, double *err)
{
  NeopBurgers b;
  double     *u0, *u, e = 0, s = 0;

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(n, &u0, n, &u));
  for (int j = 0; j < n; j++) u0[j] = cole_hopf((double)j / n, 0, nu);
  PetscCall(NeopBurgersCreate(n, nu, dt, T, &b));
  PetscCall(NeopBurgersSolve(b, u0, 1, u));
  for (int j = 0; j < n; j++) {
    double ex = cole_hopf((double)j / n, T, nu);
    e         = PetscMax(e, fabs(u[j] - ex));
    s         = PetscMax(s, fabs(ex));
  }
  *err = e / s;
  PetscCall(NeopBurgersDestroy(&b));
  PetscCall(PetscFree2(u0, u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_generator(void)
{
  struct NeopGenerator_s gen = {0};
  NeopGenerator          g   = &gen;
  NeopBurgers            b;
  float                 *a, *u, *u2;
  double                *u0, *ud;
  int                    n = 256, nt = 4, same = 1, match = 1;
  double                 mean = 0, amax = 0;

  PetscFunctionBegin;
  g->comm = g->solve_comm = PETSC_COMM_SELF;
  g->seed                 = 11;
  PetscCall(PetscOptionsSetValue(NULL, "-burgers_grid", "256"));
  PetscCall(PetscOptionsSetValue(NULL, "-burgers_nt", "4"));
  PetscCall(PetscOptionsSetValue(NULL, "-burgers_dt", "1e-3"));
  PetscCall(NeopGeneratorCreate_Burgers(g));
  PetscOptionsBegin(g->comm, NULL, "generator", NULL);
  PetscCall(g->ops.setfromoptions(g, PetscOptionsObject));
  PetscOptionsEnd();
  PetscCall(g->ops.setup(g));
  NeopTestCheck(g->dim == 1 && g->grid[0] == n && g->ca == 1 && g->cu == 1 && g->nt == nt && g->t[nt - 1] == 1.0 && g->coords[0][1] == 1.0 / n,
                "burgers generator: dim %d grid %d ca %d cu %d nt %d, t = 0.25 .. %g", g->dim, g->grid[0], g->ca, g->cu, g->nt, g->t[nt - 1]);
  NeopTestCheck(g->noptions == 9, "burgers generator records its 9 options (%d)", g->noptions);
  PetscCall(PetscMalloc5(n, &a, (size_t)nt * n, &u, (size_t)nt * n, &u2, n, &u0, (size_t)nt * n, &ud));
  PetscCall(g->ops.sample(g, 5, a, u));
  PetscCall(g->ops.sample(g, 5, a, u2));
  for (int j = 0; j < nt * n; j++) same &= u[j] == u2[j];
  NeopTestCheck(same, "burgers generator: sample 5 comes out bit-identical twice");
  for (int j = 0; j < n; j++) mean += a[j] / n, amax = PetscMax(amax, fabs(a[j]));
  NeopTestCheck(fabs(mean) < 1e-6 * amax && amax > 0, "burgers generator: u0 has zero mean (%.3g, max %.3g)", mean, amax);
  /* The stored trajectory is the solver's, from the stored u0 (as float) */
  for (int j = 0; j < n; j++) u0[j] = a[j];
  PetscCall(NeopBurgersCreate(n, 0.1, 1e-3, 0.25, &b));
  PetscCall(NeopBurgersSolve(b, u0, nt, ud));
  for (int j = 0; j < nt * n; j++) match &= fabs(ud[j] - u[j]) < 1e-6 * amax;
  NeopTestCheck(match, "burgers generator: trajectory equals a direct solve from u0");
  PetscCall(NeopBurgersDestroy(&b));
  PetscCall(g->ops.destroy(g));
  PetscCall(PetscFree5(a, u, u2, u0, ud));
  PetscCall(PetscOptionsClearValue(NULL, "-burgers_grid"));
  PetscCall(PetscOptionsClearValue(NULL, "-burgers_nt"));
  PetscCall(PetscOptionsClearValue(NULL, "-burgers_dt"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  double e, ens[4], edt[4];
  int    ns[4]  = {24, 48, 72, 96}; /* the 2/3 rule keeps 8, 16, 24, 32 modes */
  double dts[4] = {0.05, 0.025, 0.0125, 0.00625};

  PetscCall(NeopTestInitialize(&argc, &argv));
  /* The generator's setting: nu = 0.1 to t = 1 with its dt 1e-4 (u(1) is ~1e-3 of u0:
     the error is relative to the small final amplitude). */
  PetscCall(error_at(128, 0.1, 1.0, 1e-4, &e));
  NeopTestCheck(e < 1e-11, "nu 0.1, t 1, n 128, dt 1e-4: relative max error %.3g < 1e-11", e);
  /* Geometric convergence in n (nu 0.02, t 0.25, dt 1e-4: time error ~1e-13):
     8 more modes must gain at least 100x. */
  for (int i = 0; i < 4; i++) {
    PetscCall(error_at(ns[i], 0.02, 0.25, 1e-4, &ens[i]));
    if (i) NeopTestCheck(ens[i] < 1e-2 * ens[i - 1], "space: n %d -> %d: error %.3g -> %.3g (at least 100x smaller)", ns[i - 1], ns[i], ens[i - 1], ens[i]);
  }
  NeopTestCheck(ens[3] < 1e-12, "space: n 96 error %.3g < 1e-12", ens[3]);
  /* Fourth order in dt on a resolved grid (nu 0.02, t 0.5, n 128). */
  for (int i = 0; i < 4; i++) {
    PetscCall(error_at(128, 0.02, 0.5, dts[i], &edt[i]));
    if (i) {
      double order = log2(edt[i - 1] / edt[i]);
      NeopTestCheck(order > 3.7 && order < 4.5, "time: dt %g -> %g: error %.3g -> %.3g, order %.2f (ETDRK4: 4)", dts[i - 1], dts[i], edt[i - 1], edt[i], order);
    }
  }
  PetscCall(check_generator());
  return NeopTestFinalize();
}
