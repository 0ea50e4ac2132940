/* Spectral gating (depthwise spectral convolution): the FNO's truncated
   transforms (the backend's spectral kernels) with one complex weight per
   channel and kept mode instead of a (cin, cout) matrix per mode. The token
   mixer of the transformer's spectral blocks (src/nn/spectral_mixer.c). */
#include <neop/nn/spectral_conv.h>
#include <neop/log.h>

static PetscLogEvent ev_gate;

typedef struct {
  NeopSpectralShape shape;
  float            *xk; /* (K, N, C, 2) kept input modes */
} GateCtx;

static PetscErrorCode gate_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be  = NeopBackendGet();
  GateCtx           *ctx = (GateCtx *)n->ctx;
  int                nw  = n->nin - 1;
  const float       *w[NEOP_SPECTRAL_MAX_CORNERS];
  float             *dw[NEOP_SPECTRAL_MAX_CORNERS], *dx;
  PetscBool          any = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_gate, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  for (int c = 0; c < nw; c++) {
    w[c] = n->in[1 + c]->data;
    PetscCall(NeopTapeGrad(t, n->in[1 + c], &dw[c]));
    any = (PetscBool)(any || dw[c]);
  }
  for (int c = 0; c < nw; c++)
    PetscCheck(!any || dw[c], PETSC_COMM_SELF, PETSC_ERR_SUP, "spectral gate: some corner weights need a gradient and some do not");
  PetscCall(be->spectral->backward(&ctx->shape, n->out->grad, w, ctx->xk, dx, any ? dw : NULL));
  PetscCall(PetscLogEventEnd(ev_gate, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* x (N, C, *S) against the corner weights (C, *modes, 2) -> the kernels' shape */
static PetscErrorCode gate_shape(NeopSpectralMethod method, const NeopTensor *x, int nw, NeopTensor *const *w, NeopSpectralShape *sp)
{
  NeopSpectralShape s;
  int               d = x->ndim - 2;
  char              bx[96], bw[96];

  PetscFunctionBegin;
  PetscCheck(d >= 1 && d <= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "spectral gate: x %s must be (N, C, S1[, S2[, S3]])",
             NeopTensorShapeString(x, bx, sizeof(bx)));
  PetscCheck(nw == NeopSpectralCorners(d), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "spectral gate: %d-D needs %d corner weight tensors, got %d",
             d, NeopSpectralCorners(d), nw);
  PetscCall(PetscMemzero(&s, sizeof(s))); /* the shape is the kernels' cache key: unused entries zero */
  s.dim  = d;
  s.diag = 1;
  s.N    = x->shape[0];
  s.cin = s.cout = x->shape[1];
  for (int i = 0; i < d; i++) {
    s.S[i]     = x->shape[2 + i];
    s.modes[i] = w[0]->shape[1 + i];
  }
  for (int c = 0; c < nw; c++) {
    PetscBool ok = (PetscBool)(w[c]->ndim == d + 2 && w[c]->shape[0] == s.cin && w[c]->shape[d + 1] == 2);
    for (int i = 0; i < d && ok; i++) ok = (PetscBool)(w[c]->shape[1 + i] == s.modes[i]);
    PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "spectral gate: weight %d %s is not (%d, modes..., 2) of x %s", c,
               NeopTensorShapeString(w[c], bw, sizeof(bw)), s.cin, NeopTensorShapeString(x, bx, sizeof(bx)));
  }
  for (int i = 0; i < d; i++) {
    int most = i < d - 1 ? s.S[i] / 2 : s.S[i] / 2 + 1;
    PetscCheck(s.modes[i] >= 1 && s.modes[i] <= most, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "spectral gate: %d modes in dim %d of a grid of %d points (at most %d%s)", s.modes[i], i + 1, s.S[i], most,
               i < d - 1 ? ": the positive and negative modes would overlap" : "");
  }
  s.method = method == NEOP_SPECTRAL_AUTO ? NeopSpectralChooseMethod(&s) : method;
  *sp      = s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpSpectralGate(NeopTape *t, NeopSpectralMethod method, NeopTensor *x, int nw, NeopTensor *const *w, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopSpectralShape  s;
  NeopTensor        *in[1 + NEOP_SPECTRAL_MAX_CORNERS];
  NeopTapeNode      *node;
  const float       *wd[NEOP_SPECTRAL_MAX_CORNERS];
  float             *xk; /* (K, N, C, 2) */

  PetscFunctionBegin;
  if (!ev_gate) PetscCall(NeopLogEvent("NeopSpectralGate", &ev_gate));
  PetscCall(gate_shape(method, x, nw, w, &s));
  PetscCall(PetscLogEventBegin(ev_gate, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x->ndim, x->shape, y));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * 2 * (size_t)(NeopSpectralKeptModes(&s) * s.N * s.cin), (void **)&xk));
  in[0] = x;
  for (int c = 0; c < nw; c++) {
    in[1 + c] = w[c];
    wd[c]     = w[c]->data;
  }
  PetscCall(be->spectral->forward(&s, x->data, wd, xk, (*y)->data));
  PetscCall(NeopTapeRecord(t, "spectral_gate", gate_backward, 1 + nw, in, *y, &node));
  if (node) {
    GateCtx *ctx;
    PetscCall(NeopTapeAlloc(t, sizeof(*ctx), (void **)&ctx));
    ctx->shape = s;
    ctx->xk    = xk;
    node->ctx  = ctx;
  }
  PetscCall(PetscLogEventEnd(ev_gate, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopSpectralGateAddParams(NeopParams *p, const char *prefix, int dim, int C, const int *modes, double std, NeopTensor **w)
{
  int  shape[NEOP_MAX_DIMS];
  char name[80];

  PetscFunctionBegin;
  PetscCheck(dim >= 1 && dim <= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "spectral gate %s: %d spatial dims", prefix, dim);
  shape[0] = C;
  for (int i = 0; i < dim; i++) {
    PetscCheck(modes[i] >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "spectral gate %s: %d modes in dim %d", prefix, modes[i], i + 1);
    shape[1 + i] = modes[i];
  }
  shape[1 + dim] = 2;
  for (int c = 0; c < NeopSpectralCorners(dim); c++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s.weights%d", prefix, c + 1));
    PetscCall(NeopParamsAdd(p, name, dim + 2, shape, (NeopInit){NEOP_INIT_NORMAL, 0, std, 0, 0}, &w[c]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
