/* -pde poisson: -Laplacian u = f on [0,1]^2, u = 0 on the boundary, with the
   source f a cosine Gaussian random field. The Darcy discretisation with
   a = 1 (the operator is assembled once). Stored: a (1, S, S) = f at the
   nodes, u (1, S, S) the solution. */
#include "generator.h"
#include "darcy.h"
#include "grf.h"

typedef struct {
  double          alpha, tau;
  NeopGRF         grf;
  NeopDarcySolver solver;
  double         *f, *u; /* (S, S) each */
} Poisson;

static PetscErrorCode poisson_setfromoptions(NeopGenerator g, PetscOptionItems *PetscOptionsObject)
{
  Poisson *p = (Poisson *)g->data;

  PetscFunctionBegin;
  PetscCall(NeopGeneratorOptionsGRF(g, PetscOptionsObject, &p->alpha, &p->tau));
  PetscCall(NeopGeneratorOptionsSolveComm(g, PetscOptionsObject, "-poisson_solve_comm"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode poisson_setup(NeopGenerator g)
{
  Poisson  *p = (Poisson *)g->data;
  const int64_t n = (int64_t)g->npoints * g->npoints;
  KSP       ksp;

  PetscFunctionBegin;
  g->dim = 2;
  g->grid[0] = g->grid[1] = g->npoints;
  g->ca = g->cu = 1;
  PetscCall(NeopGeneratorSetUnitNodes(g));
  PetscCall(NeopGRFCreate(2, g->npoints, p->alpha, p->tau, &p->grf));
  PetscCall(NeopDarcySolverCreate(g->solve_comm, g->npoints, "poisson_", &p->solver));
  PetscCall(PetscMalloc2(n, &p->f, n, &p->u));
  for (int64_t i = 0; i < n; i++) p->f[i] = 1; /* a = 1, in the f buffer until the first sample */
  PetscCall(NeopDarcySolverSetCoefficient(p->solver, p->f));
  PetscCall(NeopDarcySolverGetKSP(p->solver, &ksp));
  PetscCall(NeopGeneratorRecordKSP(g, ksp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode poisson_sample(NeopGenerator g, int64_t index, float *a, float *u)
{
  Poisson      *p = (Poisson *)g->data;
  const int64_t n = (int64_t)g->npoints * g->npoints;

  PetscFunctionBegin;
  PetscCall(NeopGRFSample(p->grf, g->seed, (uint64_t)index, p->f));
  PetscCall(NeopDarcySolverSolve(p->solver, p->f, p->u));
  for (int64_t i = 0; i < n; i++) {
    a[i] = (float)p->f[i];
    u[i] = (float)p->u[i];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode poisson_destroy(NeopGenerator g)
{
  Poisson *p = (Poisson *)g->data;

  PetscFunctionBegin;
  PetscCall(NeopGRFDestroy(&p->grf));
  PetscCall(NeopDarcySolverDestroy(&p->solver));
  PetscCall(PetscFree2(p->f, p->u));
  PetscCall(PetscFree(g->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorCreate_Poisson(NeopGenerator g)
{
  Poisson *p;

  PetscFunctionBegin;
  PetscCall(PetscNew(&p));
  p->alpha              = 2;
  p->tau                = 3;
  g->data               = p;
  g->ops.setfromoptions = poisson_setfromoptions;
  g->ops.setup          = poisson_setup;
  g->ops.sample         = poisson_sample;
  g->ops.destroy        = poisson_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
