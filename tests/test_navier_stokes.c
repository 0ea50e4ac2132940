/* Navier-Stokes (vorticity) solver: the advection term against a closed form,
   decaying Taylor-Green vortices against their exact exponential decay
   (second order from Crank-Nicolson), the time order of each advection scheme
   on a strongly nonlinear flow, and the "navier_stokes" generator. */
#include "testing.h"
#include "navier_stokes.h"
#include "grf_periodic.h"
#include "generator_pdes.h"
#include <math.h>

/* w = sin(2 pi x) + cos(4 pi y): psi = sin(2 pi x)/(4 pi^2) + cos(4 pi y)/(16 pi^2),
   u = psi_y = -sin(4 pi y)/(4 pi), v = -psi_x = -cos(2 pi x)/(2 pi), so
   u w_x + v w_y = 1.5 cos(2 pi x) sin(4 pi y). */
static PetscErrorCode check_advection(void)
{
  const int        n = 16;
  NeopNavierStokes ns;
  double           w[16 * 16], F[16 * 16], err = 0;

  PetscFunctionBegin;
  PetscCall(NeopNavierStokesCreate(n, 0, 1, NEOP_NS_EULER, NULL, &ns));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) w[i * n + j] = sin(2 * M_PI * i / n) + cos(4 * M_PI * j / n);
  PetscCall(NeopNavierStokesAdvection(ns, w, F));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) err = PetscMax(err, fabs(F[i * n + j] - 1.5 * cos(2 * M_PI * i / n) * sin(4 * M_PI * j / n)));
  NeopTestCheck(err < 1e-13, "advection of sin(2 pi x) + cos(4 pi y) on 16^2: max error %.3g < 1e-13", err);
  PetscCall(NeopNavierStokesDestroy(&ns));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Vorticity made of modes of one shell |k|^2 = K2: u . grad w = 0 exactly, so
   w(t) = w0 exp(-4 pi^2 K2 nu t). Relative max error at T. */
