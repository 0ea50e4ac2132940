/* Linear, activations and losses against PyTorch (tests/reference/ops.py ->
   tests/fixtures/ops.h5): values and gradients agree to rtol 1e-5, with
   atol 1e-6 for entries near 0 (float32 rounding of O(1) quantities). */
#include "testing.h"

#define RTOL 1e-5
#define ATOL 1e-6

/* a tape tensor of the given shape holding fixture dataset 'name' */
static PetscErrorCode load(NeopTape *t, const char *name, int ndim, const int *shape, PetscBool grad, NeopTensor **x)
{
  float  *v;
  int64_t n;

  PetscFunctionBegin;
  PetscCall(NeopTapeTensor(t, ndim, shape, x));
  PetscCall(NeopTestReadFixture("ops.h5", name, &v, &n));
  PetscCheck(n == (*x)->size, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "ops.h5:%s has %lld values, expected %lld", name,
             (long long)n, (long long)(*x)->size);
  PetscCall(PetscArraycpy((*x)->data, v, n));
  PetscCall(PetscFree(v));
  (*x)->requires_grad = grad;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* compares n values with fixture dataset 'name' */
static PetscErrorCode compare(const char *name, int64_t n, const float *v)
{
  float  *ref;
  int64_t nref;

  PetscFunctionBegin;
  PetscCall(NeopTestReadFixture("ops.h5", name, &ref, &nref));
  NeopTestCheck(v && nref == n, "%s: %lld values computed, %lld in the fixture", name, (long long)n, (long long)nref);
  if (v && nref == n) NeopTestClose(name, n, v, ref, RTOL, ATOL);
  PetscCall(PetscFree(ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* backward of sum(y * g) */
static PetscErrorCode backward_weighted(NeopTape *t, NeopTensor *y, NeopTensor *g)
{
  NeopTensor *yg, *s;

  PetscFunctionBegin;
  PetscCall(NeopOpMul(t, y, g, &yg));
  PetscCall(NeopOpSum(t, yg, &s));
  PetscCall(NeopTapeBackward(t, s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  char name[128];

  PetscCall(NeopTestInitialize(&argc, &argv));
  for (int bias = 1; bias >= 0; bias--) {
    const char *grp = bias ? "linear" : "linear_nobias";
    NeopTape   *t;
    NeopTensor *x, *W, *b = NULL, *g, *y;
    PetscCall(NeopTapeCreate(&t));
#define DS(s) (PetscSNPrintf(name, sizeof(name), "%s/%s", grp, s), name)
    PetscCall(load(t, DS("x"), 3, (int[]){2, 3, 5}, PETSC_TRUE, &x));
    PetscCall(load(t, DS("W"), 2, (int[]){4, 5}, PETSC_TRUE, &W));
    if (bias) PetscCall(load(t, DS("b"), 1, (int[]){4}, PETSC_TRUE, &b));
    PetscCall(load(t, DS("g"), 3, (int[]){2, 3, 4}, PETSC_FALSE, &g));
    PetscCall(NeopOpLinear(t, x, W, b, &y));
    PetscCall(compare(DS("y"), y->size, y->data));
    PetscCall(backward_weighted(t, y, g));
    PetscCall(compare(DS("dx"), x->size, x->grad));
    PetscCall(compare(DS("dW"), W->size, W->grad));
    if (bias) PetscCall(compare(DS("db"), b->size, b->grad));
#undef DS
    PetscCall(NeopTapeDestroy(&t));
  }
  for (int k = 0; k < NEOP_UNARY_COUNT; k++) {
    const char *act = NeopUnaryKindName((NeopUnaryKind)k);
    NeopTape   *t;
    NeopTensor *x, *g, *y;
    if (k == NEOP_UNARY_IDENTITY) continue;
    PetscCall(NeopTapeCreate(&t));
#define DS(s) (PetscSNPrintf(name, sizeof(name), "act/%s/%s", act, s), name)
    PetscCall(load(t, DS("x"), 2, (int[]){4, 64}, PETSC_TRUE, &x));
    PetscCall(load(t, DS("g"), 2, (int[]){4, 64}, PETSC_FALSE, &g));
    PetscCall(NeopOpUnary(t, (NeopUnaryKind)k, x, &y));
    PetscCall(compare(DS("y"), y->size, y->data));
    PetscCall(backward_weighted(t, y, g));
    PetscCall(compare(DS("dx"), x->size, x->grad));
#undef DS
    PetscCall(NeopTapeDestroy(&t));
  }
  {
    const char *losses[4] = {"rel_l2_sum", "rel_l2_mean", "mse_sum", "mse_mean"};
    for (int k = 0; k < 4; k++) {
      NeopTape     *t;
      NeopTensor   *y, *u, *l;
      NeopReduction red = k % 2 ? NEOP_REDUCTION_MEAN : NEOP_REDUCTION_SUM;
      PetscCall(NeopTapeCreate(&t));
      PetscCall(load(t, "loss/pred", 3, (int[]){4, 2, 16}, PETSC_TRUE, &y));
      PetscCall(load(t, "loss/target", 3, (int[]){4, 2, 16}, PETSC_TRUE, &u));
      /* the whole batch on one rank: nglobal = 4 */
      if (k < 2) PetscCall(NeopOpLossRelLp(t, y, u, 2, red, 4, &l));
      else PetscCall(NeopOpLossMSE(t, y, u, red, 4, &l));
#define DS(s) (PetscSNPrintf(name, sizeof(name), "loss/%s/%s", losses[k], s), name)
      PetscCall(compare(DS("value"), 1, l->data));
      PetscCall(NeopTapeBackward(t, l));
      PetscCall(compare(DS("dpred"), y->size, y->grad));
      PetscCall(compare(DS("dtarget"), u->size, u->grad));
#undef DS
      PetscCall(NeopTapeDestroy(&t));
    }
  }
  return NeopTestFinalize();
}
