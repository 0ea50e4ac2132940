#include "navier_stokes.h"
#include "generator_pdes.h"
#include "grf_periodic.h"
#include <math.h>

const char *const NeopNSSchemes[] = {"euler", "ab2", "heun", "NeopNSScheme", "NEOP_NS_", NULL};

struct NeopNavierStokes_s {
  int           n, nh; /* nh = n/2 + 1 */
  double        nu, dt;
  NeopNSScheme  scheme;
  double       *k2;           /* (n, nh) 4 pi^2 |k|^2, 1 at k = 0 (psi^_0 = w^_0 / 1 = 0: w has zero mean) */
  double       *kx, *ky;      /* (n), (nh) 2 pi k */
  double       *mask;         /* (n, nh) 1 where |kx|, |ky| <= (2/3)(n/2), else 0 */
  fftw_complex *wh, *ws, *fh; /* (n, nh) w^, Heun predictor, forcing */
  fftw_complex *Fh, *Fo;      /* (n, nh) advection now, at the previous step (AB2) / predictor (Heun) */
  fftw_complex *sp;           /* (n, nh) scratch: c2r destroys its input */
  double       *q, *v, *wx, *wy; /* (n, n) velocity and vorticity gradient */
  fftw_plan     r2c, c2r;
};

static int wavenumber(int i, int n) { return i <= n / 2 ? i : i - n; }

PetscErrorCode NeopNavierStokesCreate(int n, double nu, double dt, NeopNSScheme scheme, const double *f, NeopNavierStokes *nsp)
{
  NeopNavierStokes ns;
  const size_t     nspec = (size_t)n * (n / 2 + 1), nreal = (size_t)n * n;

  PetscFunctionBegin;
  PetscCheck(n >= 4 && n % 2 == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Navier-Stokes: grid %d must be even and >= 4", n);
  PetscCheck(nu >= 0 && dt > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Navier-Stokes: nu %g must be >= 0, dt %g > 0", nu, dt);
  PetscCall(PetscNew(&ns));
  ns->n      = n;
  ns->nh     = n / 2 + 1;
  ns->nu     = nu;
  ns->dt     = dt;
  ns->scheme = scheme;
  PetscCall(PetscMalloc4(nspec, &ns->k2, n, &ns->kx, ns->nh, &ns->ky, nspec, &ns->mask));
  for (int i = 0; i < n; i++) ns->kx[i] = 2 * M_PI * wavenumber(i, n);
  for (int j = 0; j < ns->nh; j++) ns->ky[j] = 2 * M_PI * j;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < ns->nh; j++) {
      size_t m    = (size_t)i * ns->nh + j;
      ns->k2[m]   = i || j ? ns->kx[i] * ns->kx[i] + ns->ky[j] * ns->ky[j] : 1.0;
      ns->mask[m] = abs(wavenumber(i, n)) <= (2.0 / 3.0) * (n / 2) && j <= (2.0 / 3.0) * (n / 2) ? 1.0 : 0.0;
    }
  fftw_complex **spec[] = {&ns->wh, &ns->ws, &ns->fh, &ns->Fh, &ns->Fo, &ns->sp};
  for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) {
    *spec[i] = fftw_alloc_complex(nspec);
    PetscCheck(*spec[i], PETSC_COMM_SELF, PETSC_ERR_MEM, "Navier-Stokes: fftw_malloc failed for grid %d", n);
  }
  double **real[] = {&ns->q, &ns->v, &ns->wx, &ns->wy};
  for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) {
    *real[i] = fftw_alloc_real(nreal);
    PetscCheck(*real[i], PETSC_COMM_SELF, PETSC_ERR_MEM, "Navier-Stokes: fftw_malloc failed for grid %d", n);
  }
  PetscCall(NeopFFTWDoubleSetUp());
  ns->r2c = fftw_plan_dft_r2c_2d(n, n, ns->q, ns->sp, FFTW_ESTIMATE);
  ns->c2r = fftw_plan_dft_c2r_2d(n, n, ns->sp, ns->q, FFTW_ESTIMATE);
  PetscCheck(ns->r2c && ns->c2r, PETSC_COMM_SELF, PETSC_ERR_LIB, "Navier-Stokes: FFTW plans failed for grid %d", n);
  if (f) {
    PetscCall(PetscArraycpy(ns->q, f, nreal));
    fftw_execute_dft_r2c(ns->r2c, ns->q, ns->fh);
  } else PetscCall(PetscArrayzero(ns->fh, nspec));
  *nsp = ns;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* sp = c * i k_d * wh / n^2 (derivative along d = 0: x, 1: y), divided by |k|^2 when 'stream'
   (the derivative of psi); then out = c2r(sp). */
