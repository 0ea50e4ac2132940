#include "burgers.h"
#include "generator_pdes.h"
#include "grf_periodic.h"
#include <math.h>

struct NeopBurgers_s {
  int           n, nh, steps; /* nh = n/2 + 1; steps per output interval */
  double        nu, h;
  double       *E, *E2, *Q, *f1, *f2, *f3; /* (nh) ETDRK4 coefficients of each mode */
  double       *dx;                        /* (nh) -pi k: N = i dx FFT(u^2) = -(1/2) (u^2)_x; 0 beyond the 2/3 cut */
  fftw_complex *v, *a, *b, *c;             /* (nh) stage values */
  fftw_complex *Nv, *Na, *Nb, *Nc;         /* (nh) nonlinear term at the stages */
  fftw_complex *spec;                      /* (nh) scratch: c2r destroys its input */
  double       *u;                         /* (n) physical-space scratch */
  fftw_plan     r2c, c2r;
};

/* ETDRK4 coefficients for the linear rate L (h L = z <= 0) as means over M
   points of a unit circle around z (Kassam & Trefethen 2005): the formulas
   cancel catastrophically near z = 0; on the circle they do not. L is real,
   so the upper half circle and the real part suffice. */
static void etdrk4_coefficients(double z, double h, double *E, double *E2, double *Q, double *f1, double *f2, double *f3)
{
  const int M  = 32;
  double    sQ = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int j = 0; j < M; j++) {
    double complex r = z + cexp(I * M_PI * (j + 0.5) / M), er = cexp(r), r3 = r * r * r;
    sQ += creal((cexp(r / 2) - 1) / r);
    s1 += creal((-4 - r + er * (4 - 3 * r + r * r)) / r3);
    s2 += creal((2 + r + er * (r - 2)) / r3);
    s3 += creal((-4 - 3 * r - r * r + er * (4 - r)) / r3);
  }
  *E  = exp(z);
  *E2 = exp(z / 2);
  *Q  = h * sQ / M;
  *f1 = h * s1 / M;
  *f2 = h * s2 / M;
  *f3 = h * s3 / M;
}

PetscErrorCode NeopBurgersCreate(int n, double nu, double dtmax, double interval, NeopBurgers *bp)
{
  NeopBurgers b;

  PetscFunctionBegin;
  PetscCheck(n >= 4 && n % 2 == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Burgers: grid %d must be even and >= 4", n);
  PetscCheck(nu > 0 && dtmax > 0 && interval > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "Burgers: nu %g, dt %g and output interval %g must be positive", nu, dtmax, interval);
  PetscCheck(interval / dtmax < 1e9, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Burgers: dt %g gives over 1e9 steps in the output interval %g",
             dtmax, interval);
  PetscCall(PetscNew(&b));
  b->n     = n;
  b->nh    = n / 2 + 1;
  b->nu    = nu;
  b->steps = (int)ceil(interval / dtmax * (1 - 1e-12));
  b->h     = interval / b->steps;
  PetscCall(PetscMalloc7(b->nh, &b->E, b->nh, &b->E2, b->nh, &b->Q, b->nh, &b->f1, b->nh, &b->f2, b->nh, &b->f3, b->nh, &b->dx));
  for (int k = 0; k < b->nh; k++) {
    double kk = 2 * M_PI * k;
    etdrk4_coefficients(-nu * kk * kk * b->h, b->h, &b->E[k], &b->E2[k], &b->Q[k], &b->f1[k], &b->f2[k], &b->f3[k]);
    b->dx[k] = k <= (2.0 / 3.0) * (n / 2) ? -M_PI * k : 0;
  }
  fftw_complex **bufs[] = {&b->v, &b->a, &b->b, &b->c, &b->Nv, &b->Na, &b->Nb, &b->Nc, &b->spec};
  for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
    *bufs[i] = fftw_alloc_complex(b->nh);
    PetscCheck(*bufs[i], PETSC_COMM_SELF, PETSC_ERR_MEM, "Burgers: fftw_malloc failed for grid %d", n);
  }
  b->u = fftw_alloc_real(n);
  PetscCheck(b->u, PETSC_COMM_SELF, PETSC_ERR_MEM, "Burgers: fftw_malloc failed for grid %d", n);
  PetscCall(NeopFFTWDoubleSetUp());
  b->r2c = fftw_plan_dft_r2c_1d(n, b->u, b->spec, FFTW_ESTIMATE);
  b->c2r = fftw_plan_dft_c2r_1d(n, b->spec, b->u, FFTW_ESTIMATE);
  PetscCheck(b->r2c && b->c2r, PETSC_COMM_SELF, PETSC_ERR_LIB, "Burgers: FFTW plans failed for grid %d", n);
  *bp = b;
  PetscFunctionReturn(PETSC_SUCCESS);
}

