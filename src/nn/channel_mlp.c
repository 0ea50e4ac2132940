/* The fused channel MLP y = W2 act(W1 x + b1) + b2 (include/neop/nn/channel_mlp.h):
   the forward keeps h = act(z) and act'(z) (z = W1 x + b1), computed in one
   pass over z, so the backward evaluates no activation; the products run
   sample by sample in the backend's field kernels. */
#include <neop/nn/channel_mlp.h>
#include <neop/nn/field_kernels.h>
#include <neop/log.h>

static PetscLogEvent ev_mlp;

typedef struct {
  float *h, *dact; /* (N, Cmid, P): act(z), act'(z) */
} MlpCtx;

static PetscErrorCode channel_mlp_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be  = NeopBackendGet();
  MlpCtx            *ctx = (MlpCtx *)n->ctx;
  NeopTensor        *x = n->in[0], *W1 = n->in[1], *b1 = n->in[2], *W2 = n->in[3], *b2 = n->in[4], *y = n->out;
  int                N = x->shape[0], cin = W1->shape[1], cmid = W1->shape[0], cout = W2->shape[0];
  int64_t            P = NeopTensorStride(x, 2);
  float             *dx, *dW1, *db1, *dW2, *db2;
  PetscBool          fresh;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_mlp, 0, 0, 0, 0));
  PetscCall(NeopTapeGradFresh(t, x, &dx, &fresh)); /* a fresh dx is overwritten, not added to */
  PetscCall(NeopTapeGrad(t, W1, &dW1));
  PetscCall(NeopTapeGrad(t, b1, &db1));
  PetscCall(NeopTapeGrad(t, W2, &dW2));
  PetscCall(NeopTapeGrad(t, b2, &db2));
  if (db2) be->bias_grad(N, cout, P, y->grad, db2);
  PetscCall(be->field->mlp_backward(N, cin, cmid, cout, P, W1->data, W2->data, x->data, ctx->h, ctx->dact, y->grad, fresh ? 0.f : 1.f, dx, dW1, db1,
                                    dW2));
  PetscCall(PetscLogEventEnd(ev_mlp, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpChannelMLP(NeopTape *t, NeopTensor *x, NeopTensor *W1, NeopTensor *b1, NeopUnaryKind act, NeopTensor *W2,
                                NeopTensor *b2, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *in[5] = {x, W1, b1, W2, b2};
  NeopTapeNode      *node;
  int                shape[NEOP_MAX_DIMS], N, cin, cmid, cout;
  int64_t            P;
  PetscBool          keep;
  float             *h = NULL, *dact = NULL; /* kept for the backward: (N, Cmid, P) each */
  char               bx[96], b1s[96], b2s[96];

  PetscFunctionBegin;
  if (!ev_mlp) PetscCall(NeopLogEvent("NeopChannelMLP", &ev_mlp));
  PetscCheck(x->ndim >= 2 && W1->ndim == 2 && W2->ndim == 2 && x->shape[1] == W1->shape[1] && W2->shape[1] == W1->shape[0],
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "channel MLP: x %s (N, Cin, ...), W1 %s (Cmid, Cin) and W2 %s (Cout, Cmid) do not match",
             NeopTensorShapeString(x, bx, sizeof(bx)), NeopTensorShapeString(W1, b1s, sizeof(b1s)), NeopTensorShapeString(W2, b2s, sizeof(b2s)));
  PetscCheck(!b1 || (b1->ndim == 1 && b1->shape[0] == W1->shape[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "channel MLP: first bias of %d values for %d hidden channels", b1 ? b1->shape[0] : 0, W1->shape[0]);
  PetscCheck(!b2 || (b2->ndim == 1 && b2->shape[0] == W2->shape[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "channel MLP: second bias of %d values for %d outputs", b2 ? b2->shape[0] : 0, W2->shape[0]);
  PetscCall(PetscLogEventBegin(ev_mlp, 0, 0, 0, 0));
  N    = x->shape[0];
  cin  = W1->shape[1];
  cmid = W1->shape[0];
  cout = W2->shape[0];
  P    = NeopTensorStride(x, 2);
  for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
  shape[1] = cout;
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  keep = NeopTapeNeedsGrad(t, 5, in); /* without a backward, no act' and the hidden layer in the kernel's scratch */
  if (keep) {
    PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)(N * cmid * P), (void **)&h));
    PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)(N * cmid * P), (void **)&dact));
  }
  PetscCall(be->field->mlp_forward(N, cin, cmid, cout, P, W1->data, b1 ? b1->data : NULL, act, W2->data, b2 ? b2->data : NULL, x->data, h,
                                   dact, (*y)->data));
  PetscCall(NeopTapeRecord(t, "channel_mlp", channel_mlp_backward, 5, in, *y, &node));
  if (node) {
    MlpCtx *ctx;
    PetscCall(NeopTapeAlloc(t, sizeof(*ctx), (void **)&ctx));
    ctx->h    = h;
    ctx->dact = dact;
    node->ctx = ctx;
  }
  PetscCall(PetscLogEventEnd(ev_mlp, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