static void spectral_derivative(NeopNavierStokes ns, const fftw_complex *wh, int d, double c, PetscBool stream, double *out)
{
  const int    n = ns->n, nh = ns->nh;
  const double s = c / ((double)n * n);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < nh; j++) {
      size_t m   = (size_t)i * nh + j;
      double k   = (d == 0 ? ns->kx[i] : ns->ky[j]) * s / (stream ? ns->k2[m] : 1.0);
      ns->sp[m]  = I * k * wh[m];
    }
  fftw_execute_dft_c2r(ns->c2r, ns->sp, out);
}

/* Fh = mask * FFT(u . grad w) for the state wh. */
static void advection(NeopNavierStokes ns, const fftw_complex *wh, fftw_complex *Fh)
{
  const size_t nreal = (size_t)ns->n * ns->n, nspec = (size_t)ns->n * ns->nh;
  spectral_derivative(ns, wh, 1, 1.0, PETSC_TRUE, ns->q);   /* u_x = psi_y */
  spectral_derivative(ns, wh, 0, -1.0, PETSC_TRUE, ns->v);  /* u_y = -psi_x */
  spectral_derivative(ns, wh, 0, 1.0, PETSC_FALSE, ns->wx);
  spectral_derivative(ns, wh, 1, 1.0, PETSC_FALSE, ns->wy);
  for (size_t m = 0; m < nreal; m++) ns->q[m] = ns->q[m] * ns->wx[m] + ns->v[m] * ns->wy[m];
  fftw_execute_dft_r2c(ns->r2c, ns->q, Fh);
  for (size_t m = 0; m < nspec; m++) Fh[m] *= ns->mask[m];
}

/* out = [(1 - a) w + dt (f - N)] / (1 + a), a = dt nu |k|^2 / 2, N = c0 F0 + c1 F1. */
static void cn_update(NeopNavierStokes ns, const fftw_complex *w, double c0, const fftw_complex *F0, double c1, const fftw_complex *F1,
                      fftw_complex *out)
{
  const size_t nspec = (size_t)ns->n * ns->nh;
  for (size_t m = 0; m < nspec; m++) {
    double         a = 0.5 * ns->dt * ns->nu * ns->k2[m];
    double complex N = c0 * F0[m] + (F1 ? c1 * F1[m] : 0);
    out[m]           = ((1 - a) * w[m] + ns->dt * (ns->fh[m] - N)) / (1 + a);
  }
}

static void step(NeopNavierStokes ns, PetscBool first)
{
  fftw_complex *t;
  advection(ns, ns->wh, ns->Fh);
  switch (ns->scheme) {
  case NEOP_NS_EULER:
    cn_update(ns, ns->wh, 1.0, ns->Fh, 0, NULL, ns->wh);
    break;
  case NEOP_NS_AB2:
    if (first) cn_update(ns, ns->wh, 1.0, ns->Fh, 0, NULL, ns->wh);
    else cn_update(ns, ns->wh, 1.5, ns->Fh, -0.5, ns->Fo, ns->wh);
    t      = ns->Fo; /* keep this step's advection for the next */
    ns->Fo = ns->Fh;
    ns->Fh = t;
    break;
  case NEOP_NS_HEUN:
    cn_update(ns, ns->wh, 1.0, ns->Fh, 0, NULL, ns->ws);
    advection(ns, ns->ws, ns->Fo);
    cn_update(ns, ns->wh, 0.5, ns->Fh, 0.5, ns->Fo, ns->wh);
    break;
  }
}

