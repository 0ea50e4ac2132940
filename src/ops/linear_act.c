/* y (..., out) = f(x (..., in) W^T + b): a linear layer and its activation as
   one tape node. The forward keeps f'(z) (computed with f, sharing sin, cos
   and exp) instead of z, so the backward is dz = dy f'(z) in place in dy
   (dead once this node has run) and the linear layer's two products: no
   recomputation of the activation, no zeroed gradient buffer for z, no bias
   pass of its own (the bias is added inside the activation's pass). */
#include <neop/nn/onet.h>
#include <neop/log.h>

static PetscLogEvent ev_linear_act;

static PetscErrorCode linear_act_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *x = n->in[0], *W = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL, *y = n->out;
  int                in = W->shape[1], out = W->shape[0], rows = (int)(x->size / in);
  float             *dx, *dW, *db, *dz = y->grad; /* (rows, out) */

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_linear_act, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  PetscCall(NeopTapeGrad(t, W, &dW));
  PetscCall(NeopTapeGrad(t, b, &db));
  be->onet->act_grad(y->size, (const float *)n->ctx, dz);
  /* dx (rows, in) += dz (rows, out) W (out, in) */
  if (dx) be->sgemm(PETSC_FALSE, PETSC_FALSE, rows, in, out, 1.f, dz, out, W->data, in, 1.f, dx, in);
  /* dW (out, in) += dz^T (out, rows) x (rows, in) */
  if (dW) be->sgemm(PETSC_TRUE, PETSC_FALSE, out, in, rows, 1.f, dz, out, x->data, in, 1.f, dW, in);
  if (db) be->bias_grad(rows, out, 1, dz, db);
  PetscCall(PetscLogEventEnd(ev_linear_act, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpLinearAct(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopUnaryKind act, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *in[3] = {x, W, b};
  NeopTapeNode      *node;
  int                shape[NEOP_MAX_DIMS], nin = b ? 3 : 2;
  float             *d = NULL; /* f'(z) (rows, out), kept for the backward */
  char               bx[96], bw[96];

  PetscFunctionBegin;
  if (!ev_linear_act) PetscCall(NeopLogEvent("NeopLinearAct", &ev_linear_act));
  PetscCheck(W->ndim == 2 && x->ndim >= 1 && x->shape[x->ndim - 1] == W->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "linear_act: x %s does not match W %s (out, in)", NeopTensorShapeString(x, bx, sizeof(bx)), NeopTensorShapeString(W, bw, sizeof(bw)));
  PetscCheck(!b || (b->ndim == 1 && b->shape[0] == W->shape[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "linear_act: bias of %d values for %d outputs", b ? b->shape[0] : 0, W->shape[0]);
  PetscCheck(act < NEOP_UNARY_COUNT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "linear_act: unknown activation %d", (int)act);
  PetscCall(PetscLogEventBegin(ev_linear_act, 0, 0, 0, 0));
  for (int k = 0; k < x->ndim; k++) shape[k] = x->shape[k];
  shape[x->ndim - 1] = W->shape[0];
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  {
    int in_f = W->shape[1], out_f = W->shape[0], rows = (int)(x->size / in_f);
    if (NeopTapeNeedsGrad(t, nin, in)) PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)(*y)->size, (void **)&d));
    /* z (rows, out) = x W^T in y, then y = f(z + b), d = f'(z + b) in place */
    be->sgemm(PETSC_FALSE, PETSC_TRUE, rows, out_f, in_f, 1.f, x->data, in_f, W->data, in_f, 0.f, (*y)->data, out_f);
    be->onet->bias_act(act, rows, out_f, 1, b ? b->data : NULL, (*y)->data, (*y)->data, d);
  }
  PetscCall(NeopTapeRecord(t, "linear_act", linear_act_backward, nin, in, *y, &node));
  if (node) node->ctx = d;
  PetscCall(PetscLogEventEnd(ev_linear_act, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
