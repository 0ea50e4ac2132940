/* Convolution ops (1-D and 2-D, any kernel, stride, padding mode) on the
   backend's conv kernels. y = z + alpha conv(x, W) + b, z and b optional. */
#include "nn/conv_impl.h"
#include <neop/log.h>

static PetscLogEvent ev_conv;

static const char *const mode_names[NEOP_PAD_COUNT] = {"zero", "circular", "reflect"};

const char *NeopPadModeName(NeopPadMode mode) { return mode < NEOP_PAD_COUNT ? mode_names[mode] : "?"; }

PetscErrorCode NeopPadModeFromName(const char *name, NeopPadMode *mode)
{
  PetscFunctionBegin;
  if (!strcmp(name, "zeros")) name = "zero";
  for (int k = 0; k < NEOP_PAD_COUNT; k++)
    if (!strcmp(name, mode_names[k])) {
      *mode = (NeopPadMode)k;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_UNKNOWN_TYPE, "unknown padding mode '%s' (zero, circular, reflect)", name);
}

PetscErrorCode neop_conv_work(size_t floats, float **work)
{
  static float *buf;
  static size_t cap;

  PetscFunctionBegin;
  if (floats > cap) {
    if (buf) PetscCall(NeopBackendGet()->free(buf));
    PetscCall(NeopBackendGet()->alloc(floats * sizeof(float), (void **)&buf));
    cap = floats;
  }
  *work = buf;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_conv_check_pad(const char *op, NeopPadMode mode, int p, int n)
{
  PetscFunctionBegin;
  PetscCheck(p >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s: negative padding %d", op, p);
  PetscCheck(mode != NEOP_PAD_CIRCULAR || p <= n, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "%s: circular padding %d larger than the extent %d", op, p, n);
  PetscCheck(mode != NEOP_PAD_REFLECT || p < n, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "%s: reflect padding %d must be smaller than the extent %d", op, p, n);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode conv_backward(NeopTape *t, NeopTapeNode *node)
{
  const NeopConvKernels *k = NeopBackendGet()->conv;
  const NeopConvGeom    *g = (const NeopConvGeom *)node->ctx;
  NeopTensor            *x = node->in[0], *W = node->in[1], *b = node->in[2], *z = node->in[3], *y = node->out;
  float                  alpha = (float)node->real[0], *dx, *dW, *db, *dz, *work;
  PetscBool              fresh;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_conv, 0, 0, 0, 0));
  PetscCall(NeopTapeGradFresh(t, x, &dx, &fresh)); /* a fresh dx is written, not added to: no zero-fill */
  PetscCall(NeopTapeGrad(t, W, &dW));
  PetscCall(NeopTapeGrad(t, b, &db));
  PetscCall(NeopTapeGrad(t, z, &dz));
  PetscCall(neop_conv_work(k->workspace(g), &work));
  if (dx) k->conv_adjoint(g, alpha, y->grad, W->data, fresh ? NULL : dx, dx, work);
  if (dW) k->conv_weight_grad(g, alpha, x->data, y->grad, dW, work);
  if (db) NeopBackendGet()->bias_grad(g->n, g->cy, (int64_t)g->ho * g->wo, y->grad, db);
  if (dz && dz != y->grad) NeopBackendGet()->unary_backward(NEOP_UNARY_IDENTITY, y->size, NULL, NULL, y->grad, dz);
  PetscCall(PetscLogEventEnd(ev_conv, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpConvAdd(NeopTape *t, NeopTensor *z, float alpha, NeopTensor *x, NeopTensor *W, NeopTensor *b,
                             const NeopConvSpec *spec, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *in[4] = {x, W, b, z};
  NeopTapeNode      *node;
  NeopConvGeom       g;
  int                d, shape[4], so[2], k[2], s[2], p[2];
  float             *work;
  char               bx[96], bw[96], bz[96];

  PetscFunctionBegin;
  if (!ev_conv) PetscCall(NeopLogEvent("NeopConv", &ev_conv));
  PetscCheck((x->ndim == 3 || x->ndim == 4) && W->ndim == x->ndim && W->shape[1] == x->shape[1], PETSC_COMM_SELF,
             PETSC_ERR_ARG_SIZ, "conv: x %s (N, Cin, *S) does not match W %s (Cout, Cin, *k), 1-D or 2-D",
             NeopTensorShapeString(x, bx, sizeof(bx)), NeopTensorShapeString(W, bw, sizeof(bw)));
  PetscCheck(!b || (b->ndim == 1 && b->shape[0] == W->shape[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "conv: bias of %d values for %d outputs", b ? b->shape[0] : 0, W->shape[0]);
  d = x->ndim - 2;
  for (int i = 0; i < d; i++) {
    k[i] = W->shape[2 + i];
    s[i] = spec->stride[i] ? spec->stride[i] : 1;
    p[i] = spec->padding[i];
    PetscCheck(s[i] >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "conv: stride %d in dim %d", s[i], i);
    PetscCall(neop_conv_check_pad("conv", spec->mode, p[i], x->shape[2 + i]));
    so[i] = x->shape[2 + i] + 2 * p[i] >= k[i] ? (x->shape[2 + i] + 2 * p[i] - k[i]) / s[i] + 1 : 0;
    PetscCheck(so[i] >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "conv: kernel %d larger than the padded extent %d + 2*%d",
               k[i], x->shape[2 + i], p[i]);
  }
  shape[0] = x->shape[0], shape[1] = W->shape[0];
  for (int i = 0; i < d; i++) shape[2 + i] = so[i];
  /* 1-D is 2-D with a height of 1 */
  g = (NeopConvGeom){.n = x->shape[0], .cx = x->shape[1], .cy = W->shape[0], .h = d == 2 ? x->shape[2] : 1,
                     .w = x->shape[1 + d], .ho = d == 2 ? so[0] : 1, .wo = so[d - 1], .kh = d == 2 ? k[0] : 1,
                     .kw = k[d - 1], .sh = d == 2 ? s[0] : 1, .sw = s[d - 1], .ph = d == 2 ? p[0] : 0,
                     .pw = p[d - 1], .mode = spec->mode};

  PetscCall(PetscLogEventBegin(ev_conv, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  if (z) {
    PetscCheck(NeopTensorSameShape(z, *y), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "conv: added tensor %s, output %s",
               NeopTensorShapeString(z, bz, sizeof(bz)), NeopTensorShapeString(*y, bx, sizeof(bx)));
  }
  PetscCall(neop_conv_work(be->conv->workspace(&g), &work));
  be->conv->conv(&g, alpha, x->data, W->data, z ? z->data : NULL, (*y)->data, work);
  if (b) be->bias_add(g.n, g.cy, (int64_t)g.ho * g.wo, b->data, 1.f, (*y)->data);
  PetscCall(NeopTapeRecord(t, "conv", conv_backward, 4, in, *y, &node));
  if (node) {
    PetscCall(NeopTapeAlloc(t, sizeof(g), &node->ctx));
    *(NeopConvGeom *)node->ctx = g;
    node->real[0]   = alpha;
    node->pass_grad = z ? 4 : 0; /* dz = dy */
  }
  PetscCall(PetscLogEventEnd(ev_conv, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpConv(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, const NeopConvSpec *spec, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(NeopOpConvAdd(t, NULL, 1.f, x, W, b, spec, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
