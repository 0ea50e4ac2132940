/* Transposed convolution (torch.nn.ConvTranspose1d/2d, zero padding): the
   adjoint of the convolution that maps the output grid back to the input
   grid, so it runs on the same kernels with the roles of X and Y swapped:
   forward = conv_adjoint, input gradient = conv, weight gradient =
   conv_weight_grad with the output gradient as the image. */
#include "nn/conv_impl.h"
#include <neop/log.h>

static PetscLogEvent ev_convt;

static PetscErrorCode conv_transpose_backward(NeopTape *t, NeopTapeNode *node)
{
  const NeopConvKernels *k = NeopBackendGet()->conv;
  const NeopConvGeom    *g = (const NeopConvGeom *)node->ctx;
  NeopTensor            *x = node->in[0], *W = node->in[1], *b = node->in[2], *z = node->in[3], *y = node->out;
  float                  alpha = (float)node->real[0], *dx, *dW, *db, *dz, *work;
  PetscBool              fresh;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_convt, 0, 0, 0, 0));
  PetscCall(NeopTapeGradFresh(t, x, &dx, &fresh)); /* a fresh dx is written, not added to: no zero-fill */
  PetscCall(NeopTapeGrad(t, W, &dW));
  PetscCall(NeopTapeGrad(t, b, &db));
  PetscCall(NeopTapeGrad(t, z, &dz));
  PetscCall(neop_conv_work(k->workspace(g), &work));
  /* y = alpha W^T x: dx += alpha W dy, dW += alpha x (x) patches(dy) */
  if (dx) k->conv(g, alpha, y->grad, W->data, fresh ? NULL : dx, dx, work);
  if (dW) k->conv_weight_grad(g, alpha, y->grad, x->data, dW, work);
  if (db) NeopBackendGet()->bias_grad(g->n, g->cx, (int64_t)g->h * g->w, y->grad, db);
  if (dz && dz != y->grad) NeopBackendGet()->unary_backward(NEOP_UNARY_IDENTITY, y->size, NULL, NULL, y->grad, dz);
  PetscCall(PetscLogEventEnd(ev_convt, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpConvTransposeAdd(NeopTape *t, NeopTensor *z, float alpha, NeopTensor *x, NeopTensor *W, NeopTensor *b,
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
  if (!ev_convt) PetscCall(NeopLogEvent("NeopConvTranspose", &ev_convt));
  PetscCheck((x->ndim == 3 || x->ndim == 4) && W->ndim == x->ndim && W->shape[0] == x->shape[1], PETSC_COMM_SELF,
             PETSC_ERR_ARG_SIZ, "conv_transpose: x %s (N, Cin, *S) does not match W %s (Cin, Cout, *k), 1-D or 2-D",
             NeopTensorShapeString(x, bx, sizeof(bx)), NeopTensorShapeString(W, bw, sizeof(bw)));
  PetscCheck(!b || (b->ndim == 1 && b->shape[0] == W->shape[1]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "conv_transpose: bias of %d values for %d outputs", b ? b->shape[0] : 0, W->shape[1]);
  PetscCheck(spec->mode == NEOP_PAD_ZERO, PETSC_COMM_SELF, PETSC_ERR_SUP,
             "conv_transpose: only zero padding (as torch), not %s", NeopPadModeName(spec->mode));
  d = x->ndim - 2;
  for (int i = 0; i < d; i++) {
    int op = spec->output_padding[i];
    k[i]   = W->shape[2 + i];
    s[i]   = spec->stride[i] ? spec->stride[i] : 1;
    p[i]   = spec->padding[i];
    PetscCheck(s[i] >= 1 && p[i] >= 0 && op >= 0 && op < s[i], PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "conv_transpose: dim %d has stride %d, padding %d, output_padding %d (need output_padding < stride)", i,
               s[i], p[i], op);
    so[i] = (x->shape[2 + i] - 1) * s[i] - 2 * p[i] + k[i] + op;
    PetscCheck(so[i] >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "conv_transpose: output extent %d in dim %d", so[i], i);
  }
  shape[0] = x->shape[0], shape[1] = W->shape[1];
  for (int i = 0; i < d; i++) shape[2 + i] = so[i];
  /* conv direction: the output is the image X, the input the kernel side Y */
  g = (NeopConvGeom){.n = x->shape[0], .cx = W->shape[1], .cy = x->shape[1], .h = d == 2 ? so[0] : 1,
                     .w = so[d - 1], .ho = d == 2 ? x->shape[2] : 1, .wo = x->shape[1 + d], .kh = d == 2 ? k[0] : 1,
                     .kw = k[d - 1], .sh = d == 2 ? s[0] : 1, .sw = s[d - 1], .ph = d == 2 ? p[0] : 0,
                     .pw = p[d - 1], .mode = NEOP_PAD_ZERO};

  PetscCall(PetscLogEventBegin(ev_convt, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  if (z) {
    PetscCheck(NeopTensorSameShape(z, *y), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
               "conv_transpose: added tensor %s, output %s", NeopTensorShapeString(z, bz, sizeof(bz)),
               NeopTensorShapeString(*y, bx, sizeof(bx)));
  }
  PetscCall(neop_conv_work(be->conv->workspace(&g), &work));
  be->conv->conv_adjoint(&g, alpha, x->data, W->data, z ? z->data : NULL, (*y)->data, work);
  if (b) be->bias_add(g.n, g.cx, (int64_t)g.h * g.w, b->data, 1.f, (*y)->data);
  PetscCall(NeopTapeRecord(t, "conv_transpose", conv_transpose_backward, 4, in, *y, &node));
  if (node) {
    PetscCall(NeopTapeAlloc(t, sizeof(g), &node->ctx));
    *(NeopConvGeom *)node->ctx = g;
    node->real[0]   = alpha;
    node->pass_grad = z ? 4 : 0; /* dz = dy */
  }
  PetscCall(PetscLogEventEnd(ev_convt, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpConvTranspose(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, const NeopConvSpec *spec,
                                   NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(NeopOpConvTransposeAdd(t, NULL, 1.f, x, W, b, spec, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
