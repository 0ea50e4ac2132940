/* Linear layers, add and activations: finite-difference gradients. */
#include "testing.h"

static PetscErrorCode linear_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpLinear(t, in[0], in[1], ctx ? NULL : in[2], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode channel_linear_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpChannelLinear(t, in[0], in[1], in[2], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode add_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpAdd(t, in[0], in[1], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode unary_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpUnary(t, *(NeopUnaryKind *)ctx, in[0], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    /* x (2, 3, 5), W (4, 5), b (4) */
    int   ndim[3]                     = {3, 2, 1};
    int   shape[3][NEOP_MAX_DIMS]     = {{2, 3, 5}, {4, 5}, {4}};
    float x[30], W[20], b[4], *d[3] = {x, W, b};
    int   nobias = 1;
    NeopTestRandom(1, 30, -1, 1, x);
    NeopTestRandom(2, 20, -1, 1, W);
    NeopTestRandom(3, 4, -1, 1, b);
    PetscCall(NeopTestGradCheck("linear", linear_fn, NULL, 3, ndim, shape, d, 1e-2, 1e-2, 1e-3));
    PetscCall(NeopTestGradCheck("linear without bias", linear_fn, &nobias, 2, ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    /* x (2, 3, 4, 5), W (6, 3), b (6) */
    int   ndim[3]                 = {4, 2, 1};
    int   shape[3][NEOP_MAX_DIMS] = {{2, 3, 4, 5}, {6, 3}, {6}};
    float x[120], W[18], b[6], *d[3] = {x, W, b};
    NeopTestRandom(4, 120, -1, 1, x);
    NeopTestRandom(5, 18, -1, 1, W);
    NeopTestRandom(6, 6, -1, 1, b);
    PetscCall(NeopTestGradCheck("channel linear", channel_linear_fn, NULL, 3, ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    int   ndim[2]                 = {2, 2};
    int   shape[2][NEOP_MAX_DIMS] = {{3, 4}, {3, 4}};
    float a[12], b[12], *d[2] = {a, b};
    NeopTestRandom(7, 12, -1, 1, a);
    NeopTestRandom(8, 12, -1, 1, b);
    PetscCall(NeopTestGradCheck("add", add_fn, NULL, 2, ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  for (int k = 0; k < NEOP_UNARY_COUNT; k++) {
    NeopUnaryKind kind = (NeopUnaryKind)k;
    int           ndim = 2, shape[1][NEOP_MAX_DIMS] = {{4, 6}};
    float         x[24], *d[1] = {x};
    NeopTestRandom(10 + k, 24, -3, 3, x);
    /* keep away from ReLU's kink, where differences straddle it */
    for (int i = 0; i < 24; i++)
      if (x[i] > -0.05f && x[i] < 0.05f) x[i] += 0.2f;
    PetscCall(NeopTestGradCheck(NeopUnaryKindName(kind), unary_fn, &kind, 1, &ndim, shape, d, 1e-3, 1e-2, 1e-3));
  }
  return NeopTestFinalize();
}
