/* y = f(z + b[c]) on fields (N, C, *S): the bias and activation after a conv
   as one tape node that keeps f'(z + b) (computed with f) for the backward,
   which is then dz = dy f'(z + b) in place in dy (dead once this node has run;
   it becomes z's gradient when z has no other consumer) and the bias sums. */
#include <neop/nn/onet.h>
#include <neop/log.h>

static PetscLogEvent ev_bias_act;

static PetscErrorCode bias_act_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *z = n->in[0], *b = n->nin > 1 ? n->in[1] : NULL, *y = n->out;
  float             *g = y->grad, *dz, *db; /* (N, C, *S) */

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_bias_act, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, z, &dz));
  PetscCall(NeopTapeGrad(t, b, &db));
  be->onet->act_grad(y->size, (const float *)n->ctx, g); /* g = dy f'(z + b) */
  if (db) be->bias_grad(z->shape[0], z->shape[1], z->size / ((int64_t)z->shape[0] * z->shape[1]), g, db);
  if (dz && dz != g) be->axpby(y->size, 1.f, g, 1.f, dz);
  PetscCall(PetscLogEventEnd(ev_bias_act, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpBiasAct(NeopTape *t, NeopTensor *z, NeopTensor *b, NeopUnaryKind act, NeopTensor **y)
{
  NeopTensor   *in[2] = {z, b};
  NeopTapeNode *node;
  int           nin = b ? 2 : 1;
  float        *d = NULL; /* f'(z + b) (N, C, *S), kept for the backward */
  char          bz[96];

  PetscFunctionBegin;
  if (!ev_bias_act) PetscCall(NeopLogEvent("NeopBiasAct", &ev_bias_act));
  PetscCheck(z->ndim >= 2 && (!b || (b->ndim == 1 && b->shape[0] == z->shape[1])), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "bias_act: field %s (N, C, *S) with a bias of %d values", NeopTensorShapeString(z, bz, sizeof(bz)), b ? b->shape[0] : 0);
  PetscCheck(act < NEOP_UNARY_COUNT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "bias_act: unknown activation %d", (int)act);
  PetscCall(PetscLogEventBegin(ev_bias_act, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, z, y));
  if (NeopTapeNeedsGrad(t, nin, in)) PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)z->size, (void **)&d));
  NeopBackendGet()->onet->bias_act(act, z->shape[0], z->shape[1], z->size / ((int64_t)z->shape[0] * z->shape[1]), b ? b->data : NULL, z->data,
                                   (*y)->data, d);
  PetscCall(NeopTapeRecord(t, "bias_act", bias_act_backward, nin, in, *y, &node));
  if (node) {
    node->ctx       = d;
    node->pass_grad = 1; /* z's gradient may start as this node's (dz = dy f', computed in place) */
  }
  PetscCall(PetscLogEventEnd(ev_bias_act, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
