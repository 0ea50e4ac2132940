/* add / sub / mul with broadcasting, scale and bias add: values against
   index-by-index loops written here, gradients against finite differences,
   and refusal of shapes that do not broadcast. */
#include "testing.h"
#include <omp.h>

typedef struct {
  NeopBinaryKind kind;
} BinCtx;

static PetscErrorCode binary_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  NeopBinaryKind kind = ((BinCtx *)ctx)->kind;

  PetscFunctionBegin;
  if (kind == NEOP_BINARY_ADD) PetscCall(NeopOpAdd(t, in[0], in[1], out));
  else if (kind == NEOP_BINARY_SUB) PetscCall(NeopOpSub(t, in[0], in[1], out));
  else PetscCall(NeopOpMul(t, in[0], in[1], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* offset in x (aligned at the last dim) of output index idx of an ndim-dim result */
static int64_t naive_offset(int ndim, const int *idx, int xnd, const int *xs)
{
  int64_t off = 0;
  for (int d = 0; d < xnd; d++) {
    int i = idx[d + ndim - xnd];
    off   = off * xs[d] + (xs[d] == 1 ? 0 : i);
  }
  return off;
}

/* one broadcasting case: forward values against loops, then (for small cases)
   gradients for all three kinds */
static PetscErrorCode check_case(const char *name, int nda, const int *sa, int ndb, const int *sb, int ndy,
                                 const int *sy)
{
  int         ndim[2] = {nda, ndb}, shape[2][NEOP_MAX_DIMS] = {{0}};
  int64_t     na = 1, nb = 1;
  float      *a, *b, *d[2];
  NeopTape   *t;
  NeopTensor *ta, *tb, *y;
  char        what[128];

  PetscFunctionBegin;
  for (int k = 0; k < nda; k++) na *= (shape[0][k] = sa[k]);
  for (int k = 0; k < ndb; k++) nb *= (shape[1][k] = sb[k]);
  PetscCall(PetscMalloc2(na, &a, nb, &b));
  NeopTestRandom(11, na, -1, 1, a);
  NeopTestRandom(12, nb, -1, 1, b);
  d[0] = a;
  d[1] = b;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, nda, sa, &ta));
  PetscCall(NeopTapeTensor(t, ndb, sb, &tb));
  PetscCall(PetscArraycpy(ta->data, a, na));
  PetscCall(PetscArraycpy(tb->data, b, nb));
  for (int kind = 0; kind < 3; kind++) {
    BinCtx  ctx = {(NeopBinaryKind)kind};
    float  *ref;
    PetscBool shape_ok;
    PetscCall(binary_fn(t, (NeopTensor *[]){ta, tb}, &ctx, &y));
    shape_ok = y->ndim == ndy;
    for (int k = 0; shape_ok && k < ndy; k++) shape_ok = y->shape[k] == sy[k];
    NeopTestCheck(shape_ok, "%s: result shape", name);
    PetscCall(PetscMalloc1(y->size, &ref));
    for (int64_t i = 0; i < y->size; i++) {
      int     idx[NEOP_MAX_DIMS];
      int64_t r = i;
      for (int k = ndy - 1; k >= 0; k--) {
        idx[k] = (int)(r % sy[k]);
        r /= sy[k];
      }
      float av = a[naive_offset(ndy, idx, nda, sa)], bv = b[naive_offset(ndy, idx, ndb, sb)];
      ref[i]   = kind == 0 ? av + bv : kind == 1 ? av - bv : av * bv;
    }
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s %s values", name, kind == 0 ? "add" : kind == 1 ? "sub" : "mul"));
    NeopTestClose(what, y->size, y->data, ref, 1e-6, 1e-7);
    PetscCall(PetscFree(ref));
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s %s", name, kind == 0 ? "add" : kind == 1 ? "sub" : "mul"));
    if (y->size <= 4096) PetscCall(NeopTestGradCheck(what, binary_fn, &ctx, 2, ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(PetscFree2(a, b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode scale_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpScale(t, in[0], -2.5, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode bias_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpBiasAdd(t, in[0], in[1], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* an op that must fail: returns the error code with PETSc's handler silenced */
static PetscErrorCode refused(NeopTape *t, NeopTensor *a, NeopTensor *b, PetscBool *was_refused)
{
  NeopTensor    *y;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = NeopOpMul(t, a, b, &y);
  PetscCall(PetscPopErrorHandler());
  *was_refused = ierr == PETSC_ERR_ARG_SIZ;
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  /* same shape; b (C, S) and (1, C, 1, 1) and (1) against fields; (C,) against the last dim;
     both operands broadcast; b larger than a */
  PetscCall(check_case("same shape", 2, (int[]){3, 4}, 2, (int[]){3, 4}, 2, (int[]){3, 4}));
  PetscCall(check_case("(2,3,5) with (3,5)", 3, (int[]){2, 3, 5}, 2, (int[]){3, 5}, 3, (int[]){2, 3, 5}));
  PetscCall(check_case("(2,3,4,5) with (1,3,1,1)", 4, (int[]){2, 3, 4, 5}, 4, (int[]){1, 3, 1, 1}, 4, (int[]){2, 3, 4, 5}));
  PetscCall(check_case("(2,3,4) with (1)", 3, (int[]){2, 3, 4}, 1, (int[]){1}, 3, (int[]){2, 3, 4}));
  PetscCall(check_case("(4,3) with (3)", 2, (int[]){4, 3}, 1, (int[]){3}, 2, (int[]){4, 3}));
  PetscCall(check_case("(2,1,3,1,2) with (3,2,2)", 5, (int[]){2, 1, 3, 1, 2}, 3, (int[]){3, 2, 2}, 5,
                       (int[]){2, 1, 3, 2, 2}));
  PetscCall(check_case("(2,1,5) with (1,3,5)", 3, (int[]){2, 1, 5}, 3, (int[]){1, 3, 5}, 3, (int[]){2, 3, 5}));
  PetscCall(check_case("(3,1) with (2,3,4)", 2, (int[]){3, 1}, 3, (int[]){2, 3, 4}, 3, (int[]){2, 3, 4}));
  {
    NeopTape   *t;
    NeopTensor *a, *b;
    PetscBool   r;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 3, (int[]){2, 3, 4}, &a));
    PetscCall(NeopTapeTensor(t, 1, (int[]){3}, &b));
    PetscCall(refused(t, a, b, &r));
    NeopTestCheck(r, "(2,3,4) * (3) is refused: (3) aligns with the last dim (4)");
    PetscCall(NeopTapeTensor(t, 2, (int[]){2, 3}, &b));
    PetscCall(refused(t, a, b, &r));
    NeopTestCheck(r, "(2,3,4) * (2,3) is refused");
    PetscCall(NeopTapeDestroy(&t));
  }
  {
    int   ndim = 3, shape[1][NEOP_MAX_DIMS] = {{2, 3, 4}};
    float x[24], *d[1] = {x};
    NeopTestRandom(20, 24, -1, 1, x);
    PetscCall(NeopTestGradCheck("scale", scale_fn, NULL, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    /* x (2, 3, 4, 5) + b (3) */
    int         ndim[2] = {4, 1}, shape[2][NEOP_MAX_DIMS] = {{2, 3, 4, 5}, {3}};
    float       x[120], b[3], ref[120], *d[2] = {x, b};
    NeopTape   *t;
    NeopTensor *tx, *tb, *y;
    NeopTestRandom(21, 120, -1, 1, x);
    NeopTestRandom(22, 3, -1, 1, b);
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, shape[0], &tx));
    PetscCall(NeopTapeTensor(t, 1, shape[1], &tb));
    PetscCall(PetscArraycpy(tx->data, x, 120));
    PetscCall(PetscArraycpy(tb->data, b, 3));
    PetscCall(NeopOpBiasAdd(t, tx, tb, &y));
    for (int i = 0; i < 120; i++) ref[i] = x[i] + b[i / 20 % 3];
    NeopTestClose("bias add values", 120, y->data, ref, 1e-6, 1e-7);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(NeopTestGradCheck("bias add", bias_fn, NULL, 2, ndim, shape, d, 1e-2, 1e-2, 1e-3));
    ndim[0] = 2; /* (N, C) without spatial dims */
    PetscCall(NeopTestGradCheck("bias add on (N, C)", bias_fn, NULL, 2, ndim, (const int(*)[NEOP_MAX_DIMS])(int[2][NEOP_MAX_DIMS]){{4, 3}, {3}}, d, 1e-2, 1e-2, 1e-3));
  }
  /* large cases on 2 threads: the multithreaded forward paths (the reductions of
     backward are checked on 2 threads in test_ops_reduce) */
  omp_set_num_threads(2);
  PetscCall(check_case("2 threads: (4,8,3000) with (1,8,1)", 3, (int[]){4, 8, 3000}, 3, (int[]){1, 8, 1}, 3, (int[]){4, 8, 3000}));
  PetscCall(check_case("2 threads: (4,8,3000) with (8,3000)", 3, (int[]){4, 8, 3000}, 2, (int[]){8, 3000}, 3, (int[]){4, 8, 3000}));
  return NeopTestFinalize();
}
