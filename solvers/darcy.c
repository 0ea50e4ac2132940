/* -pde darcy: -div(a grad u) = f on [0,1]^2, u = 0 on the boundary, f constant,
   a from a cosine Gaussian random field g (FNO's Darcy data):
     threshold (FNO "piececonst"): a = coef_high where g >= 0, coef_low where g < 0;
     lognormal (smooth Darcy):     a = exp(g).
   Stored: a (1, S, S) the coefficient at the nodes, u (1, S, S) the solution. */
#include "generator.h"
#include "darcy.h"
#include "grf.h"

typedef enum { DARCY_THRESHOLD, DARCY_LOGNORMAL } DarcyCoef;
static const char *const coef_kinds[] = {"threshold", "lognormal"};

typedef struct {
  DarcyCoef       kind;
  double          high, low;   /* threshold values */
  double          forcing;     /* f */
  double          alpha, tau;  /* GRF */
  NeopGRF         grf;
  NeopDarcySolver solver;
  double         *field, *a, *f, *u; /* (S, S) each */
} Darcy;

static PetscErrorCode darcy_setfromoptions(NeopGenerator g, PetscOptionItems *PetscOptionsObject)
{
  Darcy    *d    = (Darcy *)g->data;
  PetscInt  kind = d->kind;
  PetscReal high = d->high, low = d->low, forcing = d->forcing;

  PetscFunctionBegin;
  PetscCall(PetscOptionsEList("-darcy_coef", "coefficient from the random field", NULL, coef_kinds, 2, coef_kinds[kind], &kind, NULL));
  PetscCall(PetscOptionsReal("-darcy_coef_high", "threshold: a where the field is >= 0", NULL, high, &high, NULL));
  PetscCall(PetscOptionsReal("-darcy_coef_low", "threshold: a where the field is < 0", NULL, low, &low, NULL));
  PetscCall(PetscOptionsReal("-darcy_forcing", "constant source term f", NULL, forcing, &forcing, NULL));
  PetscCall(NeopGeneratorOptionsGRF(g, PetscOptionsObject, &d->alpha, &d->tau));
  PetscCall(NeopGeneratorOptionsSolveComm(g, PetscOptionsObject, "-darcy_solve_comm"));
  d->kind    = (DarcyCoef)kind;
  d->high    = high;
  d->low     = low;
  d->forcing = forcing;
  PetscCheck(d->kind != DARCY_THRESHOLD || (high > 0 && low > 0), g->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-darcy_coef_high %g and -darcy_coef_low %g must be positive (elliptic problem)", (double)high, (double)low);
  PetscCall(NeopGeneratorRecordOption(g, "-darcy_coef", "%s", coef_kinds[kind]));
  if (d->kind == DARCY_THRESHOLD) {
    PetscCall(NeopGeneratorRecordOption(g, "-darcy_coef_high", "%.17g", d->high));
    PetscCall(NeopGeneratorRecordOption(g, "-darcy_coef_low", "%.17g", d->low));
  }
  PetscCall(NeopGeneratorRecordOption(g, "-darcy_forcing", "%.17g", d->forcing));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode darcy_setup(NeopGenerator g)
{
  Darcy  *d = (Darcy *)g->data;
  int64_t n;
  KSP     ksp;

  PetscFunctionBegin;
  g->dim = 2;
  g->grid[0] = g->grid[1] = g->npoints;
  g->ca = g->cu = 1;
  n             = (int64_t)g->npoints * g->npoints;
  PetscCall(NeopGeneratorSetUnitNodes(g));
  PetscCall(NeopGRFCreate(2, g->npoints, d->alpha, d->tau, &d->grf));
  PetscCall(NeopDarcySolverCreate(g->solve_comm, g->npoints, "darcy_", &d->solver));
  PetscCall(NeopDarcySolverGetKSP(d->solver, &ksp));
  PetscCall(NeopGeneratorRecordKSP(g, ksp));
  PetscCall(PetscMalloc4(n, &d->field, n, &d->a, n, &d->f, n, &d->u));
  for (int64_t i = 0; i < n; i++) d->f[i] = d->forcing;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode darcy_sample(NeopGenerator g, int64_t index, float *a, float *u)
{
  Darcy        *d = (Darcy *)g->data;
  const int64_t n = (int64_t)g->npoints * g->npoints;

  PetscFunctionBegin;
  PetscCall(NeopGRFSample(d->grf, g->seed, (uint64_t)index, d->field));
  for (int64_t i = 0; i < n; i++)
    d->a[i] = d->kind == DARCY_LOGNORMAL ? exp(d->field[i]) : d->field[i] >= 0 ? d->high : d->low;
  PetscCall(NeopDarcySolverSetCoefficient(d->solver, d->a));
  PetscCall(NeopDarcySolverSolve(d->solver, d->f, d->u));
  for (int64_t i = 0; i < n; i++) {
    a[i] = (float)d->a[i];
    u[i] = (float)d->u[i];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode darcy_destroy(NeopGenerator g)
{
  Darcy *d = (Darcy *)g->data;

  PetscFunctionBegin;
  PetscCall(NeopGRFDestroy(&d->grf));
  PetscCall(NeopDarcySolverDestroy(&d->solver));
  PetscCall(PetscFree4(d->field, d->a, d->f, d->u));
  PetscCall(PetscFree(g->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorCreate_Darcy(NeopGenerator g)
{
  Darcy *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  d->kind               = DARCY_THRESHOLD;
  d->high               = 12;
  d->low                = 3;
  d->forcing            = 1;
  d->alpha              = 2;
  d->tau                = 3;
  g->data               = d;
  g->ops.setfromoptions = darcy_setfromoptions;
  g->ops.setup          = darcy_setup;
  g->ops.sample         = darcy_sample;
  g->ops.destroy        = darcy_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
