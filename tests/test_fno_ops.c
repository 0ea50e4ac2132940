/* FNO's helper ops: domain padding / cropping and the appended grid
   coordinates: values and finite-difference gradients. */
#include "testing.h"
#include <neop/nn/pad.h>
#include <neop/nn/grid.h>

static PetscErrorCode pad_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpDomainPad(t, in[0], (const int *)ctx, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode crop_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpDomainCrop(t, in[0], (const int *)ctx, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the grid is constant; tanh makes the gradient depend on the value of every channel */
static PetscErrorCode grid_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  NeopTensor *g, *a;
  PetscFunctionBegin;
  PetscCall(NeopOpAppendGrid(t, in[0], &g));
  PetscCall(NeopOpUnary(t, NEOP_UNARY_TANH, g, &a));
  *out = a;
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    /* 2-D pad then crop: values */
    NeopTape   *t;
    NeopTensor *x, *y, *z;
    int         xs[4] = {2, 3, 4, 5}, pad[2] = {2, 1};
    PetscBool   zeros = PETSC_TRUE, inside = PETSC_TRUE;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, xs, &x));
    NeopTestRandom(1, x->size, -1, 1, x->data);
    PetscCall(NeopOpDomainPad(t, x, pad, &y));
    NeopTestCheck(y->shape[2] == 6 && y->shape[3] == 6, "pad (2, 3, 4, 5) by (2, 1) gives (2, 3, 6, 6)");
    for (int bc = 0; bc < 6; bc++)
      for (int i = 0; i < 6; i++)
        for (int j = 0; j < 6; j++) {
          float v = y->data[(bc * 6 + i) * 6 + j];
          if (i >= 4 || j >= 5) zeros = (PetscBool)(zeros && v == 0.f);
          else inside = (PetscBool)(inside && v == x->data[(bc * 4 + i) * 5 + j]);
        }
    NeopTestCheck(zeros && inside, "padded entries are zero, the others copied");
    PetscCall(NeopOpDomainCrop(t, y, pad, &z));
    NeopTestClose("crop undoes pad", x->size, z->data, x->data, 0, 1e-30);
    PetscCall(NeopTapeDestroy(&t));
  }
  {
    int   ndim = 3, shape[1][NEOP_MAX_DIMS] = {{2, 3, 7}}, pad[1] = {3};
    float x[42], *d[1] = {x};
    NeopTestRandom(2, 42, -1, 1, x);
    PetscCall(NeopTestGradCheck("domain pad 1-D", pad_fn, pad, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
    PetscCall(NeopTestGradCheck("domain crop 1-D", crop_fn, pad, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    int   ndim = 5, shape[1][NEOP_MAX_DIMS] = {{1, 2, 3, 4, 5}}, pad[3] = {1, 0, 2};
    float x[120], *d[1] = {x};
    NeopTestRandom(3, 120, -1, 1, x);
    PetscCall(NeopTestGradCheck("domain pad 3-D", pad_fn, pad, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
    PetscCall(NeopTestGradCheck("domain crop 3-D", crop_fn, pad, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    /* grid values: 2-D, channel C is x (first spatial dim), C + 1 is y */
    NeopTape   *t;
    NeopTensor *x, *y;
    int         xs[4] = {2, 1, 3, 5};
    PetscBool   ok = PETSC_TRUE;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, xs, &x));
    NeopTestRandom(4, x->size, -1, 1, x->data);
    PetscCall(NeopOpAppendGrid(t, x, &y));
    for (int b = 0; b < 2; b++)
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
          const float *yb = y->data + b * 3 * 15;
          ok = (PetscBool)(ok && yb[i * 5 + j] == x->data[b * 15 + i * 5 + j] && yb[15 + i * 5 + j] == (float)(i * 0.5) &&
                           yb[30 + i * 5 + j] == (float)(j * 0.25));
        }
    NeopTestCheck(ok && y->shape[1] == 3, "grid channels hold linspace(0, 1, S_i) along dim i");
    PetscCall(NeopTapeDestroy(&t));
  }
  {
    int   ndim = 4, shape[1][NEOP_MAX_DIMS] = {{2, 2, 3, 4}};
    float x[48], *d[1] = {x};
    NeopTestRandom(5, 48, -1, 1, x);
    PetscCall(NeopTestGradCheck("append grid", grid_fn, NULL, 1, &ndim, shape, d, 1e-3, 1e-2, 1e-3));
  }
  return NeopTestFinalize();
}
