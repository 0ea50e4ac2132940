/* y = alpha x and the per-channel bias of fields, y (N, C, *S) = x + b (C). */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_elem;

static PetscErrorCode scale_backward(NeopTape *t, NeopTapeNode *n)
{
  float *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_elem, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  NeopBackendGet()->axpby(n->out->size, (float)n->real[0], n->out->grad, 1.f, dx);
  PetscCall(PetscLogEventEnd(ev_elem, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpScale(NeopTape *t, NeopTensor *x, double alpha, NeopTensor **y)
{
  NeopTapeNode *node;

  PetscFunctionBegin;
  if (!ev_elem) PetscCall(NeopLogEvent("NeopElementwise", &ev_elem));
  PetscCall(PetscLogEventBegin(ev_elem, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, x, y));
  NeopBackendGet()->axpby(x->size, (float)alpha, x->data, 0.f, (*y)->data);
  PetscCall(NeopTapeRecord(t, "scale", scale_backward, 1, &x, *y, &node));
  if (node) node->real[0] = alpha;
  PetscCall(PetscLogEventEnd(ev_elem, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode bias_add_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *x = n->in[0], *y = n->out;
  float             *dx, *db;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_elem, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  PetscCall(NeopTapeGrad(t, n->in[1], &db));
  if (dx) be->axpby(y->size, 1.f, y->grad, 1.f, dx);
  if (db) be->bias_grad(x->shape[0], x->shape[1], NeopTensorStride(x, 2), y->grad, db);
  PetscCall(PetscLogEventEnd(ev_elem, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpBiasAdd(NeopTape *t, NeopTensor *x, NeopTensor *b, NeopTensor **y)
{
  const NeopBackend *be    = NeopBackendGet();
  NeopTensor        *in[2] = {x, b};
  char               bx[96], bb[96];

  PetscFunctionBegin;
  if (!ev_elem) PetscCall(NeopLogEvent("NeopElementwise", &ev_elem));
  PetscCheck(x->ndim >= 2 && b->ndim == 1 && b->shape[0] == x->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "bias add: x %s (N, C, ...) does not match bias %s (C)", NeopTensorShapeString(x, bx, sizeof(bx)),
             NeopTensorShapeString(b, bb, sizeof(bb)));
  PetscCall(PetscLogEventBegin(ev_elem, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, x, y));
  PetscCall(be->copy((*y)->data, x->data, (size_t)x->size * sizeof(float)));
  be->bias_add(x->shape[0], x->shape[1], NeopTensorStride(x, 2), b->data, 1.f, (*y)->data);
  PetscCall(NeopTapeRecord(t, "bias_add", bias_add_backward, 2, in, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_elem, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
