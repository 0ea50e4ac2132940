/* Replays a case of tests/fixtures/optim.h5 (written by tests/reference/optim.py
   with torch.optim) through NeopOptimizer: the same starting vector, the same
   gradients, the options of the case. Shared by test_optim.c (1 rank) and
   test_mpi_optim.c (the gradient split over the ranks). */
#pragma once
#include "testing.h"
#include <neop/optim.h>
#include <hdf5.h>

typedef struct {
  char    options[512];
  int     epochs, steps_per_epoch, nsteps, n;
  float  *p0;     /* (n) */
  float  *grads;  /* (nsteps, n) */
  float  *params; /* (nsteps, n) torch's parameters after each step */
  float  *lr;     /* (nsteps) torch's lr at each step */
} OptimCase;

static PetscErrorCode optim_case_attr_int(hid_t g, const char *name, int *v)
{
  hid_t a;
  long long x;

  PetscFunctionBegin;
  a = H5Aopen(g, name, H5P_DEFAULT);
  PetscCheck(a >= 0 && H5Aread(a, H5T_NATIVE_LLONG, &x) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture optim.h5: no attribute %s", name);
  H5Aclose(a);
  *v = (int)x;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode optim_case_load(const char *name, OptimCase *c)
{
  const char *dir = getenv("NEOP_FIXTURES");
  char        path[PETSC_MAX_PATH_LEN], ds[128];
  hid_t       f, g, a, t;
  int64_t     n;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/optim.h5", dir ? dir : "tests/fixtures"));
  f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open fixture %s", path);
  g = H5Gopen2(f, name, H5P_DEFAULT);
  PetscCheck(g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s has no case %s", path, name);
  /* a fixed-length string (np.bytes_ in the script) */
  a = H5Aopen(g, "options", H5P_DEFAULT);
  PetscCheck(a >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s: %s has no options", path, name);
  t = H5Aget_type(a);
  PetscCheck(H5Tget_size(t) < sizeof(c->options), PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s: options too long", path);
  PetscCall(PetscMemzero(c->options, sizeof(c->options)));
  PetscCheck(H5Aread(a, t, c->options) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s: cannot read %s options", path, name);
  H5Tclose(t);
  H5Aclose(a);
  PetscCall(optim_case_attr_int(g, "epochs", &c->epochs));
  PetscCall(optim_case_attr_int(g, "steps_per_epoch", &c->steps_per_epoch));
  H5Gclose(g);
  H5Fclose(f);
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "%s/p0", name));
  PetscCall(NeopTestReadFixture("optim.h5", ds, &c->p0, &n));
  c->n = (int)n;
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "%s/grads", name));
  PetscCall(NeopTestReadFixture("optim.h5", ds, &c->grads, &n));
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "%s/params", name));
  PetscCall(NeopTestReadFixture("optim.h5", ds, &c->params, &n));
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "%s/lr", name));
  PetscCall(NeopTestReadFixture("optim.h5", ds, &c->lr, &n));
  c->nsteps = (int)n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode optim_case_free(OptimCase *c)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(c->p0));
  PetscCall(PetscFree(c->grads));
  PetscCall(PetscFree(c->params));
  PetscCall(PetscFree(c->lr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options of a case, through a private database so nothing leaks between cases. */
static PetscErrorCode optim_case_optimizer(MPI_Comm comm, const OptimCase *c, NeopParams *p, NeopOptimizer *opt)
{
  PetscOptions db;

  PetscFunctionBegin;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, c->options));
  PetscCall(PetscOptionsPush(db));
  PetscCall(NeopOptimizerCreate(comm, p, opt));
  PetscCall(NeopOptimizerSetFromOptions(*opt));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  if (c->epochs) PetscCall(NeopOptimizerSetHorizon(*opt, c->epochs, c->steps_per_epoch));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Runs the case with this rank's gradient = share * torch's; params (nsteps, n)
   and lr (nsteps) receive the values after / at each step. */
static PetscErrorCode optim_case_run(MPI_Comm comm, const OptimCase *c, float share, float *params, float *lr)
{
  NeopParams   *p;
  NeopTensor   *w;
  NeopOptimizer opt;
  int           shape[1] = {c->n};
  double        l;

  PetscFunctionBegin;
  PetscCall(NeopParamsCreate(&p));
  PetscCall(NeopParamsAdd(p, "w", 1, shape, NeopInitConst(0), &w));
  PetscCall(NeopParamsFinalize(p, 0));
  PetscCall(PetscArraycpy(w->data, c->p0, c->n));
  PetscCall(optim_case_optimizer(comm, c, p, &opt));
  for (int s = 0; s < c->nsteps; s++) {
    PetscCall(NeopParamsZeroGrad(p));
    for (int i = 0; i < c->n; i++) w->grad[i] = share * c->grads[s * c->n + i];
    PetscCall(NeopOptimizerGetLR(opt, &l));
    lr[s] = (float)l;
    PetscCall(NeopOptimizerStep(opt));
    if ((s + 1) % c->steps_per_epoch == 0) PetscCall(NeopOptimizerEpochEnd(opt));
    PetscCall(PetscArraycpy(params + s * c->n, w->data, c->n));
  }
  PetscCall(NeopOptimizerDestroy(&opt));
  PetscCall(NeopParamsDestroy(&p));
  PetscFunctionReturn(PETSC_SUCCESS);
}
