/* The spectral convolution op and its depthwise variant, the spectral gate of
   the transformer's spectral blocks (src/nn/spectral_mixer.c): shape checks,
   the tape node, and the parameter declarations; the transforms are the
   backend's (src/backend/cpu/spectral.c). */
#include <neop/nn/spectral_conv.h>
#include <neop/log.h>

#include <math.h>

static PetscLogEvent ev_spectral;

const char *const NeopSpectralMethods[] = {"auto", "fft", "dft", "NeopSpectralMethod", "NEOP_SPECTRAL_", NULL};

NeopSpectralMethod NeopSpectralChooseMethod(const NeopSpectralShape *s)
{
  /* flops per channel row of one transform direction: FFT lines of 2.5 n log2 n (real) and
     5 S log2 S (complex, on the kept columns); DFT products of 4 n m_d (real) and 16 m_i S_i (complex) */
  double fft = 0, dft = 0, cols = s->modes[s->dim - 1], lead = 1;
  int    n = s->S[s->dim - 1];
  for (int i = 0; i < s->dim - 1; i++) lead *= s->S[i];
  fft += lead * 2.5 * n * log2(n > 1 ? n : 2);
  dft += lead * 4.0 * n * cols;
  for (int i = s->dim - 2; i >= 0; i--) { /* FFT: full leading grid; DFT: dims after i already cut to their kept rows */
    double fother = cols * lead / s->S[i], dother = cols;
    for (int j = 0; j < s->dim - 1; j++)
      if (j != i) dother *= j < i ? s->S[j] : 2 * s->modes[j];
    fft += fother * 5.0 * s->S[i] * log2(s->S[i] > 1 ? s->S[i] : 2);
    dft += dother * 8.0 * 2 * s->modes[i] * s->S[i];
  }
  return dft <= NEOP_SPECTRAL_DFT_FACTOR * fft ? NEOP_SPECTRAL_DFT : NEOP_SPECTRAL_FFT;
}

int NeopSpectralCorners(int dim) { return 1 << (dim - 1); }

int64_t NeopSpectralKeptModes(const NeopSpectralShape *s)
{
  int64_t k = NeopSpectralCorners(s->dim);
  for (int i = 0; i < s->dim; i++) k *= s->modes[i];
  return k;
}

/* The op's saved state; the backward is shared by the full (cin, cout) mixing and
   the depthwise gate, whose kernels differ only in shape.diag. */
typedef struct {
  NeopSpectralShape shape;
  float            *xk;    /* (K, N, cin, 2) kept input modes */
  PetscLogEvent     event; /* NeopSpectralConv or NeopSpectralGate */
} SpectralCtx;

static PetscLogEvent ev_gate;

