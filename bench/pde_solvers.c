/* Cost and time-step error of the time-dependent PDE generators at the FNO
   datasets' settings, on one sample each (docs/solvers.md):
     Burgers: 8192 points, nu 0.1, to t = 1, ETDRK4 at several dt against dt/2 of the smallest;
     Navier-Stokes: 256^2, nu 1e-3, FNO forcing, to t = -bench_ns_T, each scheme at
     dt 1e-4 against Heun at dt 2.5e-5.
   Usage: pde_solvers [-bench_ns_T 1] [-threads N] */
#include "core/runtime.h"
#include "burgers.h"
#include "grf_periodic.h"
#include "navier_stokes.h"
#include <math.h>

static double rel_diff(size_t n, const double *a, const double *b)
{
  double e = 0, s = 0;
  for (size_t m = 0; m < n; m++) e = PetscMax(e, fabs(a[m] - b[m])), s = PetscMax(s, fabs(b[m]));
  return e / s;
}

static PetscErrorCode bench_burgers(void)
{
  const int       n      = 8192;
  const double    dts[4] = {1e-3, 5e-4, 2e-4, 1e-4}, dtref = 5e-5;
  double         *u0, *u, *ref, t0, t1;
  NeopGRFPeriodic grf;
  NeopBurgers     b;
  NeopRng         r;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(n, &u0, n, &u, n, &ref));
  PetscCall(NeopGRFPeriodicCreate(1, n, 2.0, 5.0, 25.0, &grf));
  NeopRngInit(&r, 0, NEOP_RNG_DATA, 0);
  PetscCall(NeopGRFPeriodicSample(grf, &r, u0));
  PetscCall(NeopBurgersCreate(n, 0.1, dtref, 1.0, &b));
  PetscCall(NeopBurgersSolve(b, u0, 1, ref));
  PetscCall(NeopBurgersDestroy(&b));
  for (int i = 0; i < 4; i++) {
    PetscCall(PetscTime(&t0));
    PetscCall(NeopBurgersCreate(n, 0.1, dts[i], 1.0, &b));
    PetscCall(NeopBurgersSolve(b, u0, 1, u));
    PetscCall(NeopBurgersDestroy(&b));
    PetscCall(PetscTime(&t1));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "burgers n %d nu 0.1 t 1: dt %-7g  %6.2f s/sample  max|u - u_ref|/max|u_ref| %.2e (ref dt %g)\n", n, dts[i],
                          t1 - t0, rel_diff(n, u, ref), dtref));
  }
  PetscCall(NeopGRFPeriodicDestroy(&grf));
  PetscCall(PetscFree3(u0, u, ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode bench_ns(double T)
{
  const int        n = 256;
  const double     dt = 1e-4, dtref = 2.5e-5;
  double          *w0, *f, *w, *ref, t0, t1;
  NeopGRFPeriodic  grf;
  NeopNavierStokes ns;
  NeopRng          r;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(n * n, &w0, n * n, &f, n * n, &w, n * n, &ref));
  PetscCall(NeopGRFPeriodicCreate(2, n, 2.5, 7.0, NeopGRFPeriodicSigmaDefault(2, 2.5, 7.0), &grf));
  NeopRngInit(&r, 0, NEOP_RNG_DATA, 0);
  PetscCall(NeopGRFPeriodicSample(grf, &r, w0));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) f[i * n + j] = 0.1 * (sin(2 * M_PI * (i + j) / n) + cos(2 * M_PI * (i + j) / n));
  PetscCall(NeopNavierStokesCreate(n, 1e-3, dtref, NEOP_NS_HEUN, f, &ns));
  PetscCall(NeopNavierStokesSolve(ns, w0, 1, (int)round(T / dtref), 1, ref));
  PetscCall(NeopNavierStokesDestroy(&ns));
  for (int s = 0; s < 3; s++) {
    int steps = (int)round(T / dt);
    PetscCall(NeopNavierStokesCreate(n, 1e-3, dt, (NeopNSScheme)s, f, &ns));
    PetscCall(PetscTime(&t0));
    PetscCall(NeopNavierStokesSolve(ns, w0, 1, steps, 1, w));
    PetscCall(PetscTime(&t1));
    PetscCall(NeopNavierStokesDestroy(&ns));
    PetscCall(PetscPrintf(PETSC_COMM_SELF,
                          "navier-stokes n %d nu 1e-3 t %.2f: %-5s dt %g  %.3f ms/step  max|w - w_ref|/max|w_ref| %.2e (ref heun dt %g)\n", n, T,
                          NeopNSSchemes[s], dt, 1e3 * (t1 - t0) / steps, rel_diff((size_t)n * n, w, ref), dtref));
  }
  PetscCall(NeopGRFPeriodicDestroy(&grf));
  PetscCall(PetscFree4(w0, f, w, ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscReal T = 1.0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-bench_ns_T", &T, NULL));
  PetscCall(bench_burgers());
  PetscCall(bench_ns(T));
  NeopRuntimeTearDown();
  PetscCall(PetscFinalize());
  return 0;
}
