/* Zero padding / cropping at the end of the spatial dims of a field. Both are
   one block copy between (outer, A0, A1, A2) and (outer, B0, B1, B2) layouts
   (spatial dims padded to 3 with leading 1s) over the common region. */
#include <neop/nn/pad.h>
#include <neop/log.h>

static PetscLogEvent ev_pad;

/* dst[o, i, j, k] (op)= src[o, i, j, k] for i < R0, j < R1, k < R2; add: += else = */
static void block_copy(int64_t outer, const int *A, const float *src, const int *B, float *dst, PetscBool add)
{
  int R[3] = {PetscMin(A[0], B[0]), PetscMin(A[1], B[1]), PetscMin(A[2], B[2])};
  int64_t sa = (int64_t)A[0] * A[1] * A[2], sb = (int64_t)B[0] * B[1] * B[2];
#pragma omp parallel for collapse(2) if (outer * R[0] * R[1] * R[2] > 65536)
  for (int64_t o = 0; o < outer; o++)
    for (int i = 0; i < R[0]; i++)
      for (int j = 0; j < R[1]; j++) {
        const float *s = src + o * sa + ((int64_t)i * A[1] + j) * A[2];
        float       *d = dst + o * sb + ((int64_t)i * B[1] + j) * B[2];
        if (add)
          for (int k = 0; k < R[2]; k++) d[k] += s[k];
        else
          for (int k = 0; k < R[2]; k++) d[k] = s[k];
      }
}

/* spatial extents of t, padded to 3 with leading 1s */
static void spatial3(const NeopTensor *t, int *S)
{
  int d = t->ndim - 2;
  for (int i = 0; i < 3; i++) S[i] = i < 3 - d ? 1 : t->shape[2 + i - (3 - d)];
}

static PetscErrorCode pad_crop_backward(NeopTape *t, NeopTapeNode *n)
{
  int    A[3], B[3];
  float *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_pad, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  spatial3(n->out, A);
  spatial3(n->in[0], B);
  block_copy((int64_t)n->out->shape[0] * n->out->shape[1], A, n->out->grad, B, dx, PETSC_TRUE);
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
  if (sign > 0) PetscCall(NeopBackendGet()->zero((*y)->data, sizeof(float) * (size_t)(*y)->size));
  spatial3(x, A);
  spatial3(*y, B);
  block_copy((int64_t)x->shape[0] * x->shape[1], A, x->data, B, (*y)->data, PETSC_FALSE);
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
