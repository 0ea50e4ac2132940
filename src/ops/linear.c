/* y (..., out) = x (..., in) W^T (in, out) + b (out), on sgemm. */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_linear;

static PetscErrorCode linear_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *x = n->in[0], *W = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL, *y = n->out;
  int                in = W->shape[1], out = W->shape[0];
  int                rows = (int)(x->size / in);
  float             *dx, *dW, *db;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_linear, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  PetscCall(NeopTapeGrad(t, W, &dW));
  PetscCall(NeopTapeGrad(t, b, &db));
  /* dx (rows, in) += dy (rows, out) W (out, in) */
  if (dx) be->sgemm(PETSC_FALSE, PETSC_FALSE, rows, in, out, 1.f, y->grad, out, W->data, in, 1.f, dx, in);
  /* dW (out, in) += dy^T (out, rows) x (rows, in) */
  if (dW) be->sgemm(PETSC_TRUE, PETSC_FALSE, out, in, rows, 1.f, y->grad, out, x->data, in, 1.f, dW, in);
  /* db (out) += column sums of dy (rows, out) */
  if (db) be->bias_grad(rows, out, 1, y->grad, db);
  PetscCall(PetscLogEventEnd(ev_linear, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpLinear(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *in[3] = {x, W, b};
  int                shape[NEOP_MAX_DIMS];
  char               bx[96], bw[96];

  PetscFunctionBegin;
  if (!ev_linear) PetscCall(NeopLogEvent("NeopLinear", &ev_linear));
  PetscCheck(W->ndim == 2 && x->ndim >= 1 && x->shape[x->ndim - 1] == W->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "linear: x %s does not match W %s (out, in)", NeopTensorShapeString(x, bx, sizeof(bx)),
             NeopTensorShapeString(W, bw, sizeof(bw)));
  PetscCheck(!b || (b->ndim == 1 && b->shape[0] == W->shape[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "linear: bias of %d values for %d outputs", b ? b->shape[0] : 0, W->shape[0]);
  PetscCall(PetscLogEventBegin(ev_linear, 0, 0, 0, 0));
  for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
  shape[x->ndim - 1] = W->shape[0];
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  {
    int in_f = W->shape[1], out_f = W->shape[0], rows = (int)(x->size / in_f);
    float *yd = (*y)->data;
    if (b) be->bias_add(rows, out_f, 1, b->data, 0.f, yd); /* y (rows, out) = b, then += x W^T */
    be->sgemm(PETSC_FALSE, PETSC_TRUE, rows, out_f, in_f, 1.f, x->data, in_f, W->data, in_f, b ? 1.f : 0.f, yd, out_f);
  }
  PetscCall(NeopTapeRecord(t, "linear", linear_backward, b ? 3 : 2, in, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_linear, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
