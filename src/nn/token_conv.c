/* k x k convolutions of tokens on a 2-D grid in the token layout (N, S0 S1, C):
   Transolver's structured-mesh projections without the transposes to fields
   and back. Kernels: token_conv_* of NeopAttentionKernels. */
#include <neop/nn/transformer.h>
#include <neop/log.h>

static PetscLogEvent ev_tconv;

static PetscErrorCode token_conv_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0], *W = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL;
  float      *dx, *dW, *db;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_tconv, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  PetscCall(NeopTapeGrad(t, W, &dW));
  PetscCall(NeopTapeGrad(t, b, &db));
  NeopBackendGet()->attention->token_conv_backward(x->shape[0], n->ints[0], n->ints[1], x->shape[2], W->shape[0], W->shape[2],
                                                   x->data, W->data, n->out->grad, dx, dW, db);
  PetscCall(PetscLogEventEnd(ev_tconv, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpTokenConv(NeopTape *t, NeopTensor *x, const int S[2], NeopTensor *W, NeopTensor *b, NeopTensor **y)
{
  NeopTensor   *in[3] = {x, W, b};
  NeopTapeNode *node;
  int           shape[3];
  char          bx[96], bw[96];

  PetscFunctionBegin;
  if (!ev_tconv) PetscCall(NeopLogEvent("NeopTokenConv", &ev_tconv));
  PetscCheck(x->ndim == 3 && S[0] >= 1 && S[1] >= 1 && (int64_t)S[0] * S[1] == x->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "token conv: x %s is not (N, %d x %d points, C)", NeopTensorShapeString(x, bx, sizeof(bx)), S[0], S[1]);
  PetscCheck(W->ndim == 4 && W->shape[1] == x->shape[2] && W->shape[2] == W->shape[3] && W->shape[2] % 2 == 1, PETSC_COMM_SELF,
             PETSC_ERR_ARG_SIZ, "token conv: W %s must be (Cout, %d, k, k) with k odd for x %s",
             NeopTensorShapeString(W, bw, sizeof(bw)), x->shape[2], NeopTensorShapeString(x, bx, sizeof(bx)));
  PetscCheck(!b || (b->ndim == 1 && b->shape[0] == W->shape[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "token conv: bias of %d values for %d outputs", b ? b->shape[0] : 0, W->shape[0]);
  shape[0] = x->shape[0];
  shape[1] = x->shape[1];
  shape[2] = W->shape[0];
  PetscCall(PetscLogEventBegin(ev_tconv, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 3, shape, y));
  NeopBackendGet()->attention->token_conv_forward(shape[0], S[0], S[1], x->shape[2], W->shape[0], W->shape[2], x->data, W->data,
                                                  b ? b->data : NULL, (*y)->data);
  PetscCall(NeopTapeRecord(t, "token_conv", token_conv_backward, b ? 3 : 2, in, *y, &node));
  if (node) {
    node->ints[0] = S[0];
    node->ints[1] = S[1];
  }
  PetscCall(PetscLogEventEnd(ev_tconv, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
