/* The fused Fourier layer y = act(SpectralConv(v) + W v + b): one tape node
   keeping act'(z) (z the pre-activation) and y, see include/neop/nn/fourier_layer.h. */
#include <neop/nn/fourier_layer.h>
#include <neop/nn/field_kernels.h>
#include <neop/log.h>

static PetscLogEvent ev_fl;

typedef struct {
  NeopSpectralShape shape;
  NeopUnaryKind     act;
  float            *dact; /* (N, C, *S) act'(z); NULL for the identity */
  float            *xk;   /* (K, N, Cin, 2) kept input modes */
} FourierCtx;

static PetscErrorCode fourier_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be  = NeopBackendGet();
  FourierCtx        *ctx = (FourierCtx *)n->ctx;
  int                nw = NeopSpectralCorners(ctx->shape.dim), N = ctx->shape.N, cin = ctx->shape.cin, cout = ctx->shape.cout;
  NeopTensor        *v = n->in[0], *W = n->in[1 + nw], *b = n->nin > 2 + nw ? n->in[2 + nw] : NULL, *y = n->out;
  int64_t            P = NeopTensorStride(v, 2);
  const float       *w[NEOP_SPECTRAL_MAX_CORNERS];
  float             *dw[NEOP_SPECTRAL_MAX_CORNERS], *dv, *dW, *db, *g = y->grad; /* g (N, cout, P) */
  PetscBool          any = PETSC_FALSE, fresh;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_fl, 0, 0, 0, 0));
  PetscCall(NeopTapeGradFresh(t, v, &dv, &fresh)); /* a fresh dv is overwritten by the 1x1 part, then added to */
  for (int c = 0; c < nw; c++) {
    w[c] = n->in[1 + c]->data;
    PetscCall(NeopTapeGrad(t, n->in[1 + c], &dw[c]));
    any = (PetscBool)(any || dw[c]);
  }
  for (int c = 0; c < nw; c++)
    PetscCheck(!any || dw[c], PETSC_COMM_SELF, PETSC_ERR_SUP, "Fourier layer: some corner weights need a gradient and some do not");
  PetscCall(NeopTapeGrad(t, W, &dW));
  PetscCall(NeopTapeGrad(t, b, &db));
  /* sample by sample: dz = dy act'(z) in place in y's gradient (nothing reads it after this node), db, and
     dv[s] (Cin, P) += W^T (Cin, Cout) dz[s] (Cout, P), dW (Cout, Cin) += sum_s dz[s] v[s]^T; then the spectral part from dz */
  PetscCall(be->field->linear_backward(N, cin, cout, P, W->data, v->data, ctx->dact, g, fresh ? 0.f : 1.f, dv, dW, db));
  PetscCall(be->spectral->backward(&ctx->shape, g, w, ctx->xk, dv, any ? dw : NULL));
  PetscCall(PetscLogEventEnd(ev_fl, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpFourierLayer(NeopTape *t, NeopSpectralMethod method, NeopTensor *v, int nw, NeopTensor *const *w, NeopTensor *W,
                                  NeopTensor *b, NeopUnaryKind act, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopSpectralShape  s;
  NeopTensor        *in[3 + NEOP_SPECTRAL_MAX_CORNERS];
  NeopTapeNode      *node;
  const float       *wd[NEOP_SPECTRAL_MAX_CORNERS];
  float             *xk, *z, *dact = NULL; /* z, dact (N, Cout, P): the pre-activation, then act'(z) over it */
  int                shape[NEOP_MAX_DIMS], nin = 0;
  int64_t            P;
  char               bv[96], bw[96];

  PetscFunctionBegin;
  if (!ev_fl) PetscCall(NeopLogEvent("NeopFourierLayer", &ev_fl));
  PetscCall(NeopSpectralShapeSet(method, v, nw, w, &s));
  PetscCheck(W->ndim == 2 && W->shape[0] == s.cout && W->shape[1] == s.cin, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "Fourier layer: W %s must be (%d, %d) for v %s and spectral weights %s", NeopTensorShapeString(W, bw, sizeof(bw)), s.cout,
             s.cin, NeopTensorShapeString(v, bv, sizeof(bv)), NeopTensorShapeString(w[0], bw + 48, sizeof(bw) - 48));
  PetscCheck(!b || (b->ndim == 1 && b->shape[0] == s.cout), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Fourier layer: bias of %d values for %d outputs",
             b ? b->shape[0] : 0, s.cout);
  PetscCall(PetscLogEventBegin(ev_fl, 0, 0, 0, 0));
  P = NeopTensorStride(v, 2);
  for (int i = 0; i < v->ndim; i++) shape[i] = v->shape[i];
  shape[1] = s.cout;
  in[nin++] = v;
  for (int c = 0; c < nw; c++) in[nin++] = w[c];
  in[nin++] = W;
  if (b) in[nin++] = b;
  PetscCall(NeopTapeTensor(t, v->ndim, shape, y)); /* (N, Cout, *S) */
  z = (*y)->data;
  /* a backward needs act'(z): z goes to its own buffer, overwritten by act'(z) */
  if (act != NEOP_UNARY_IDENTITY && NeopTapeNeedsGrad(t, nin, in)) {
    PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)(*y)->size, (void **)&dact));
    z = dact;
  }
  PetscCall(NeopTapeAlloc(t, sizeof(float) * 2 * (size_t)(NeopSpectralKeptModes(&s) * s.N * s.cin), (void **)&xk));
  for (int c = 0; c < nw; c++) wd[c] = w[c]->data;
  /* z = K(v), then z += W v, y = act(z + b) and act'(z + b), sample by sample while it is in cache */
  PetscCall(be->spectral->forward(&s, v->data, wd, xk, z));
  PetscCall(be->field->linear_act(s.N, s.cin, s.cout, P, W->data, v->data, 1.f, b ? b->data : NULL, act, z, (*y)->data, dact));
  PetscCall(NeopTapeRecord(t, "fourier_layer", fourier_backward, nin, in, *y, &node));
  if (node) {
    FourierCtx *ctx;
    PetscCall(NeopTapeAlloc(t, sizeof(*ctx), (void **)&ctx));
    ctx->shape = s;
    ctx->act   = act;
    ctx->dact  = dact;
    ctx->xk    = xk;
    node->ctx  = ctx;
  }
  PetscCall(PetscLogEventEnd(ev_fl, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