double NeopBurgersStep(NeopBurgers b) { return b->h; }

/* N(v) = -(1/2) d/dx (u^2) in the unnormalised r2c representation v of u. */
static void nonlinear(NeopBurgers b, const fftw_complex *v, fftw_complex *Nv)
{
  const double scale = 1.0 / b->n;
  for (int k = 0; k < b->nh; k++) b->spec[k] = v[k] * scale;
  fftw_execute(b->c2r);
  for (int j = 0; j < b->n; j++) b->u[j] *= b->u[j];
  fftw_execute(b->r2c);
  for (int k = 0; k < b->nh; k++) Nv[k] = I * b->dx[k] * b->spec[k];
}

/* One ETDRK4 step (Cox & Matthews 2002) of v' = L v + N(v). */
static void etdrk4_step(NeopBurgers b)
{
  const int nh = b->nh;
  nonlinear(b, b->v, b->Nv);
  for (int k = 0; k < nh; k++) b->a[k] = b->E2[k] * b->v[k] + b->Q[k] * b->Nv[k];
  nonlinear(b, b->a, b->Na);
  for (int k = 0; k < nh; k++) b->b[k] = b->E2[k] * b->v[k] + b->Q[k] * b->Na[k];
  nonlinear(b, b->b, b->Nb);
  for (int k = 0; k < nh; k++) b->c[k] = b->E2[k] * b->a[k] + b->Q[k] * (2 * b->Nb[k] - b->Nv[k]);
  nonlinear(b, b->c, b->Nc);
  for (int k = 0; k < nh; k++)
    b->v[k] = b->E[k] * b->v[k] + b->f1[k] * b->Nv[k] + 2 * b->f2[k] * (b->Na[k] + b->Nb[k]) + b->f3[k] * b->Nc[k];
}

