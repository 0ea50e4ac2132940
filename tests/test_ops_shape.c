/* reshape, permute, slice, concat, pad and crop: values against index loops
   written here, gradients against finite differences. */
#include "testing.h"
#include <math.h>

typedef struct {
  int which; /* 0 reshape, 1 permute, 2 slice, 3 concat, 4 pad, 5 crop, 6 pad then crop */
  int ndim, a[NEOP_MAX_DIMS];
  int dim, start, stop, step, n;
} ShapeCtx;

static PetscErrorCode shape_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  ShapeCtx   *c = (ShapeCtx *)ctx;
  NeopTensor *tmp, *w;

  PetscFunctionBegin;
  switch (c->which) {
  case 0:
    /* the view is followed by an op that reads it, and x is used a second time:
       both gradient paths must add up */
    PetscCall(NeopOpReshape(t, in[0], c->ndim, c->a, &tmp));
    PetscCall(NeopOpMul(t, tmp, tmp, &w));
    PetscCall(NeopOpReshape(t, w, in[0]->ndim, in[0]->shape, &tmp));
    PetscCall(NeopOpAdd(t, tmp, in[0], out));
    break;
  case 1: PetscCall(NeopOpPermute(t, in[0], c->a, out)); break;
  case 2: PetscCall(NeopOpSlice(t, in[0], c->dim, c->start, c->stop, c->step, out)); break;
  case 3: PetscCall(NeopOpConcat(t, c->n, in, c->dim, out)); break;
  case 4: PetscCall(NeopOpPad(t, in[0], c->ndim, c->a, out)); break;
  case 5: PetscCall(NeopOpCrop(t, in[0], c->ndim, c->a, out)); break;
  default:
    PetscCall(NeopOpPad(t, in[0], c->ndim, c->a, &tmp));
    PetscCall(NeopOpUnary(t, NEOP_UNARY_TANH, tmp, &w));
    PetscCall(NeopOpCrop(t, w, c->ndim, c->a, out));
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* multi-index of flat index i in shape */
static void unravel(int64_t i, int ndim, const int *shape, int *idx)
{
  for (int d = ndim - 1; d >= 0; d--) {
    idx[d] = (int)(i % shape[d]);
    i /= shape[d];
  }
}

static int64_t ravel(int ndim, const int *shape, const int *idx)
{
  int64_t off = 0;
  for (int d = 0; d < ndim; d++) off = off * shape[d] + idx[d];
  return off;
}

/* runs the op once on x (and y2, y3 for concat) and compares with ref */
static PetscErrorCode run_values(const char *name, ShapeCtx *c, int nin, const int *ndim, const int (*shape)[NEOP_MAX_DIMS],
                                 float **data, int64_t nref, const float *ref)
{
  NeopTape   *t;
  NeopTensor *in[3], *y;
  char        what[128];

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  for (int k = 0; k < nin; k++) {
    PetscCall(NeopTapeTensor(t, ndim[k], shape[k], &in[k]));
    PetscCall(PetscArraycpy(in[k]->data, data[k], in[k]->size));
  }
  PetscCall(shape_fn(t, in, c, &y));
  NeopTestCheck(y->size == nref, "%s: %lld values (expected %lld)", name, (long long)y->size, (long long)nref);
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s values", name));
  if (y->size == nref) NeopTestClose(what, nref, y->data, ref, 1e-6, 1e-7);
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(NeopTestGradCheck(name, shape_fn, c, nin, ndim, shape, data, 1e-2, 1e-2, 1e-3));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  float x[720], x2[720], x3[720], ref[2000];
  PetscCall(NeopTestInitialize(&argc, &argv));
  NeopTestRandom(1, 720, -1, 1, x);
  NeopTestRandom(2, 720, -1, 1, x2);
  NeopTestRandom(3, 720, -1, 1, x3);
  {
    /* (2, 3, 4) viewed as (6, -1): values x + x^2 */
    ShapeCtx c = {.which = 0, .ndim = 2, .a = {6, -1}};
    int      nd[1] = {3}, sh[1][NEOP_MAX_DIMS] = {{2, 3, 4}};
    float   *d[1] = {x};
    for (int i = 0; i < 24; i++) ref[i] = x[i] * x[i] + x[i];
    PetscCall(run_values("reshape", &c, 1, nd, sh, d, 24, ref));
  }
  {
    /* permutations of (2, 3, 4, 5) and of a 5-d (2, 3, 2, 4, 3) */
    const int perms[4][NEOP_MAX_DIMS] = {{0, 2, 3, 1}, {0, 3, 1, 2}, {3, 2, 1, 0}, {0, 1, 2, 3}};
    for (int k = 0; k < 5; k++) {
      int      nd[1] = {k < 4 ? 4 : 5}, sh[1][NEOP_MAX_DIMS] = {{2, 3, 4, 5}}, ysh[NEOP_MAX_DIMS];
      ShapeCtx c = {.which = 1};
      float   *d[1] = {x};
      char     name[64];
      int64_t  n = 120;
      if (k == 4) {
        int p5[5] = {4, 0, 3, 1, 2}, s5[5] = {2, 3, 2, 4, 3};
        for (int i = 0; i < 5; i++) c.a[i] = p5[i], sh[0][i] = s5[i];
        n = 144;
      } else
        for (int i = 0; i < 4; i++) c.a[i] = perms[k][i];
      for (int i = 0; i < nd[0]; i++) ysh[i] = sh[0][c.a[i]];
      for (int64_t j = 0; j < n; j++) {
        int yi[NEOP_MAX_DIMS], xi[NEOP_MAX_DIMS];
        unravel(j, nd[0], ysh, yi);
        for (int i = 0; i < nd[0]; i++) xi[c.a[i]] = yi[i];
        ref[j] = x[ravel(nd[0], sh[0], xi)];
      }
      PetscCall(PetscSNPrintf(name, sizeof(name), "permute %d", k));
      PetscCall(run_values(name, &c, 1, nd, sh, d, n, ref));
    }
  }
  {
    /* slices of (3, 7, 4) along each dim, with steps and negative bounds */
    const int cases[4][4] = {{0, 1, 3, 1}, {1, 1, 7, 2}, {1, -5, -1, 3}, {2, 0, 4, 4}};
    for (int k = 0; k < 4; k++) {
      ShapeCtx c = {.which = 2, .dim = cases[k][0], .start = cases[k][1], .stop = cases[k][2], .step = cases[k][3]};
      int      nd[1] = {3}, sh[1][NEOP_MAX_DIMS] = {{3, 7, 4}}, ysh[3] = {3, 7, 4};
      int      start = c.start < 0 ? c.start + sh[0][c.dim] : c.start, stop = c.stop < 0 ? c.stop + sh[0][c.dim] : c.stop;
      float   *d[1] = {x};
      char     name[64];
      int64_t  n;
      ysh[c.dim] = (stop - start + c.step - 1) / c.step;
      n          = (int64_t)ysh[0] * ysh[1] * ysh[2];
      for (int64_t j = 0; j < n; j++) {
        int idx[3];
        unravel(j, 3, ysh, idx);
        idx[c.dim] = start + idx[c.dim] * c.step;
        ref[j]     = x[ravel(3, sh[0], idx)];
      }
      PetscCall(PetscSNPrintf(name, sizeof(name), "slice dim %d [%d:%d:%d]", c.dim, c.start, c.stop, c.step));
      PetscCall(run_values(name, &c, 1, nd, sh, d, n, ref));
    }
  }
  {
    /* three tensors (2, e, 3) / (e, 3, 4) / (2, 3, e) joined along dim 1 / 0 / 2 */
    for (int dim = 0; dim < 3; dim++) {
      ShapeCtx c = {.which = 3, .dim = dim, .n = 3};
      int      nd[3] = {3, 3, 3}, sh[3][NEOP_MAX_DIMS], ysh[3] = {2, 3, 4}, ext[3] = {1, 2, 3};
      float   *d[3] = {x, x2, x3};
      char     name[64];
      int64_t  n;
      for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 3; i++) sh[k][i] = ysh[i];
        sh[k][dim] = ext[k];
      }
      ysh[dim] = 6;
      n        = (int64_t)ysh[0] * ysh[1] * ysh[2];
      for (int64_t j = 0; j < n; j++) {
        int idx[3], k = 0;
        unravel(j, 3, ysh, idx);
        while (idx[dim] >= ext[k]) idx[dim] -= ext[k++];
        ref[j] = d[k][ravel(3, sh[k], idx)];
      }
      PetscCall(PetscSNPrintf(name, sizeof(name), "concat along dim %d", dim));
      PetscCall(run_values(name, &c, 3, nd, sh, d, n, ref));
    }
  }
  {
    /* FNO padding of (2, 3, 5, 4) by 2 and 3 at the end of the spatial dims, and its crop */
    ShapeCtx pad = {.which = 4, .ndim = 2, .a = {2, 3}}, crop = {.which = 5, .ndim = 2, .a = {2, 3}};
    ShapeCtx both = {.which = 6, .ndim = 2, .a = {2, 3}}, pad1 = {.which = 4, .ndim = 1, .a = {4}};
    int      nd[1] = {4}, sh[1][NEOP_MAX_DIMS] = {{2, 3, 5, 4}}, psh[4] = {2, 3, 7, 7}, csh[4] = {2, 3, 3, 1};
    int      sh1[1][NEOP_MAX_DIMS] = {{2, 3, 5}}, nd1[1] = {3};
    float   *d[1] = {x};
    for (int64_t j = 0; j < 2 * 3 * 7 * 7; j++) {
      int idx[4];
      unravel(j, 4, psh, idx);
      ref[j] = idx[2] < 5 && idx[3] < 4 ? x[ravel(4, sh[0], idx)] : 0.f;
    }
    PetscCall(run_values("pad (2,3,5,4) by (2,3)", &pad, 1, nd, sh, d, 294, ref));
    for (int64_t j = 0; j < 2 * 3 * 3 * 1; j++) {
      int idx[4];
      unravel(j, 4, csh, idx);
      ref[j] = x[ravel(4, sh[0], idx)];
    }
    PetscCall(run_values("crop (2,3,5,4) by (2,3)", &crop, 1, nd, sh, d, 18, ref));
    for (int i = 0; i < 120; i++) ref[i] = tanhf(x[i]);
    PetscCall(run_values("pad, tanh, crop", &both, 1, nd, sh, d, 120, ref));
    for (int64_t j = 0; j < 2 * 3 * 9; j++) ref[j] = j % 9 < 5 ? x[j / 9 * 5 + j % 9] : 0.f;
    PetscCall(run_values("pad (2,3,5) by 4", &pad1, 1, nd1, sh1, d, 54, ref));
  }
  {
    /* impossible arguments are refused with PETSc errors, not crashes */
    NeopTape      *t;
    NeopTensor    *a, *b, *y, *ab[2];
    PetscErrorCode e[6];
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 3, (int[]){2, 3, 4}, &a));
    PetscCall(NeopTapeTensor(t, 3, (int[]){2, 5, 5}, &b));
    ab[0] = a;
    ab[1] = b;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    e[0] = NeopOpReshape(t, a, 2, (int[]){5, -1}, &y);
    e[1] = NeopOpReshape(t, a, 2, (int[]){5, 5}, &y);
    e[2] = NeopOpPermute(t, a, (int[]){0, 1, 1}, &y);
    e[3] = NeopOpSlice(t, a, 1, 2, 5, 1, &y);
    e[4] = NeopOpConcat(t, 2, ab, 1, &y);
    e[5] = NeopOpCrop(t, a, 1, (int[]){5}, &y);
    PetscCall(PetscPopErrorHandler());
    NeopTestCheck(e[0] == PETSC_ERR_ARG_SIZ, "reshape of 24 values to (5, -1) is refused");
    NeopTestCheck(e[1] == PETSC_ERR_ARG_SIZ, "reshape of 24 values to (5, 5) is refused");
    NeopTestCheck(e[2] == PETSC_ERR_ARG_WRONG, "permute (0, 1, 1) is refused");
    NeopTestCheck(e[3] == PETSC_ERR_ARG_OUTOFRANGE, "slice 2:5 of an extent 3 is refused");
    NeopTestCheck(e[4] == PETSC_ERR_ARG_SIZ, "concat of (2, 3, 4) and (2, 5, 5) along dim 1 is refused");
    NeopTestCheck(e[5] == PETSC_ERR_ARG_OUTOFRANGE, "crop of 5 from an extent 4 is refused");
    PetscCall(NeopTapeDestroy(&t));
  }
  return NeopTestFinalize();
}