static PetscErrorCode taylor_green_error(int shell, NeopNSScheme scheme, double nu, double T, double dt, double *err)
{
  const int        n = 32;
  NeopNavierStokes ns;
  double          *w0, *w, K2 = shell == 1 ? 2 : 25, decay = exp(-4 * M_PI * M_PI * K2 * nu * T), e = 0, s = 0;
  int              steps = (int)round(T / dt);

  PetscFunctionBegin;
  PetscCall(PetscMalloc2(n * n, &w0, n * n, &w));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double x = (double)i / n, y = (double)j / n;
      /* shell 1: the classic Taylor-Green vortex; shell 5: (3,4), (5,0), (4,-3) mixed, whose products do not vanish mode by mode */
      w0[i * n + j] = shell == 1 ? 2 * cos(2 * M_PI * x) * cos(2 * M_PI * y)
                                 : cos(2 * M_PI * (3 * x + 4 * y)) + 0.7 * sin(2 * M_PI * 5 * x) + 0.4 * cos(2 * M_PI * (4 * x - 3 * y) + 1);
    }
  PetscCall(NeopNavierStokesCreate(n, nu, dt, scheme, NULL, &ns));
  PetscCall(NeopNavierStokesSolve(ns, w0, 1, steps, 1, w));
  for (int m = 0; m < n * n; m++) {
    e = PetscMax(e, fabs(w[m] - w0[m] * decay));
    s = PetscMax(s, fabs(w0[m] * decay));
  }
  *err = e / s;
  PetscCall(NeopNavierStokesDestroy(&ns));
  PetscCall(PetscFree2(w0, w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A strongly advective flow: 20x an FNO initial vorticity (GRF alpha 2.5, tau 7)
   with the FNO forcing, n = 32, nu = 1e-3, to T = 0.5: w at dt against w at dt_ref. */
static PetscErrorCode advective_solution(NeopNSScheme scheme, double dt, double *w)
{
  const int        n = 32;
  const double     T = 0.5;
  NeopNavierStokes ns;
  NeopGRFPeriodic  grf;
  NeopRng          r;
  double           w0[32 * 32], f[32 * 32];

  PetscFunctionBegin;
  PetscCall(NeopGRFPeriodicCreate(2, n, 2.5, 7.0, NeopGRFPeriodicSigmaDefault(2, 2.5, 7.0), &grf));
  NeopRngInit(&r, 1, NEOP_RNG_DATA, 0);
  PetscCall(NeopGRFPeriodicSample(grf, &r, w0));
  for (int m = 0; m < n * n; m++) w0[m] *= 20;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) f[i * n + j] = 0.1 * (sin(2 * M_PI * (i + j) / n) + cos(2 * M_PI * (i + j) / n));
  PetscCall(NeopNavierStokesCreate(n, 1e-3, dt, scheme, f, &ns));
  PetscCall(NeopNavierStokesSolve(ns, w0, 1, (int)round(T / dt), 1, w));
  PetscCall(NeopNavierStokesDestroy(&ns));
  PetscCall(NeopGRFPeriodicDestroy(&grf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static double rel_diff(int n, const double *a, const double *b)
{
  double e = 0, s = 0;
  for (int m = 0; m < n; m++) e = PetscMax(e, fabs(a[m] - b[m])), s = PetscMax(s, fabs(b[m]));
  return e / s;
}

static PetscErrorCode check_time_order(void)
{
  const int    n2     = 32 * 32;
  const double dts[3] = {0.01, 0.005, 0.0025}, expect[3] = {1, 2, 2};
  double       ref[32 * 32], w[32 * 32], e[3];

  PetscFunctionBegin;
  PetscCall(advective_solution(NEOP_NS_HEUN, 0.5 / 3200, ref));
  for (int s = 0; s < 3; s++) {
    for (int i = 0; i < 3; i++) {
      PetscCall(advective_solution((NeopNSScheme)s, dts[i], w));
      e[i] = rel_diff(n2, w, ref);
    }
    double o1 = log2(e[0] / e[1]), o2 = log2(e[1] / e[2]);
    NeopTestCheck(fabs(o1 - expect[s]) < 0.3 && fabs(o2 - expect[s]) < 0.3,
                  "advective flow, %s: errors %.3g %.3g %.3g at dt 0.01 0.005 0.0025: orders %.2f %.2f (expected %g)", NeopNSSchemes[s], e[0], e[1],
                  e[2], o1, o2, expect[s]);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode setup_generator(NeopGenerator g, PetscErrorCode *ierr)
{
  PetscFunctionBegin;
  g->comm = g->solve_comm = PETSC_COMM_SELF;
  g->seed                 = 3;
  PetscCall(NeopGeneratorCreate_NavierStokes(g));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscOptionsBegin(g->comm, NULL, "generator", NULL);
  *ierr = g->ops.setfromoptions(g, PetscOptionsObject);
  PetscOptionsEnd();
  if (!*ierr) *ierr = g->ops.setup(g);
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_generator(void)
{
  struct NeopGenerator_s gen = {0};
  NeopGenerator          g   = &gen;
  PetscErrorCode         ierr;
  const int              n = 32, m = 8, nt = 2;
  float                  a[8 * 8], u[2 * 8 * 8], u2[2 * 8 * 8];
  double                 w0[32 * 32], wd[2 * 8 * 8], f[32 * 32], amax = 0, err = 0;
  int                    same = 1, sub = 1;
  NeopGRFPeriodic        grf;
  NeopNavierStokes       ns;
  NeopRng                r;

  PetscFunctionBegin;
  PetscCall(PetscOptionsInsertString(NULL, "-ns_grid 32 -ns_store_grid 8 -ns_T 2 -ns_dt 0.01"));
  PetscCall(setup_generator(g, &ierr));
  NeopTestCheck(!ierr, "navier_stokes generator sets up on 32^2 (error %d)", (int)ierr);
  NeopTestCheck(g->dim == 2 && g->grid[0] == m && g->grid[1] == m && g->ca == 1 && g->cu == 1 && g->nt == nt && g->t[0] == 1 && g->t[1] == 2 &&
                  g->coords[1][1] == 1.0 / m,
                "navier_stokes generator: dim %d grid %d x %d, nt %d, t = %g, %g", g->dim, g->grid[0], g->grid[1], g->nt, g->t[0], g->t[nt - 1]);
  PetscCall(g->ops.sample(g, 9, a, u));
  PetscCall(g->ops.sample(g, 9, a, u2));
  for (int k = 0; k < nt * m * m; k++) same &= u[k] == u2[k];
  NeopTestCheck(same, "navier_stokes generator: sample 9 comes out bit-identical twice");
  /* a is w0 of stream (3, data, 9) sampled every 4th point; u the solve from it. */
  PetscCall(NeopGRFPeriodicCreate(2, n, 2.5, 7, pow(7, 1.5), &grf));
  NeopRngInit(&r, 3, NEOP_RNG_DATA, 9);
  PetscCall(NeopGRFPeriodicSample(grf, &r, w0));
  for (int i = 0; i < m; i++)
    for (int j = 0; j < m; j++) sub &= a[i * m + j] == (float)w0[(i * 4) * n + j * 4];
  NeopTestCheck(sub, "navier_stokes generator: a is the GRF sample's every 4th point");
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) f[i * n + j] = 0.1 * (sin(2 * M_PI * (i + j) / n) + cos(2 * M_PI * (i + j) / n));
  PetscCall(NeopNavierStokesCreate(n, 1e-3, 0.01, NEOP_NS_AB2, f, &ns));
  PetscCall(NeopNavierStokesSolve(ns, w0, nt, 100, 4, wd));
  for (int k = 0; k < nt * m * m; k++) err = PetscMax(err, fabs(wd[k] - u[k])), amax = PetscMax(amax, fabs(wd[k]));
  NeopTestCheck(err <= 1e-6 * amax, "navier_stokes generator: u is the AB2 solve from w0 at t = 1, 2 (difference %.3g)", err);
  PetscCall(NeopNavierStokesDestroy(&ns));
  PetscCall(NeopGRFPeriodicDestroy(&grf));
  PetscCall(g->ops.destroy(g));
  PetscCall(PetscOptionsClearValue(NULL, "-ns_T"));

  /* The FNO datasets' final time follows nu; bad settings are refused. */
  {
    struct NeopGenerator_s g2 = {0};
    PetscCall(PetscOptionsInsertString(NULL, "-ns_nu 1e-5"));
    PetscCall(setup_generator(&g2, &ierr));
    NeopTestCheck(!ierr && g2.nt == 20, "navier_stokes generator: -ns_nu 1e-5 stores T = 20 snapshots (%d)", g2.nt);
    PetscCall(g2.ops.destroy(&g2));
  }
  {
    struct NeopGenerator_s g3 = {0};
    PetscCall(PetscOptionsInsertString(NULL, "-ns_dt 3e-3"));
    PetscCall(setup_generator(&g3, &ierr));
    NeopTestCheck(ierr == PETSC_ERR_ARG_INCOMP, "navier_stokes generator: -ns_dt 3e-3 (not dividing -ns_record 1) is refused (error %d)", (int)ierr);
    PetscCall(g3.ops.destroy(&g3));
    PetscCall(PetscOptionsInsertString(NULL, "-ns_dt 0.01 -ns_store_grid 5"));
    g3 = (struct NeopGenerator_s){0};
    PetscCall(setup_generator(&g3, &ierr));
    NeopTestCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, "navier_stokes generator: -ns_store_grid 5 with -ns_grid 32 is refused (error %d)", (int)ierr);
    PetscCall(g3.ops.destroy(&g3));
  }
  PetscCall(PetscOptionsClear(NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  const double dts[4] = {0.04, 0.02, 0.01, 0.005};

  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCall(check_advection());
  for (int shell = 1; shell <= 5; shell += 4)
    for (int s = 0; s < 3; s++) {
      double e[4], T = shell == 1 ? 1.0 : 0.2;
      for (int i = 0; i < 4; i++) PetscCall(taylor_green_error(shell, (NeopNSScheme)s, 0.01, T, dts[i], &e[i]));
      PetscBool ok = e[3] < 1e-3;
      for (int i = 1; i < 4; i++) ok = (PetscBool)(ok && fabs(log2(e[i - 1] / e[i]) - 2) < 0.1);
      NeopTestCheck(ok, "Taylor-Green |k|^2 = %d, %s, nu 0.01 to t %g: errors %.3g %.3g %.3g %.3g at dt 0.04 .. 0.005 (order 2, last < 1e-3)",
                    shell == 1 ? 2 : 25, NeopNSSchemes[s], T, e[0], e[1], e[2], e[3]);
    }
  PetscCall(check_time_order());
  PetscCall(check_generator());
  return NeopTestFinalize();
}