PetscErrorCode NeopNavierStokesSolve(NeopNavierStokes ns, const double *w0, int nrec, int steps_per_rec, int stride, double *out)
{
  const int n = ns->n, m = n / (stride > 0 ? stride : 1);

  PetscFunctionBegin;
  PetscCheck(stride > 0 && n % stride == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "Navier-Stokes: sub-sampling stride %d does not divide the grid %d", stride, n);
  PetscCheck(nrec >= 0 && steps_per_rec > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "Navier-Stokes: %d records of %d steps", nrec, steps_per_rec);
  PetscCall(PetscArraycpy(ns->q, w0, (size_t)n * n));
  fftw_execute_dft_r2c(ns->r2c, ns->q, ns->wh);
  for (int r = 0; r < nrec; r++) {
    for (int s = 0; s < steps_per_rec; s++) step(ns, r == 0 && s == 0);
    for (size_t k = 0; k < (size_t)n * ns->nh; k++) ns->sp[k] = ns->wh[k] / ((double)n * n);
    fftw_execute_dft_c2r(ns->c2r, ns->sp, ns->q);
    for (int i = 0; i < m; i++)
      for (int j = 0; j < m; j++) {
        double w = ns->q[(size_t)i * stride * n + (size_t)j * stride];
        PetscCheck(isfinite(w), PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED,
                   "Navier-Stokes: vorticity not finite at t = %g (grid %d, dt %g): reduce -ns_dt", (r + 1) * steps_per_rec * ns->dt, n,
                   ns->dt);
        out[((size_t)r * m + i) * m + j] = w;
      }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNavierStokesAdvection(NeopNavierStokes ns, const double *w, double *F)
{
  const int n = ns->n;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(ns->q, w, (size_t)n * n));
  fftw_execute_dft_r2c(ns->r2c, ns->q, ns->wh);
  advection(ns, ns->wh, ns->Fh);
  for (size_t k = 0; k < (size_t)n * ns->nh; k++) ns->sp[k] = ns->Fh[k] / ((double)n * n);
  fftw_execute_dft_c2r(ns->c2r, ns->sp, ns->q);
  PetscCall(PetscArraycpy(F, ns->q, (size_t)n * n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNavierStokesDestroy(NeopNavierStokes *nsp)
{
  NeopNavierStokes ns = *nsp;

  PetscFunctionBegin;
  if (!ns) PetscFunctionReturn(PETSC_SUCCESS);
  fftw_destroy_plan(ns->r2c);
  fftw_destroy_plan(ns->c2r);
  fftw_complex *spec[] = {ns->wh, ns->ws, ns->fh, ns->Fh, ns->Fo, ns->sp};
  for (size_t i = 0; i < sizeof(spec) / sizeof(spec[0]); i++) fftw_free(spec[i]);
  double *real[] = {ns->q, ns->v, ns->wx, ns->wy};
  for (size_t i = 0; i < sizeof(real) / sizeof(real[0]); i++) fftw_free(real[i]);
  PetscCall(PetscFree4(ns->k2, ns->kx, ns->ky, ns->mask));
  PetscCall(PetscFree(*nsp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- the "navier_stokes" generator: a = w0 (1, m, m), u = w(t_i) (T, 1, m, m), t_i = i * record ---- */

typedef struct {
  PetscReal        nu, dt, T, record, alpha, tau, sigma, forcing;
  PetscInt         n, m;
  NeopNSScheme     scheme;
  int              nrec, steps_per_rec;
  NeopGRFPeriodic  grf;
  NeopNavierStokes solver;
  double          *w0, *w; /* (n, n), (nrec, m, m) */
} GenNS;

/* The final times of the FNO datasets: ns_V1e-3_N5000_T50, ns_V1e-4_N10000_T30,
   NavierStokes_V1e-5_N1200_T20; 50 for any other viscosity. */
static double fno_final_time(double nu)
{
  if (fabs(nu - 1e-4) < 1e-12) return 30;
  if (fabs(nu - 1e-5) < 1e-12) return 20;
  return 50;
}

/* Integer number of steps in 'span', refusing a dt that does not divide it. */
static PetscErrorCode steps_in(MPI_Comm comm, double span, double dt, const char *what, int *steps)
{
  double s = span / dt;

  PetscFunctionBegin;
  PetscCheck(s >= 0.5 && s < 2e9 && fabs(s - round(s)) < 1e-6 * s, comm, PETSC_ERR_ARG_INCOMP,
             "-ns_dt %g does not divide %s %g into whole steps", dt, what, span);
  *steps = (int)round(s);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode gen_setfromoptions(NeopGenerator g, PetscOptionItems *PetscOptionsObject)
{
  GenNS *d = (GenNS *)g->data;

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Navier-Stokes generator (-pde navier_stokes), FNO vorticity data by default");
  PetscCall(PetscOptionsReal("-ns_nu", "viscosity (FNO datasets: 1e-3, 1e-4, 1e-5)", NULL, d->nu, &d->nu, NULL));
  d->T = fno_final_time(d->nu);
  PetscCall(PetscOptionsReal("-ns_T", "final time (default: the FNO dataset's for -ns_nu: 50, 30 for 1e-4, 20 for 1e-5)", NULL, d->T, &d->T, NULL));
  PetscCall(PetscOptionsReal("-ns_record", "time between stored snapshots", NULL, d->record, &d->record, NULL));
  PetscCall(PetscOptionsReal("-ns_dt", "time step", NULL, d->dt, &d->dt, NULL));
  PetscCall(PetscOptionsEnum("-ns_scheme", "advection time stepping (diffusion: Crank-Nicolson)", "NeopNSScheme", NeopNSSchemes, (PetscEnum)d->scheme,
                             (PetscEnum *)&d->scheme, NULL));
  PetscCall(PetscOptionsInt("-ns_grid", "solve grid n x n", NULL, d->n, &d->n, NULL));
  PetscCall(PetscOptionsInt("-ns_store_grid", "stored grid (every n/m-th point of the solve grid)", NULL, d->m, &d->m, NULL));
  PetscCall(PetscOptionsReal("-ns_forcing", "forcing amplitude A: f = A (sin 2pi(x+y) + cos 2pi(x+y))", NULL, d->forcing, &d->forcing, NULL));
  PetscCall(PetscOptionsReal("-ns_grf_alpha", "w0 ~ N(0, sigma^2 (-Delta + tau^2)^-alpha): alpha", NULL, d->alpha, &d->alpha, NULL));
  PetscCall(PetscOptionsReal("-ns_grf_tau", "w0 covariance: tau", NULL, d->tau, &d->tau, NULL));
  d->sigma = NeopGRFPeriodicSigmaDefault(2, d->alpha, d->tau);
  PetscCall(PetscOptionsReal("-ns_grf_sigma", "w0 covariance: sigma (default tau^(alpha - 1), as random_fields.py)", NULL, d->sigma, &d->sigma, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(d->nu >= 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-ns_nu %g: must be >= 0", (double)d->nu);
  PetscCheck(d->dt > 0 && d->T > 0 && d->record > 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-ns_dt %g, -ns_T %g, -ns_record %g: must be positive",
             (double)d->dt, (double)d->T, (double)d->record);
  PetscCheck(d->n >= 4 && d->n % 2 == 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-ns_grid %d: must be even and >= 4", (int)d->n);
  PetscCheck(d->m >= 1 && d->m <= d->n && d->n % d->m == 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-ns_store_grid %d: must divide -ns_grid %d",
             (int)d->m, (int)d->n);
  PetscCheck(d->alpha > 0 && d->tau > 0 && d->sigma > 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-ns_grf_alpha %g, -ns_grf_tau %g, -ns_grf_sigma %g: must be positive", (double)d->alpha, (double)d->tau, (double)d->sigma);
  PetscCall(steps_in(g->comm, d->T, d->record, "-ns_T by -ns_record", &d->nrec));
  PetscCall(steps_in(g->comm, d->record, d->dt, "-ns_record", &d->steps_per_rec));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_nu", "%.17g", (double)d->nu));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_T", "%.17g", (double)d->T));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_record", "%.17g", (double)d->record));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_dt", "%.17g", (double)d->dt));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_scheme", "%s", NeopNSSchemes[d->scheme]));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_grid", "%d", (int)d->n));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_store_grid", "%d", (int)d->m));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_forcing", "%.17g", (double)d->forcing));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_grf_alpha", "%.17g", (double)d->alpha));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_grf_tau", "%.17g", (double)d->tau));
  PetscCall(NeopGeneratorRecordOption(g, "-ns_grf_sigma", "%.17g", (double)d->sigma));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode gen_setup(NeopGenerator g)
{
  GenNS      *d = (GenNS *)g->data;
  PetscMPIInt size;
  const int   n = (int)d->n, m = (int)d->m;
  double     *f;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_size(g->solve_comm, &size));
  PetscCheck(size == 1, g->comm, PETSC_ERR_SUP, "Navier-Stokes: a sample is solved on one rank (solve communicator of %d ranks)", size);
  g->dim     = 2;
  g->grid[0] = g->grid[1] = m;
  g->ca = g->cu = 1;
  g->nt         = d->nrec;
  PetscCall(PetscMalloc1(d->nrec, &g->t));
  for (int i = 0; i < d->nrec; i++) g->t[i] = (i + 1) * d->record;
  for (int k = 0; k < 2; k++) {
    PetscCall(PetscMalloc1(m, &g->coords[k]));
    for (int j = 0; j < m; j++) g->coords[k][j] = (double)j / m;
  }
  PetscCall(PetscMalloc1((size_t)n * n, &f));
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double s          = 2 * M_PI * (double)(i + j) / n;
      f[(size_t)i * n + j] = d->forcing * (sin(s) + cos(s));
    }
  PetscCall(NeopNavierStokesCreate(n, d->nu, d->dt, d->scheme, f, &d->solver));
  PetscCall(PetscFree(f));
  PetscCall(NeopGRFPeriodicCreate(2, n, d->alpha, d->tau, d->sigma, &d->grf));
  PetscCall(PetscMalloc2((size_t)n * n, &d->w0, (size_t)d->nrec * m * m, &d->w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode gen_sample(NeopGenerator g, int64_t index, float *a, float *u)
{
  GenNS    *d = (GenNS *)g->data;
  const int n = (int)d->n, m = (int)d->m, stride = n / m;
  NeopRng   r;

  PetscFunctionBegin;
  NeopRngInit(&r, g->seed, NEOP_RNG_DATA, (uint64_t)index);
  PetscCall(NeopGRFPeriodicSample(d->grf, &r, d->w0));
  PetscCall(NeopNavierStokesSolve(d->solver, d->w0, d->nrec, d->steps_per_rec, stride, d->w));
  for (int i = 0; i < m; i++)
    for (int j = 0; j < m; j++) a[(size_t)i * m + j] = (float)d->w0[(size_t)i * stride * n + (size_t)j * stride];
  for (size_t k = 0; k < (size_t)d->nrec * m * m; k++) u[k] = (float)d->w[k];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode gen_destroy(NeopGenerator g)
{
  GenNS *d = (GenNS *)g->data;

  PetscFunctionBegin;
  PetscCall(NeopGRFPeriodicDestroy(&d->grf));
  PetscCall(NeopNavierStokesDestroy(&d->solver));
  PetscCall(PetscFree2(d->w0, d->w));
  for (int k = 0; k < 2; k++) PetscCall(PetscFree(g->coords[k]));
  PetscCall(PetscFree(g->t));
  PetscCall(PetscFree(g->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* FNO Navier-Stokes (Li et al. 2021, ns_2d.py): w0 ~ GRF alpha 2.5, tau 7, forcing
   0.1 (sin 2pi(x+y) + cos 2pi(x+y)), nu 1e-3, dt 1e-4, solved at 256^2, stored at
   64^2, one snapshot per unit time. */
PetscErrorCode NeopGeneratorCreate_NavierStokes(NeopGenerator g)
{
  GenNS *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  d->nu                 = 1e-3;
  d->dt                 = 1e-4;
  d->record             = 1.0;
  d->scheme             = NEOP_NS_AB2;
  d->n                  = 256;
  d->m                  = 64;
  d->forcing            = 0.1;
  d->alpha              = 2.5;
  d->tau                = 7.0;
  g->data               = d;
  g->ops.setfromoptions = gen_setfromoptions;
  g->ops.setup          = gen_setup;
  g->ops.sample         = gen_sample;
  g->ops.destroy        = gen_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
