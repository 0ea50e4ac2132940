/* Fields (N, C, *S) <-> token sequences (N, prod S, features): the layout
   change between neop's field models and the transformer backbone. */
#include <neop/nn/transformer.h>
#include <neop/log.h>

static PetscLogEvent ev_tok;

static PetscErrorCode to_tokens_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0];
  int         P = (int)NeopTensorStride(x, 2), Cp = n->out->shape[2] - x->shape[1];
  float      *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_tok, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  NeopBackendGet()->attention->to_fields(x->shape[0], x->shape[1], P, n->out->shape[2], 1, n->out->grad + Cp, dx);
  PetscCall(PetscLogEventEnd(ev_tok, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpFieldToTokens(NeopTape *t, NeopTensor *x, NeopTensor *pos, NeopTensor **y)
{
  int  P, Cp, shape[3];
  char bx[96], bp[96];

  PetscFunctionBegin;
  if (!ev_tok) PetscCall(NeopLogEvent("NeopTokens", &ev_tok));
  PetscCheck(x->ndim >= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "field to tokens: x %s is not (N, C, *S)",
             NeopTensorShapeString(x, bx, sizeof(bx)));
  P  = (int)NeopTensorStride(x, 2);
  Cp = pos ? pos->shape[pos->ndim - 1] : 0;
  PetscCheck(!pos || (pos->ndim == 2 && pos->shape[0] == P), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "field to tokens: positions %s must be (%d points, features) for x %s", NeopTensorShapeString(pos, bp, sizeof(bp)), P,
             NeopTensorShapeString(x, bx, sizeof(bx)));
  shape[0] = x->shape[0];
  shape[1] = P;
  shape[2] = Cp + x->shape[1];
  PetscCall(PetscLogEventBegin(ev_tok, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 3, shape, y));
  NeopBackendGet()->attention->to_tokens(x->shape[0], x->shape[1], P, Cp, 0, x->data, pos ? pos->data : NULL, (*y)->data);
  PetscCall(NeopTapeRecord(t, "field_to_tokens", to_tokens_backward, 1, &x, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_tok, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode to_field_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *y = n->in[0];
  float      *dy;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_tok, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, y, &dy));
  NeopBackendGet()->attention->to_tokens(y->shape[0], y->shape[2], y->shape[1], 0, 1, n->out->grad, NULL, dy);
  PetscCall(PetscLogEventEnd(ev_tok, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpTokensToField(NeopTape *t, NeopTensor *y, const NeopTensor *like, NeopTensor **x)
{
  int  shape[NEOP_MAX_DIMS];
  char by[96], bl[96];

  PetscFunctionBegin;
  if (!ev_tok) PetscCall(NeopLogEvent("NeopTokens", &ev_tok));
  PetscCheck(y->ndim == 3 && like->ndim >= 3 && y->shape[0] == like->shape[0] && y->shape[1] == NeopTensorStride(like, 2),
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "tokens to field: tokens %s do not match the grid of %s",
             NeopTensorShapeString(y, by, sizeof(by)), NeopTensorShapeString(like, bl, sizeof(bl)));
  for (int d = 0; d < like->ndim; d++) shape[d] = like->shape[d];
  shape[1] = y->shape[2];
  PetscCall(PetscLogEventBegin(ev_tok, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, like->ndim, shape, x));
  NeopBackendGet()->attention->to_fields(y->shape[0], y->shape[2], y->shape[1], y->shape[2], 0, y->data, (*x)->data);
  PetscCall(NeopTapeRecord(t, "tokens_to_field", to_field_backward, 1, &y, *x, NULL));
  PetscCall(PetscLogEventEnd(ev_tok, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
