/* y = f'(x) for the point-wise activations: the factor of the forward-mode
   tangents through an MLP (dy/dx = f'(Wx + b) W dx). Its backward needs f''. */
#include <neop/nn/onet.h>
#include <neop/log.h>

static PetscLogEvent ev_deriv;

static PetscErrorCode unary_deriv_backward(NeopTape *t, NeopTapeNode *n)
{
  float *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_deriv, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  NeopBackendGet()->onet->unary_deriv_backward((NeopUnaryKind)n->ints[0], n->out->size, n->in[0]->data, n->out->grad, dx);
  PetscCall(PetscLogEventEnd(ev_deriv, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpUnaryDeriv(NeopTape *t, NeopUnaryKind kind, NeopTensor *x, NeopTensor **y)
{
  NeopTapeNode *node;

  PetscFunctionBegin;
  if (!ev_deriv) PetscCall(NeopLogEvent("NeopActivationDeriv", &ev_deriv));
  PetscCheck(kind < NEOP_UNARY_COUNT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "unary_deriv: unknown activation %d", (int)kind);
  PetscCall(PetscLogEventBegin(ev_deriv, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, x, y));
  NeopBackendGet()->onet->unary_deriv(kind, x->size, x->data, (*y)->data);
  PetscCall(NeopTapeRecord(t, "unary_deriv", unary_deriv_backward, 1, &x, *y, &node));
  if (node) node->ints[0] = (int)kind;
  PetscCall(PetscLogEventEnd(ev_deriv, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
