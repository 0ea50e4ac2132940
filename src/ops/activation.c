/* Point-wise activations; kernels in the backend (src/backend/cpu/unary.c). */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_act;

static const char *const names[NEOP_UNARY_COUNT] = {"identity", "gelu", "relu", "tanh", "silu", "sin", "sigmoid", "softplus", "tanh_sin",
                                                          "silu_sin", "silu_id"};

const char *NeopUnaryKindName(NeopUnaryKind kind) { return kind < NEOP_UNARY_COUNT ? names[kind] : "?"; }

PetscErrorCode NeopUnaryKindFromName(const char *name, NeopUnaryKind *kind)
{
  PetscFunctionBegin;
  for (int k = 0; k < NEOP_UNARY_COUNT; k++)
    if (!strcmp(name, names[k])) {
      *kind = (NeopUnaryKind)k;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_UNKNOWN_TYPE,
          "unknown activation '%s' (identity, gelu, relu, tanh, silu, sin, sigmoid, softplus, tanh_sin, silu_sin, silu_id)", name);
}

static PetscErrorCode unary_backward(NeopTape *t, NeopTapeNode *n)
{
  float *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_act, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  NeopBackendGet()->unary_backward((NeopUnaryKind)n->ints[0], n->out->size, n->in[0]->data, n->out->data, n->out->grad, dx);
  PetscCall(PetscLogEventEnd(ev_act, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpUnary(NeopTape *t, NeopUnaryKind kind, NeopTensor *x, NeopTensor **y)
{
  NeopTapeNode *node;

  PetscFunctionBegin;
  if (!ev_act) PetscCall(NeopLogEvent("NeopActivation", &ev_act));
  PetscCall(PetscLogEventBegin(ev_act, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, x, y));
  NeopBackendGet()->unary_forward(kind, x->size, x->data, (*y)->data);
  PetscCall(NeopTapeRecord(t, names[kind], unary_backward, 1, &x, *y, &node));
  if (node) node->ints[0] = (int)kind;
  PetscCall(PetscLogEventEnd(ev_act, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
