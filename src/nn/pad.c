/* Zero padding / cropping at the end of the spatial dims of a field. Both are
   one block copy between (outer, A0, A1, A2) and (outer, B0, B1, B2) layouts
   (spatial dims padded to 3 with leading 1s) over the common region: the
   backend's field->resize kernel. */
#include <neop/nn/pad.h>
#include <neop/nn/field_kernels.h>
#include <neop/log.h>

static PetscLogEvent ev_pad;

/* spatial extents of t, padded to 3 with leading 1s */
static void spatial3(const NeopTensor *t, int *S)
{
  int d = t->ndim - 2;
  for (int i = 0; i < 3; i++) S[i] = i < 3 - d ? 1 : t->shape[2 + i - (3 - d)];
}

static PetscErrorCode pad_crop_backward(NeopTape *t, NeopTapeNode *n)
{
  int       A[3], B[3];
  float    *dx;
  PetscBool fresh;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_pad, 0, 0, 0, 0));
  /* a fresh dx is written whole (zeros where a crop dropped points) instead of cleared and added to */
  PetscCall(NeopTapeGradFresh(t, n->in[0], &dx, &fresh));
  spatial3(n->out, A);
  spatial3(n->in[0], B);
  NeopBackendGet()->field->resize((int64_t)n->out->shape[0] * n->out->shape[1], A, n->out->grad, B, dx, (PetscBool)!fresh);
  PetscCall(PetscLogEventEnd(ev_pad, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode pad_crop(NeopTape *t, NeopTensor *x, const int *delta, int sign, NeopTensor **y)
{
  int  d = x->ndim - 2, shape[NEOP_MAX_DIMS], A[3], B[3];
  char bx[96];

  PetscFunctionBegin;
  if (!ev_pad) PetscCall(NeopLogEvent("NeopDomainPad", &ev_pad));
  PetscCheck(d >= 1 && d <= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "domain %s: x %s must be (N, C, S1[, S2[, S3]])",
             sign > 0 ? "pad" : "crop", NeopTensorShapeString(x, bx, sizeof(bx)));
  for (int i = 0; i < x->ndim; i++) shape[i] = x->shape[i];
  for (int i = 0; i < d; i++) {
    PetscCheck(delta[i] >= 0 && (sign > 0 || delta[i] < x->shape[2 + i]), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "domain %s of %d points in dim %d of x %s", sign > 0 ? "pad" : "crop", delta[i], i + 1,
               NeopTensorShapeString(x, bx, sizeof(bx)));
    shape[2 + i] += sign * delta[i];
  }
  PetscCall(PetscLogEventBegin(ev_pad, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  spatial3(x, A);
  spatial3(*y, B);
  NeopBackendGet()->field->resize((int64_t)x->shape[0] * x->shape[1], A, x->data, B, (*y)->data, PETSC_FALSE); /* zeros in the padding */
  PetscCall(NeopTapeRecord(t, sign > 0 ? "domain_pad" : "domain_crop", pad_crop_backward, 1, &x, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_pad, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpDomainPad(NeopTape *t, NeopTensor *x, const int *pad, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(pad_crop(t, x, pad, 1, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpDomainCrop(NeopTape *t, NeopTensor *x, const int *crop, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(pad_crop(t, x, crop, -1, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
