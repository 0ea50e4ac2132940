/* Optimizers, schedules and clipping against torch.optim (tests/reference/optim.py). */
#include "optim_fixture.h"
#include <math.h>

static const char *cases[] = {"sgd",        "sgd_nesterov", "sgd_plain", "adam",        "adam_default",   "adamw",       "adamw_default",
                              "adam_clip",  "sgd_clip",     "sgd_step",  "adam_cosine", "adamw_onecycle", "sgd_onecycle"};

/* The norm reported is the one before clipping, and clipping leaves norm <= max. */
static PetscErrorCode check_clip(void)
{
  NeopParams   *p;
  NeopTensor   *w;
  NeopOptimizer opt;
  PetscOptions  db;
  int           shape[1] = {40};
  double        norm, want = 0, after = 0;

  PetscFunctionBegin;
  PetscCall(NeopParamsCreate(&p));
  PetscCall(NeopParamsAdd(p, "w", 1, shape, NeopInitConst(0), &w));
  PetscCall(NeopParamsFinalize(p, 0));
  NeopTestRandom(5, 40, -3, 3, w->grad);
  for (int i = 0; i < 40; i++) want += (double)w->grad[i] * w->grad[i];
  want = sqrt(want);
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, "-optim sgd -lr 1 -clip_norm 2"));
  PetscCall(PetscOptionsPush(db));
  PetscCall(NeopOptimizerCreate(PETSC_COMM_SELF, p, &opt));
  PetscCall(NeopOptimizerSetFromOptions(opt));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscCall(NeopOptimizerStep(opt));
  PetscCall(NeopOptimizerGetGradNorm(opt, &norm));
  NeopTestCheck(fabs(norm - want) <= 1e-6 * want, "gradient norm before clipping %.9g, expected %.9g", norm, want);
  /* sgd with lr 1 from 0: the parameters are minus the clipped gradient */
  for (int i = 0; i < 40; i++) after += (double)w->data[i] * w->data[i];
  after = sqrt(after);
  NeopTestCheck(fabs(after - 2 * want / (want + 1e-6)) <= 1e-5, "clipped norm %.9g, expected 2", after);
  PetscCall(NeopOptimizerDestroy(&opt));
  PetscCall(NeopParamsDestroy(&p));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* cosine without a horizon is refused with a message naming the call */
static PetscErrorCode check_no_horizon(void)
{
  NeopParams    *p;
  NeopOptimizer  opt;
  PetscOptions   db;
  PetscErrorCode ierr;
  int            shape[1] = {3};
  double         lr;
  char          *msg;

  PetscFunctionBegin;
  PetscCall(NeopParamsCreate(&p));
  PetscCall(NeopParamsAdd(p, "w", 1, shape, NeopInitConst(0), NULL));
  PetscCall(NeopParamsFinalize(p, 0));
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, "-lr_schedule cosine"));
  PetscCall(PetscOptionsPush(db));
  PetscCall(NeopOptimizerCreate(PETSC_COMM_SELF, p, &opt));
  PetscCall(NeopOptimizerSetFromOptions(opt));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = NeopOptimizerGetLR(opt, &lr);
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscErrorMessage(ierr, NULL, &msg));
  NeopTestCheck(ierr && strstr(msg, "NeopOptimizerSetHorizon"), "cosine without horizon refused: %s", ierr ? msg : "no error");
  PetscCall(NeopOptimizerDestroy(&opt));
  PetscCall(NeopParamsDestroy(&p));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    OptimCase c;
    float    *params, *lr;
    char      what[128];

    PetscCall(optim_case_load(cases[k], &c));
    PetscCall(PetscMalloc2(c.nsteps * c.n, &params, c.nsteps, &lr));
    PetscCall(optim_case_run(PETSC_COMM_SELF, &c, 1.f, params, lr));
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s (%s): lr at %d steps", cases[k], c.options, c.nsteps));
    NeopTestClose(what, c.nsteps, lr, c.lr, 1e-6, 0);
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s: parameters after each of %d steps", cases[k], c.nsteps));
    NeopTestClose(what, (int64_t)c.nsteps * c.n, params, c.params, 1e-5, 1e-6);
    PetscCall(PetscFree2(params, lr));
    PetscCall(optim_case_free(&c));
  }
  PetscCall(check_clip());
  PetscCall(check_no_horizon());
  return NeopTestFinalize();
}
