/* y = a + b for tensors of one shape. */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_add;

static PetscErrorCode add_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be = NeopBackendGet();
  float             *da, *db;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_add, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &da));
  PetscCall(NeopTapeGrad(t, n->in[1], &db));
  if (da) be->unary_backward(NEOP_UNARY_IDENTITY, n->out->size, NULL, NULL, n->out->grad, da);
  if (db) be->unary_backward(NEOP_UNARY_IDENTITY, n->out->size, NULL, NULL, n->out->grad, db);
  PetscCall(PetscLogEventEnd(ev_add, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpAdd(NeopTape *t, NeopTensor *a, NeopTensor *b, NeopTensor **y)
{
  NeopTensor *in[2] = {a, b};
  char        ba[96], bb[96];

  PetscFunctionBegin;
  if (!ev_add) PetscCall(NeopLogEvent("NeopAdd", &ev_add));
  PetscCheck(NeopTensorSameShape(a, b), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "add: shapes %s and %s differ",
             NeopTensorShapeString(a, ba, sizeof(ba)), NeopTensorShapeString(b, bb, sizeof(bb)));
  PetscCall(PetscLogEventBegin(ev_add, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, a, y));
  NeopBackendGet()->unary_forward(NEOP_UNARY_IDENTITY, a->size, a->data, (*y)->data);
  {
    /* y += b through the identity backward kernel (dx += dy) */
    NeopBackendGet()->unary_backward(NEOP_UNARY_IDENTITY, a->size, NULL, NULL, b->data, (*y)->data);
  }
  PetscCall(NeopTapeRecord(t, "add", add_backward, 2, in, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_add, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