PetscErrorCode NeopBurgersSolve(NeopBurgers b, const double *u0, int nout, double *u)
{
  const int n = b->n;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(b->u, u0, n));
  fftw_execute(b->r2c);
  PetscCall(PetscArraycpy(b->v, b->spec, b->nh));
  for (int i = 0; i < nout; i++) {
    for (int s = 0; s < b->steps; s++) etdrk4_step(b);
    for (int k = 0; k < b->nh; k++) b->spec[k] = b->v[k] / n;
    fftw_execute(b->c2r);
    for (int j = 0; j < n; j++)
      PetscCheck(isfinite(b->u[j]), PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED,
                 "Burgers: solution not finite at t = %g (grid %d, dt %g): reduce -burgers_dt", (i + 1) * b->steps * b->h, n, b->h);
    PetscCall(PetscArraycpy(u + (size_t)i * n, b->u, n));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopBurgersDestroy(NeopBurgers *bp)
{
  NeopBurgers b = *bp;

  PetscFunctionBegin;
  if (!b) PetscFunctionReturn(PETSC_SUCCESS);
  fftw_destroy_plan(b->r2c);
  fftw_destroy_plan(b->c2r);
  fftw_complex *bufs[] = {b->v, b->a, b->b, b->c, b->Nv, b->Na, b->Nb, b->Nc, b->spec};
  for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) fftw_free(bufs[i]);
  fftw_free(b->u);
  PetscCall(PetscFree7(b->E, b->E2, b->Q, b->f1, b->f2, b->f3, b->dx));
  PetscCall(PetscFree(*bp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the "burgers" generator: a = u0 (1, n), u = u(T) (1, n) or the trajectory (nt, 1, n) ----
   -burgers_bc dirichlet: u = 0 at x = 0 and 1, nodes j/n (n + 1 stored) as DGenNO's Burgers
   example (there on [-1,1]). Burgers keeps odd data odd, so the Dirichlet problem is the
   periodic one of the odd extension: with y = x/2 and v = u/2 (v_t + v v_y = (nu/4) v_yy on a
   period 1 in y), on 2n points; u0 is the odd part (g(y) - g(-y))/2 of a periodic GRF sample g
   (zero at y = 0 and 1/2). */

typedef enum { BC_PERIODIC, BC_DIRICHLET } BurgersBC;
static const char *const bc_names[] = {"periodic", "dirichlet", "BurgersBC", "BC_", NULL};

typedef struct {
  PetscReal       nu, dt, T, alpha, tau, sigma;
  PetscInt        n, nt;
  BurgersBC       bc;
  int             ns;     /* solver grid: n, or 2n (Dirichlet) */
  NeopGRFPeriodic grf;
  NeopBurgers     solver;
  double         *g, *u0, *u; /* (ns), (ns), (max(nt, 1), ns) */
} GenBurgers;

static PetscErrorCode gen_setfromoptions(NeopGenerator g, PetscOptionItems *PetscOptionsObject)
{
  GenBurgers *d = (GenBurgers *)g->data;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Burgers generator (-pde burgers), FNO Burgers data by default");
  PetscCall(PetscOptionsReal("-burgers_nu", "viscosity", NULL, d->nu, &d->nu, NULL));
  PetscCall(PetscOptionsEnum("-burgers_bc", "boundary conditions (dirichlet: u(0) = u(1) = 0, n + 1 nodes stored)", NULL, bc_names,
                             (PetscEnum)d->bc, (PetscEnum *)&d->bc, NULL));
  PetscCall(PetscOptionsInt("-burgers_grid", "grid intervals n on [0,1] (periodic: n points of [0,1), dirichlet: n + 1 nodes)", NULL, d->n, &d->n, NULL));
  PetscCall(PetscOptionsReal("-burgers_dt", "largest ETDRK4 time step", NULL, d->dt, &d->dt, NULL));
  PetscCall(PetscOptionsReal("-burgers_T", "final time", NULL, d->T, &d->T, NULL));
  PetscCall(PetscOptionsInt("-burgers_nt", "stored times (i+1) T/nt, i < nt; 0: only u(T), as a stationary map", NULL, d->nt, &d->nt, NULL));
  PetscCall(PetscOptionsReal("-burgers_grf_alpha", "u0 ~ N(0, sigma^2 (-Delta + tau^2)^-alpha): alpha", NULL, d->alpha, &d->alpha, NULL));
  PetscCall(PetscOptionsReal("-burgers_grf_tau", "u0 covariance: tau", NULL, d->tau, &d->tau, NULL));
  PetscCall(PetscOptionsReal("-burgers_grf_sigma", "u0 covariance: sigma", NULL, d->sigma, &d->sigma, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(d->nu > 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-burgers_nu %g: must be positive", (double)d->nu);
  PetscCheck(d->n >= 4 && d->n % 2 == 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-burgers_grid %d: must be even and >= 4", (int)d->n);
  PetscCheck(d->dt > 0 && d->T > 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-burgers_dt %g, -burgers_T %g: must be positive", (double)d->dt,
             (double)d->T);
  PetscCheck(d->nt >= 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-burgers_nt %d: must be >= 0", (int)d->nt);
  PetscCheck(d->alpha > 0 && d->tau > 0 && d->sigma > 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-burgers_grf_alpha %g, -burgers_grf_tau %g, -burgers_grf_sigma %g: must be positive", (double)d->alpha, (double)d->tau,
             (double)d->sigma);
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_bc", "%s", bc_names[d->bc]));
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_nu", "%.17g", (double)d->nu));
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_grid", "%d", (int)d->n));
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_dt", "%.17g", (double)d->dt));
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_T", "%.17g", (double)d->T));
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_nt", "%d", (int)d->nt));
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_grf_alpha", "%.17g", (double)d->alpha));
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_grf_tau", "%.17g", (double)d->tau));
  PetscCall(NeopGeneratorRecordOption(g, "-burgers_grf_sigma", "%.17g", (double)d->sigma));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode gen_setup(NeopGenerator g)
{
  GenBurgers *d = (GenBurgers *)g->data;
  PetscMPIInt size;
  int         nout = d->nt ? (int)d->nt : 1;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(g->solve_comm, &size));
  PetscCheck(size == 1, g->comm, PETSC_ERR_SUP, "Burgers: a sample is solved on one rank (solve communicator of %d ranks)", size);
  d->ns      = d->bc == BC_DIRICHLET ? 2 * (int)d->n : (int)d->n;
  g->dim     = 1;
  g->grid[0] = d->bc == BC_DIRICHLET ? (int)d->n + 1 : (int)d->n;
  g->ca      = 1;
  g->cu      = 1;
  g->nt      = (int)d->nt;
  PetscCall(PetscMalloc1(g->grid[0], &g->coords[0]));
  for (PetscInt j = 0; j < g->grid[0]; j++) g->coords[0][j] = (double)j / d->n;
  if (d->nt) {
    PetscCall(PetscMalloc1(d->nt, &g->t));
    for (PetscInt i = 0; i < d->nt; i++) g->t[i] = d->T * (i + 1) / d->nt;
  }
  PetscCall(NeopGRFPeriodicCreate(1, d->ns, d->alpha, d->tau, d->sigma, &d->grf));
  PetscCall(NeopBurgersCreate(d->ns, d->bc == BC_DIRICHLET ? d->nu / 4 : d->nu, d->dt, d->T / nout, &d->solver));
  PetscCall(PetscMalloc3(d->ns, &d->g, d->ns, &d->u0, (size_t)nout * d->ns, &d->u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode gen_sample(NeopGenerator g, int64_t index, float *a, float *u)
{
  GenBurgers *d    = (GenBurgers *)g->data;
  int         nout = d->nt ? (int)d->nt : 1;
  NeopRng     r;

  PetscFunctionBegin;
  NeopRngInit(&r, g->seed, NEOP_RNG_DATA, (uint64_t)index);
  if (d->bc == BC_PERIODIC) {
    PetscCall(NeopGRFPeriodicSample(d->grf, &r, d->u0));
    PetscCall(NeopBurgersSolve(d->solver, d->u0, nout, d->u));
    for (PetscInt j = 0; j < d->n; j++) a[j] = (float)d->u0[j];
    for (size_t j = 0; j < (size_t)nout * d->n; j++) u[j] = (float)d->u[j];
  } else { /* v0 = u0/2 = the odd part of g, halved; u = 2 v on the nodes y = j/(2n), j <= n */
    int ns = d->ns, S = (int)d->n + 1;
    PetscCall(NeopGRFPeriodicSample(d->grf, &r, d->g));
    for (int j = 0; j < ns; j++) d->u0[j] = 0.25 * (d->g[j] - d->g[(ns - j) % ns]);
    PetscCall(NeopBurgersSolve(d->solver, d->u0, nout, d->u));
    for (int j = 0; j < S; j++) a[j] = (float)(2 * d->u0[j]);
    for (int i = 0; i < nout; i++)
      for (int j = 0; j < S; j++) u[(size_t)i * S + j] = (float)(2 * d->u[(size_t)i * ns + j]);
    a[0] = a[S - 1] = 0.f; /* exactly: the odd extension vanishes there */
    for (int i = 0; i < nout; i++) u[(size_t)i * S] = u[(size_t)i * S + S - 1] = 0.f;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode gen_destroy(NeopGenerator g)
{
  GenBurgers *d = (GenBurgers *)g->data;

  PetscFunctionBegin;
  PetscCall(NeopGRFPeriodicDestroy(&d->grf));
  PetscCall(NeopBurgersDestroy(&d->solver));
  PetscCall(PetscFree3(d->g, d->u0, d->u));
  PetscCall(PetscFree(g->coords[0]));
  PetscCall(PetscFree(g->t));
  PetscCall(PetscFree(g->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* FNO Burgers (Li et al. 2021): nu = 0.1, u0 ~ N(0, 625 (-Delta + 25 I)^-2),
   u(t = 1) on 8192 points; dt 1e-4 as the reference's spin(..., 1e-4) call. */
PetscErrorCode NeopGeneratorCreate_Burgers(NeopGenerator g)
{
  GenBurgers *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  d->nu                  = 0.1;
  d->n                   = 8192;
  d->dt                  = 1e-4;
  d->T                   = 1.0;
  d->nt                  = 0;
  d->bc                  = BC_PERIODIC;
  d->alpha               = 2.0;
  d->tau                 = 5.0;
  d->sigma               = 25.0;
  g->data                = d;
  g->ops.setfromoptions  = gen_setfromoptions;
  g->ops.setup           = gen_setup;
  g->ops.sample          = gen_sample;
  g->ops.destroy         = gen_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
