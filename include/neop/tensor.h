/* Tensors: contiguous float32 arrays of up to 6 dims (3-D fields are 5-D; 3-D spectral weights 6-D), row-major.
   Fields are (N, C, spatial...), sequences (N, tokens, features).
   Complex values are stored as a trailing dimension of 2 (re, im). */
#pragma once
#include <neop/petsc_compat.h>
#include <stdint.h>

#define NEOP_MAX_DIMS 6

typedef struct NeopTensor {
  int      ndim;
  int      shape[NEOP_MAX_DIMS];
  int64_t  size;          /* product of shape */
  float   *data;          /* [size], backend memory */
  float   *grad;          /* [size] or NULL until backward needs it */
  PetscBool requires_grad; /* parameter, or computed from one on a recording tape */
  PetscBool is_param;      /* data/grad are views into the flat parameter buffers */
} NeopTensor;

/* Number of elements from dim d onwards (d = ndim gives 1). Not collective. */
static inline int64_t NeopTensorStride(const NeopTensor *t, int d)
{
  int64_t s = 1;
  for (int i = d; i < t->ndim; i++) s *= t->shape[i];
  return s;
}

/* Fills shape/ndim/size of t from an array of dims. Not collective. */
PetscErrorCode NeopTensorSetShape(NeopTensor *t, int ndim, const int *shape);
/* True when two tensors have identical shapes. */
PetscBool NeopTensorSameShape(const NeopTensor *a, const NeopTensor *b);
/* Writes "(2, 3, 85, 85)" into buf. */
const char *NeopTensorShapeString(const NeopTensor *t, char *buf, size_t len);
