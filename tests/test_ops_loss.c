/* Losses: relative Lp (p = 1, 2, 3; SUM and MEAN over a global batch) and
   MSE, values against double-precision loops written here, gradients of
   prediction and target against finite differences; a rank with no sample
   gives a 0 loss on the tape; bad arguments are refused. */
#include "testing.h"
#include <math.h>

typedef struct {
  int           mse;
  double        p;
  NeopReduction red;
  int           nglobal;
} LossCtx;

static PetscErrorCode loss_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  LossCtx *c = (LossCtx *)ctx;

  PetscFunctionBegin;
  if (c->mse) PetscCall(NeopOpLossMSE(t, in[0], in[1], c->red, c->nglobal, out));
  else PetscCall(NeopOpLossRelLp(t, in[0], in[1], c->p, c->red, c->nglobal, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the loss from its definition, in double */
static double naive_loss(const LossCtx *c, int N, int M, const float *y, const float *u)
{
  double s = 0;
  for (int n = 0; n < N; n++) {
    double d = 0, nu = 0;
    for (int m = 0; m < M; m++) {
      double e = (double)y[n * M + m] - u[n * M + m];
      if (c->mse) s += e * e;
      else {
        d += pow(fabs(e), c->p);
        nu += pow(fabs((double)u[n * M + m]), c->p);
      }
    }
    if (!c->mse) s += pow(d, 1 / c->p) / pow(nu, 1 / c->p);
  }
  if (c->red == NEOP_REDUCTION_MEAN) s /= c->mse ? (double)c->nglobal * M : c->nglobal;
  return s;
}

static PetscErrorCode refused(LossCtx c, NeopTensor *y, NeopTensor *u, PetscErrorCode *ierr)
{
  NeopTape   *t;
  NeopTensor *l, *in[2] = {y, u};

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = loss_fn(t, in, &c, &l);
  PetscCall(PetscPopErrorHandler());
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  /* pred and target (3, 2, 4, 5): 3 samples of 40 values */
  int   N = 3, M = 40, ndim[2] = {4, 4}, shape[2][NEOP_MAX_DIMS] = {{3, 2, 4, 5}, {3, 2, 4, 5}};
  float y[120], u[120], *d[2] = {y, u};

  PetscCall(NeopTestInitialize(&argc, &argv));
  NeopTestRandom(1, 120, -1, 1, u);
  NeopTestRandom(2, 120, -0.3f, 0.3f, y);
  for (int i = 0; i < 120; i++) y[i] += u[i]; /* a prediction near the target, as in training */
  const LossCtx cases[] = {
    {0, 2, NEOP_REDUCTION_SUM, 0}, {0, 2, NEOP_REDUCTION_MEAN, 3}, {0, 2, NEOP_REDUCTION_MEAN, 8},
    {0, 1, NEOP_REDUCTION_MEAN, 4}, {0, 3, NEOP_REDUCTION_SUM, 0},  {1, 2, NEOP_REDUCTION_SUM, 0},
    {1, 2, NEOP_REDUCTION_MEAN, 3}, {1, 2, NEOP_REDUCTION_MEAN, 5},
  };
  for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
    LossCtx     c = cases[k];
    NeopTape   *t;
    NeopTensor *ty, *tu, *l, *in[2];
    char        name[96];
    double      ref = naive_loss(&c, N, M, y, u);
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s%s %s over a global batch of %d", c.mse ? "MSE" : "relative L",
                            c.mse ? "" : (c.p == 1 ? "1" : c.p == 2 ? "2" : "3"), c.red == NEOP_REDUCTION_SUM ? "sum" : "mean",
                            c.red == NEOP_REDUCTION_SUM ? N : c.nglobal));
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, shape[0], &ty));
    PetscCall(NeopTapeTensor(t, 4, shape[1], &tu));
    PetscCall(PetscArraycpy(ty->data, y, 120));
    PetscCall(PetscArraycpy(tu->data, u, 120));
    in[0] = ty;
    in[1] = tu;
    PetscCall(loss_fn(t, in, &c, &l));
    NeopTestCheck(l->ndim == 0 && l->size == 1 && fabs(l->data[0] - ref) <= 1e-6 * fabs(ref),
                  "%s = %.8g (loops in double: %.8g)", name, (double)l->data[0], ref);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(NeopTestGradCheck(name, loss_fn, &c, 2, ndim, shape, d, 1e-3, 1e-2, 1e-4));
  }
  {
    /* a rank without samples: pred (0, 2, 4, 5) = Linear of an empty input, loss 0 on the tape,
       backward runs and leaves a zero weight gradient */
    NeopTape   *t;
    NeopTensor *x, *W, *pred, *target, *l;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, (int[]){0, 2, 4, 3}, &x));
    PetscCall(NeopTapeTensor(t, 2, (int[]){5, 3}, &W));
    PetscCall(NeopTapeTensor(t, 4, (int[]){0, 2, 4, 5}, &target));
    NeopTestRandom(3, 15, -1, 1, W->data);
    W->requires_grad = PETSC_TRUE;
    PetscCall(NeopOpLinear(t, x, W, NULL, &pred));
    for (int mse = 0; mse < 2; mse++) {
      PetscCall(mse ? NeopOpLossMSE(t, pred, target, NEOP_REDUCTION_MEAN, 4, &l)
                    : NeopOpLossRelLp(t, pred, target, 2, NEOP_REDUCTION_MEAN, 4, &l));
      NeopTestCheck(l->size == 1 && l->data[0] == 0 && l->requires_grad, "%s with no local sample: loss %g, on the tape: %d",
                    mse ? "MSE" : "relative L2", (double)l->data[0], (int)l->requires_grad);
      PetscCall(NeopTapeBackward(t, l));
      PetscBool zero = W->grad != NULL;
      for (int i = 0; zero && i < 15; i++) zero = W->grad[i] == 0;
      NeopTestCheck(zero, "%s with no local sample: backward gives a zero weight gradient", mse ? "MSE" : "relative L2");
    }
    PetscCall(NeopTapeDestroy(&t));
  }
  {
    NeopTape      *t;
    NeopTensor    *a, *b;
    PetscErrorCode ierr;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 2, (int[]){3, 4}, &a));
    PetscCall(NeopTapeTensor(t, 2, (int[]){3, 5}, &b));
    PetscCall(refused((LossCtx){0, 2, NEOP_REDUCTION_SUM, 0}, a, b, &ierr));
    NeopTestCheck(ierr == PETSC_ERR_ARG_SIZ, "relative L2 of (3, 4) against (3, 5) is refused");
    PetscCall(refused((LossCtx){1, 2, NEOP_REDUCTION_MEAN, 2}, a, a, &ierr));
    NeopTestCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, "MSE mean over a global batch of 2 with 3 local samples is refused");
    PetscCall(refused((LossCtx){0, 0.5, NEOP_REDUCTION_SUM, 0}, a, a, &ierr));
    NeopTestCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, "relative Lp with p = 0.5 is refused");
    PetscCall(NeopTapeDestroy(&t));
  }
  return NeopTestFinalize();
}
