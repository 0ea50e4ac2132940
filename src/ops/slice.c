/* Slices along one dim and concatenation: strided box copies between tensors. */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_shape;

static void contiguous_strides(const NeopTensor *x, int64_t *s)
{
  for (int d = 0; d < x->ndim; d++) s[d] = NeopTensorStride(x, d + 1);
}

/* node: ints = {dim, start, step}; y[.., i, ..] = x[.., start + i step, ..] */
static PetscErrorCode slice_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0], *y = n->out;
  int         dim = n->ints[0], start = n->ints[1], step = n->ints[2];
  int64_t     sx[NEOP_MAX_DIMS], sy[NEOP_MAX_DIMS];
  float      *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  contiguous_strides(x, sx);
  contiguous_strides(y, sy);
  sx[dim] *= step;
  NeopBackendGet()->copy_strided(y->ndim, y->shape, sy, y->grad, sx, 1.f, dx + start * NeopTensorStride(x, dim + 1));
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpSlice(NeopTape *t, NeopTensor *x, int dim, int start, int stop, int step, NeopTensor **y)
{
  NeopTapeNode *node;
  int           shape[NEOP_MAX_DIMS], n;
  int64_t       sx[NEOP_MAX_DIMS], sy[NEOP_MAX_DIMS];
  char          bx[96];

  PetscFunctionBegin;
  if (!ev_shape) PetscCall(NeopLogEvent("NeopShape", &ev_shape));
  PetscCheck(dim >= 0 && dim < x->ndim, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "slice: dim %d of x %s", dim,
             NeopTensorShapeString(x, bx, sizeof(bx)));
  n = x->shape[dim];
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  PetscCheck(step >= 1 && start >= 0 && start <= stop && stop <= n, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "slice: [%d:%d:%d] along dim %d of x %s (need 0 <= start <= stop <= %d, step >= 1)", start, stop, step, dim,
             NeopTensorShapeString(x, bx, sizeof(bx)), n);
  for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
  shape[dim] = (stop - start + step - 1) / step;
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  contiguous_strides(x, sx);
  contiguous_strides(*y, sy);
  sx[dim] *= step;
  NeopBackendGet()->copy_strided(x->ndim, shape, sx, x->data + start * NeopTensorStride(x, dim + 1), sy, 0.f, (*y)->data);
  PetscCall(NeopTapeRecord(t, "slice", slice_backward, 1, &x, *y, &node));
  if (node) {
    node->ints[0] = dim;
    node->ints[1] = start;
    node->ints[2] = step;
  }
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* node: ints[0] = dim; input k occupies [sum of earlier extents, + its extent) of y along dim */
static PetscErrorCode concat_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *y   = n->out;
  int         dim = n->ints[0];
  int64_t     sy[NEOP_MAX_DIMS], sx[NEOP_MAX_DIMS], off = 0;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  contiguous_strides(y, sy);
  for (int k = 0; k < n->nin; k++) {
    NeopTensor *x = n->in[k];
    float      *dx;
    PetscCall(NeopTapeGrad(t, x, &dx));
    contiguous_strides(x, sx);
    if (dx) NeopBackendGet()->copy_strided(x->ndim, x->shape, sy, y->grad + off * sy[dim], sx, 1.f, dx);
    off += x->shape[dim];
  }
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpConcat(NeopTape *t, int n, NeopTensor *const *x, int dim, NeopTensor **y)
{
  NeopTapeNode *node;
  int           shape[NEOP_MAX_DIMS];
  int64_t       sy[NEOP_MAX_DIMS], sx[NEOP_MAX_DIMS], off = 0;
  char          b0[96], bk[96];

  PetscFunctionBegin;
  if (!ev_shape) PetscCall(NeopLogEvent("NeopShape", &ev_shape));
  PetscCheck(n >= 1 && n <= NEOP_TAPE_MAX_INPUTS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "concat: %d tensors, must be 1 to %d", n, NEOP_TAPE_MAX_INPUTS);
  PetscCheck(dim >= 0 && dim < x[0]->ndim, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "concat: dim %d of %s", dim,
             NeopTensorShapeString(x[0], b0, sizeof(b0)));
  for (int d = 0; d < x[0]->ndim; d++) shape[d] = x[0]->shape[d];
  for (int k = 1; k < n; k++) {
    PetscBool ok = x[k]->ndim == x[0]->ndim;
    for (int d = 0; ok && d < x[0]->ndim; d++) ok = d == dim || x[k]->shape[d] == x[0]->shape[d];
    PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "concat along dim %d: tensor 0 %s and tensor %d %s differ elsewhere",
               dim, NeopTensorShapeString(x[0], b0, sizeof(b0)), k, NeopTensorShapeString(x[k], bk, sizeof(bk)));
    shape[dim] += x[k]->shape[dim];
  }
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x[0]->ndim, shape, y));
  contiguous_strides(*y, sy);
  for (int k = 0; k < n; k++) {
    contiguous_strides(x[k], sx);
    NeopBackendGet()->copy_strided(x[k]->ndim, x[k]->shape, sx, x[k]->data, sy, 0.f, (*y)->data + off * sy[dim]);
    off += x[k]->shape[dim];
  }
  PetscCall(NeopTapeRecord(t, "concat", concat_backward, n, x, *y, &node));
  if (node) node->ints[0] = dim;
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
