#include <neop/tensor.h>
#include <stdio.h>

PetscErrorCode NeopTensorSetShape(NeopTensor *t, int ndim, const int *shape)
{
  PetscFunctionBegin;
  PetscCheck(ndim >= 0 && ndim <= NEOP_MAX_DIMS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "tensor rank %d outside [0, %d]", ndim, NEOP_MAX_DIMS);
  t->ndim = ndim;
  t->size = 1;
  for (int d = 0; d < NEOP_MAX_DIMS; d++) t->shape[d] = d < ndim ? shape[d] : 1;
  for (int d = 0; d < ndim; d++) {
    PetscCheck(shape[d] >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "negative extent %d in dim %d", shape[d], d);
    t->size *= shape[d];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscBool NeopTensorSameShape(const NeopTensor *a, const NeopTensor *b)
{
  if (a->ndim != b->ndim) return PETSC_FALSE;
  for (int d = 0; d < a->ndim; d++)
    if (a->shape[d] != b->shape[d]) return PETSC_FALSE;
  return PETSC_TRUE;
}

const char *NeopTensorShapeString(const NeopTensor *t, char *buf, size_t len)
{
  size_t n = 0;
  n += (size_t)snprintf(buf + n, len - n, "(");
  for (int d = 0; d < t->ndim && n < len; d++) n += (size_t)snprintf(buf + n, len - n, d ? ", %d" : "%d", t->shape[d]);
  if (n < len) snprintf(buf + n, len - n, ")");
  return buf;
}
