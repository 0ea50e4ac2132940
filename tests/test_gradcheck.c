/* The gradient checker itself: it passes a correct backward and catches a
   wrong one (an op whose backward is off by a factor). */
#include "testing.h"

static PetscErrorCode bad_square_backward(NeopTape *t, NeopTapeNode *n)
{
  float *dx;
  PetscFunctionBegin;
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  /* d(x^2)/dx = 2x; this says 1.9x */
  for (int64_t i = 0; i < n->out->size; i++) dx[i] += 1.9f * n->in[0]->data[i] * n->out->grad[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode good_square_backward(NeopTape *t, NeopTapeNode *n)
{
  float *dx;
  PetscFunctionBegin;
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  for (int64_t i = 0; i < n->out->size; i++) dx[i] += 2.f * n->in[0]->data[i] * n->out->grad[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode square(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopTapeTensorLike(t, in[0], out));
  for (int64_t i = 0; i < in[0]->size; i++) (*out)->data[i] = in[0]->data[i] * in[0]->data[i];
  PetscCall(NeopTapeRecord(t, "square", ctx ? bad_square_backward : good_square_backward, 1, in, *out, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  int    ndim = 2, shape[1][NEOP_MAX_DIMS] = {{3, 4}};
  float  x[12], *data[1] = {x};
  double good, bad;
  int    wrong = 1;

  PetscCall(NeopTestInitialize(&argc, &argv));
  NeopTestRandom(1, 12, -2, 2, x);
  PetscCall(NeopTestGradCheckRatio(square, NULL, 1, &ndim, shape, data, 1e-3, 1e-2, 1e-3, 64, &good));
  PetscCall(NeopTestGradCheckRatio(square, &wrong, 1, &ndim, shape, data, 1e-3, 1e-2, 1e-3, 64, &bad));
  NeopTestCheck(good <= 1, "correct backward passes (ratio %.3g)", good);
  NeopTestCheck(bad > 1, "backward off by 5%% is caught (ratio %.3g)", bad);
  return NeopTestFinalize();
}