static PetscErrorCode spectral_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be  = NeopBackendGet();
  SpectralCtx       *ctx = (SpectralCtx *)n->ctx;
  int                nw  = n->nin - 1;
  const float       *w[NEOP_SPECTRAL_MAX_CORNERS];
  float             *dw[NEOP_SPECTRAL_MAX_CORNERS], *dx;
  PetscBool          any = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ctx->event, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  for (int c = 0; c < nw; c++) {
    w[c] = n->in[1 + c]->data;
    PetscCall(NeopTapeGrad(t, n->in[1 + c], &dw[c]));
    any = (PetscBool)(any || dw[c]);
  }
  /* corners are parameters of one layer: they need gradients together */
  for (int c = 0; c < nw; c++)
    PetscCheck(!any || dw[c], PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: some corner weights need a gradient and some do not", n->name);
  PetscCall(be->spectral->backward(&ctx->shape, n->out->grad, w, ctx->xk, dx, any ? dw : NULL));
  PetscCall(PetscLogEventEnd(ctx->event, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* x (N, Cin, *S) against the corner weights: (Cin, Cout, *modes, 2) each, or
   (C, *modes, 2) for the depthwise gate (diag) */
static PetscErrorCode shape_set(NeopSpectralMethod method, const NeopTensor *x, int nw, NeopTensor *const *w, int diag, NeopSpectralShape *sp)
{
  const char       *op = diag ? "spectral gate" : "spectral conv";
  int               d = x->ndim - 2, lead = diag ? 1 : 2; /* weight dims before the modes */
  NeopSpectralShape s;
  char              bx[96], bw[96];

  PetscFunctionBegin;
  PetscCheck(d >= 1 && d <= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: x %s must be (N, C, S1[, S2[, S3]])", op,
             NeopTensorShapeString(x, bx, sizeof(bx)));
  PetscCheck(nw == NeopSpectralCorners(d), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: %d-D needs %d corner weight tensors, got %d", op, d,
             NeopSpectralCorners(d), nw);
  PetscCall(PetscMemzero(&s, sizeof(s))); /* the shape is a cache key: unused entries zero */
  s.dim  = d;
  s.diag = diag;
  s.N    = x->shape[0];
  s.cin  = x->shape[1];
  s.cout = diag ? s.cin : w[0]->shape[1];
  for (int i = 0; i < d; i++) {
    s.S[i]     = x->shape[2 + i];
    s.modes[i] = w[0]->shape[lead + i];
  }
  for (int c = 0; c < nw; c++) {
    PetscBool ok = (PetscBool)(w[c]->ndim == d + lead + 1 && w[c]->shape[0] == s.cin && (diag || w[c]->shape[1] == s.cout) &&
                               w[c]->shape[d + lead] == 2);
    for (int i = 0; i < d && ok; i++) ok = (PetscBool)(w[c]->shape[lead + i] == s.modes[i]);
    PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: weight %d %s does not match x %s and weight 0 %s", op, c,
               NeopTensorShapeString(w[c], bw, sizeof(bw)), NeopTensorShapeString(x, bx, sizeof(bx)),
               NeopTensorShapeString(w[0], bw + 48, sizeof(bw) - 48));
  }
  for (int i = 0; i < d; i++) {
    int most = i < d - 1 ? s.S[i] / 2 : s.S[i] / 2 + 1;
    PetscCheck(s.modes[i] >= 1 && s.modes[i] <= most, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "%s: %d modes in dim %d of a grid of %d points (at most %d%s)", op, s.modes[i], i + 1, s.S[i], most,
               i < d - 1 ? ": the positive and negative modes would overlap" : "");
  }
  s.method = method == NEOP_SPECTRAL_AUTO ? NeopSpectralChooseMethod(&s) : method;
  *sp      = s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopSpectralShapeSet(NeopSpectralMethod method, const NeopTensor *x, int nw, NeopTensor *const *w, NeopSpectralShape *sp)
{
  PetscFunctionBegin;
  PetscCall(shape_set(method, x, nw, w, 0, sp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* y (N, cout, *S) = the backend's transforms with shape s, recorded on the tape */
static PetscErrorCode spectral_apply(NeopTape *t, const NeopSpectralShape *s, PetscLogEvent event, const char *name, NeopTensor *x, int nw,
                                     NeopTensor *const *w, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *in[1 + NEOP_SPECTRAL_MAX_CORNERS];
  NeopTapeNode      *node;
  const float       *wd[NEOP_SPECTRAL_MAX_CORNERS];
  float             *xk; /* (K, N, cin, 2) */
  int                shape[NEOP_MAX_DIMS];

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(event, 0, 0, 0, 0));
  for (int i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
  shape[1] = s->cout;
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * 2 * (size_t)(NeopSpectralKeptModes(s) * s->N * s->cin), (void **)&xk));
  in[0] = x;
  for (int c = 0; c < nw; c++) {
    in[1 + c] = w[c];
    wd[c]     = w[c]->data;
  }
  PetscCall(be->spectral->forward(s, x->data, wd, xk, (*y)->data));
  PetscCall(NeopTapeRecord(t, name, spectral_backward, 1 + nw, in, *y, &node));
  if (node) {
    SpectralCtx *ctx;
    PetscCall(NeopTapeAlloc(t, sizeof(*ctx), (void **)&ctx));
    ctx->shape = *s;
    ctx->xk    = xk;
    ctx->event = event;
    node->ctx  = ctx;
  }
  PetscCall(PetscLogEventEnd(event, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpSpectralConv(NeopTape *t, NeopSpectralMethod method, NeopTensor *x, int nw, NeopTensor *const *w,
                                  NeopTensor **y)
{
  NeopSpectralShape s;

  PetscFunctionBegin;
  if (!ev_spectral) PetscCall(NeopLogEvent("NeopSpectralConv", &ev_spectral));
  PetscCall(shape_set(method, x, nw, w, 0, &s));
  PetscCall(spectral_apply(t, &s, ev_spectral, "spectral_conv", x, nw, w, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpSpectralGate(NeopTape *t, NeopSpectralMethod method, NeopTensor *x, int nw, NeopTensor *const *w, NeopTensor **y)
{
  NeopSpectralShape s;

  PetscFunctionBegin;
  if (!ev_gate) PetscCall(NeopLogEvent("NeopSpectralGate", &ev_gate));
  PetscCall(shape_set(method, x, nw, w, 1, &s));
  PetscCall(spectral_apply(t, &s, ev_gate, "spectral_gate", x, nw, w, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the corner weights "<prefix>.weights<c>" of shape (lead..., *modes, 2) */
static PetscErrorCode add_corner_params(NeopParams *p, const char *op, const char *prefix, int dim, int nlead, const int *lead,
                                        const int *modes, NeopInit init, NeopTensor **w)
{
  int  shape[NEOP_MAX_DIMS];
  char name[80];

  PetscFunctionBegin;
  PetscCheck(dim >= 1 && dim <= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s %s: %d spatial dims", op, prefix, dim);
  for (int i = 0; i < nlead; i++) shape[i] = lead[i];
  for (int i = 0; i < dim; i++) {
    PetscCheck(modes[i] >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s %s: %d modes in dim %d", op, prefix, modes[i], i + 1);
    shape[nlead + i] = modes[i];
  }
  shape[nlead + dim] = 2;
  for (int c = 0; c < NeopSpectralCorners(dim); c++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s.weights%d", prefix, c + 1));
    PetscCall(NeopParamsAdd(p, name, nlead + dim + 1, shape, init, &w[c]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopSpectralConvAddParams(NeopParams *p, const char *prefix, int dim, int cin, int cout, const int *modes,
                                         NeopTensor **w)
{
  int lead[2] = {cin, cout};

  PetscFunctionBegin;
  PetscCall(add_corner_params(p, "spectral conv", prefix, dim, 2, lead, modes, NeopInitUniform(0.0, 1.0 / ((double)cin * cout)), w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopSpectralGateAddParams(NeopParams *p, const char *prefix, int dim, int C, const int *modes, double std, NeopTensor **w)
{
  PetscFunctionBegin;
  PetscCall(add_corner_params(p, "spectral gate", prefix, dim, 1, &C, modes, (NeopInit){NEOP_INIT_NORMAL, 0, std, 0, 0}, w));
  PetscFunctionReturn(PETSC_SUCCESS);
}
