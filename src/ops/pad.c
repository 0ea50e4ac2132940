/* Zero padding at the end of the trailing (spatial) dims and the crop that
   undoes it (FNO's domain padding). Both copy the common box of two tensors
   whose shapes differ only in those dims. */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_shape;

static void contiguous_strides(const NeopTensor *x, int64_t *s)
{
  for (int d = 0; d < x->ndim; d++) s[d] = NeopTensorStride(x, d + 1);
}

/* dst[box] = src[box] + beta dst[box], box = the smaller extent per dim */
static void copy_box(const NeopTensor *src, const float *s, const NeopTensor *dst, float beta, float *d)
{
  int     box[NEOP_MAX_DIMS];
  int64_t ss[NEOP_MAX_DIMS], sd[NEOP_MAX_DIMS];

  for (int k = 0; k < src->ndim; k++) box[k] = src->shape[k] < dst->shape[k] ? src->shape[k] : dst->shape[k];
  contiguous_strides(src, ss);
  contiguous_strides(dst, sd);
  NeopBackendGet()->copy_strided(src->ndim, box, ss, s, sd, beta, d);
}

static PetscErrorCode resize_backward(NeopTape *t, NeopTapeNode *n)
{
  float *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  copy_box(n->out, n->out->grad, n->in[0], 1.f, dx);
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the last nd dims change by sign * amount[i] */
static PetscErrorCode resize(NeopTape *t, const char *name, NeopTensor *x, int nd, const int *amount, int sign,
                             NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  int                shape[NEOP_MAX_DIMS];
  char               bx[96];

  PetscFunctionBegin;
  if (!ev_shape) PetscCall(NeopLogEvent("NeopShape", &ev_shape));
  PetscCheck(nd >= 0 && nd <= x->ndim, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s: %d trailing dims of x %s", name,
             nd, NeopTensorShapeString(x, bx, sizeof(bx)));
  for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
  for (int i = 0; i < nd; i++) {
    int d = x->ndim - nd + i;
    PetscCheck(amount[i] >= 0 && (sign > 0 || amount[i] <= x->shape[d]), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "%s: %d entries along dim %d of x %s", name, amount[i], d, NeopTensorShapeString(x, bx, sizeof(bx)));
    shape[d] += sign * amount[i];
  }
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  if (sign > 0) PetscCall(be->zero((*y)->data, (size_t)(*y)->size * sizeof(float)));
  copy_box(x, x->data, *y, 0.f, (*y)->data);
  PetscCall(NeopTapeRecord(t, name, resize_backward, 1, &x, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpPad(NeopTape *t, NeopTensor *x, int nd, const int *pad, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(resize(t, "pad", x, nd, pad, 1, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpCrop(NeopTape *t, NeopTensor *x, int nd, const int *crop, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(resize(t, "crop", x, nd, crop, -1, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
