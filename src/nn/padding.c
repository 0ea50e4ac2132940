/* Padding op (zero, circular, reflect) on the backend's pad kernels; the
   convolutions use the same kernels for their padding_mode. */
#include "nn/conv_impl.h"
#include <neop/log.h>

static PetscLogEvent ev_pad;

static PetscErrorCode pad_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0];
  int         d = x->ndim - 2;
  float      *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_pad, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  NeopBackendGet()->conv->pad_adjoint((NeopPadMode)n->ints[0], x->shape[0] * x->shape[1], d == 2 ? x->shape[2] : 1,
                                      x->shape[1 + d], n->ints[1], n->ints[2], n->out->grad, dx);
  PetscCall(PetscLogEventEnd(ev_pad, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpPadSpatial(NeopTape *t, NeopTensor *x, const int *pad, NeopPadMode mode, NeopTensor **y)
{
  NeopTapeNode *node;
  int           d, shape[4], ph, pw;
  char          bx[96];

  PetscFunctionBegin;
  if (!ev_pad) PetscCall(NeopLogEvent("NeopPad", &ev_pad));
  PetscCheck(x->ndim == 3 || x->ndim == 4, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "pad: x %s is not a 1-D or 2-D field",
             NeopTensorShapeString(x, bx, sizeof(bx)));
  PetscCheck(mode < NEOP_PAD_COUNT, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "pad: unknown mode %d", (int)mode);
  d = x->ndim - 2;
  for (int i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
  for (int i = 0; i < d; i++) {
    PetscCall(neop_conv_check_pad("pad", mode, pad[i], x->shape[2 + i]));
    shape[2 + i] += 2 * pad[i];
  }
  ph = d == 2 ? pad[0] : 0;
  pw = pad[d - 1];
  PetscCall(PetscLogEventBegin(ev_pad, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  NeopBackendGet()->conv->pad(mode, x->shape[0] * x->shape[1], d == 2 ? x->shape[2] : 1, x->shape[1 + d], ph, pw, x->data,
                              (*y)->data);
  PetscCall(NeopTapeRecord(t, "pad", pad_backward, 1, &x, *y, &node));
  if (node) node->ints[0] = (int)mode, node->ints[1] = ph, node->ints[2] = pw;
  PetscCall(PetscLogEventEnd(ev_pad, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
