/* x (N, C, *S) -> (N, C + d, *S) with the grid coordinates linspace(0, 1, S_i)
   in the last d channels (FNO's get_grid). The coordinates are constants: the
   backward passes the first C channels' gradient through. */
#include <neop/nn/grid.h>
#include <neop/log.h>

static PetscLogEvent ev_grid;

static PetscErrorCode grid_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0];
  int64_t     P = NeopTensorStride(x, 2), C = x->shape[1], Cy = n->out->shape[1];
  float      *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_grid, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  for (int64_t b = 0; b < x->shape[0]; b++)
    for (int64_t k = 0; k < C * P; k++) dx[b * C * P + k] += n->out->grad[b * Cy * P + k];
  PetscCall(PetscLogEventEnd(ev_grid, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpAppendGrid(NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  int     d = x->ndim - 2, shape[NEOP_MAX_DIMS];
  int64_t P, C, Cy;
  char    bx[96];

  PetscFunctionBegin;
  if (!ev_grid) PetscCall(NeopLogEvent("NeopAppendGrid", &ev_grid));
  PetscCheck(d >= 1 && d <= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "append grid: x %s must be (N, C, S1[, S2[, S3]])",
             NeopTensorShapeString(x, bx, sizeof(bx)));
  PetscCall(PetscLogEventBegin(ev_grid, 0, 0, 0, 0));
  for (int i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
  shape[1] += d;
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  P  = NeopTensorStride(x, 2);
  C  = x->shape[1];
  Cy = C + d;
  for (int64_t b = 0; b < x->shape[0]; b++) {
    float *yb = (*y)->data + b * Cy * P;
    PetscCall(PetscArraycpy(yb, x->data + b * C * P, C * P));
    for (int i = 0; i < d; i++) {
      int64_t inner = NeopTensorStride(x, 3 + i);
      int     n     = x->shape[2 + i];
      /* numpy's linspace(0, 1, n): k * (1 / (n - 1)) in double, the last point exactly 1; then float */
      double step = n > 1 ? 1.0 / (n - 1) : 0.0;
      for (int64_t p = 0; p < P; p++) {
        int k = (int)(p / inner % n);
        yb[(C + i) * P + p] = (float)(k == n - 1 && n > 1 ? 1.0 : k * step);
      }
    }
  }
  PetscCall(NeopTapeRecord(t, "append_grid", grid_backward, 1, &x, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_grid, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
