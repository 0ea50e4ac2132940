/* y = act(z + conv1x1(x, W) + b) as one op (MgNO's layer output): the field
   kernels of FNO's Fourier layer (neop/nn/field_kernels.h) run the product,
   the sum, the bias, the activation and its derivative over a chunk of a
   sample while it is in cache, instead of a conv op (copy of z, product,
   bias pass) and an activation op (two more passes, and its derivative's
   pass in the backward). The node keeps act'(z + W x + b) and y. */
#include <neop/nn/conv.h>
#include <neop/nn/field_kernels.h>
#include <neop/log.h>

static PetscLogEvent ev_conv_act;

typedef struct {
  int     N, cin, cout;
  int64_t P;
  float  *dact; /* (N, cout, *S) act'(z + W x + b); NULL for the identity */
} ConvActCtx;

static PetscErrorCode conv1x1_act_backward(NeopTape *t, NeopTapeNode *node)
{
  const NeopBackend *be  = NeopBackendGet();
  ConvActCtx        *ctx = (ConvActCtx *)node->ctx;
  NeopTensor        *x = node->in[0], *W = node->in[1], *b = node->in[2], *z = node->in[3], *y = node->out;
  float             *dx, *dW, *db, *dz, *g = y->grad; /* g (N, cout, P) */
  PetscBool          fresh;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_conv_act, 0, 0, 0, 0));
  PetscCall(NeopTapeGradFresh(t, x, &dx, &fresh)); /* a fresh dx is overwritten by the product */
  PetscCall(NeopTapeGrad(t, W, &dW));
  PetscCall(NeopTapeGrad(t, b, &db));
  PetscCall(NeopTapeGrad(t, z, &dz)); /* y's gradient itself when the tape handed it over (pass_grad) */
  /* g becomes ds = dy act'(s) in place (nothing reads dy after this node); db, dx (+)= W^T ds, dW += ds x^T */
  PetscCall(be->field->linear_backward(ctx->N, ctx->cin, ctx->cout, ctx->P, W->data, x->data, ctx->dact, g, fresh ? 0.f : 1.f, dx, dW, db));
  if (dz && dz != g) be->unary_backward(NEOP_UNARY_IDENTITY, y->size, NULL, NULL, g, dz);
  PetscCall(PetscLogEventEnd(ev_conv_act, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpConv1x1AddAct(NeopTape *t, NeopTensor *z, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopUnaryKind act,
                                   NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *in[4] = {x, W, b, z};
  NeopTapeNode      *node;
  int                cin, cout;
  int64_t            P;
  float             *s, *dact = NULL; /* s, dact (N, cout, *S): the pre-activation, then act'(s) over it */
  char               bx[96], bw[96], bz[96];

  PetscFunctionBegin;
  if (!ev_conv_act) PetscCall(NeopLogEvent("NeopConv1x1Act", &ev_conv_act));
  PetscCheck(x->ndim >= 3 && W->ndim == x->ndim && W->shape[1] == x->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "conv1x1_act: x %s (N, Cin, *S) does not match W %s (Cout, Cin, 1...)", NeopTensorShapeString(x, bx, sizeof(bx)),
             NeopTensorShapeString(W, bw, sizeof(bw)));
  for (int d = 2; d < W->ndim; d++)
    PetscCheck(W->shape[d] == 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "conv1x1_act: W %s is not a 1x1 kernel",
               NeopTensorShapeString(W, bw, sizeof(bw)));
  cin = x->shape[1], cout = W->shape[0], P = NeopTensorStride(x, 2);
  PetscCheck(z->ndim == x->ndim && z->shape[0] == x->shape[0] && z->shape[1] == cout && NeopTensorStride(z, 2) == P, PETSC_COMM_SELF,
             PETSC_ERR_ARG_SIZ, "conv1x1_act: added tensor %s, expected (%d, %d, *S) for x %s", NeopTensorShapeString(z, bz, sizeof(bz)),
             x->shape[0], cout, NeopTensorShapeString(x, bx, sizeof(bx)));
  for (int d = 2; d < x->ndim; d++)
    PetscCheck(z->shape[d] == x->shape[d], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "conv1x1_act: added tensor %s, x %s",
               NeopTensorShapeString(z, bz, sizeof(bz)), NeopTensorShapeString(x, bx, sizeof(bx)));
  PetscCheck(!b || (b->ndim == 1 && b->shape[0] == cout), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "conv1x1_act: bias of %d values for %d outputs", b ? b->shape[0] : 0, cout);
  PetscCall(PetscLogEventBegin(ev_conv_act, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, z, y));
  s = (*y)->data;
  /* a backward needs act'(s): s goes to its own buffer, overwritten by act'(s) */
  if (act != NEOP_UNARY_IDENTITY && NeopTapeNeedsGrad(t, 4, in)) {
    PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)(*y)->size, (void **)&dact));
    s = dact;
  }
  PetscCall(be->field->add_linear_act(x->shape[0], cin, cout, P, W->data, x->data, z->data, b ? b->data : NULL, act, s, (*y)->data, dact));
  PetscCall(NeopTapeRecord(t, "conv1x1_act", conv1x1_act_backward, 4, in, *y, &node));
  if (node) {
    ConvActCtx *ctx;
    PetscCall(NeopTapeAlloc(t, sizeof(*ctx), (void **)&ctx));
    *ctx            = (ConvActCtx){.N = x->shape[0], .cin = cin, .cout = cout, .P = P, .dact = dact};
    node->ctx       = ctx;
    node->pass_grad = 4; /* dz = ds, y's gradient once the backward has scaled it */
  }
  PetscCall(PetscLogEventEnd(ev_conv_act, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
