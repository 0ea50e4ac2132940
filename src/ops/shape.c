/* Reshape (a view) and permute (a strided copy). */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_shape;

static void contiguous_strides(const NeopTensor *x, int64_t *s)
{
  for (int d = 0; d < x->ndim; d++) s[d] = NeopTensorStride(x, d + 1);
}

/* y shares x's data but has its own gradient buffer: dx += dy */
static PetscErrorCode reshape_backward(NeopTape *t, NeopTapeNode *n)
{
  float *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dx));
  NeopBackendGet()->axpby(n->out->size, 1.f, n->out->grad, 1.f, dx);
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpReshape(NeopTape *t, NeopTensor *x, int ndim, const int *shape, NeopTensor **y)
{
  int     s[NEOP_MAX_DIMS], infer = -1;
  int64_t known = 1;
  char    bx[96], by[96];

  PetscFunctionBegin;
  if (!ev_shape) PetscCall(NeopLogEvent("NeopShape", &ev_shape));
  PetscCheck(ndim >= 0 && ndim <= NEOP_MAX_DIMS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "reshape: %d dims, at most %d", ndim, NEOP_MAX_DIMS);
  for (int d = 0; d < ndim; d++) {
    s[d] = shape[d];
    if (shape[d] == -1) {
      PetscCheck(infer < 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "reshape of x %s: more than one extent is -1",
                 NeopTensorShapeString(x, bx, sizeof(bx)));
      infer = d;
    } else {
      PetscCheck(shape[d] >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "reshape: extent %d in dim %d", shape[d], d);
      known *= shape[d];
    }
  }
  if (infer >= 0) {
    PetscCheck(known > 0 && x->size % known == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
               "reshape: cannot infer the -1 extent: x %s has %lld values, not a multiple of %lld",
               NeopTensorShapeString(x, bx, sizeof(bx)), (long long)x->size, (long long)known);
    s[infer] = (int)(x->size / known);
  }
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeAlloc(t, sizeof(NeopTensor), (void **)y));
  PetscCall(PetscMemzero(*y, sizeof(NeopTensor)));
  PetscCall(NeopTensorSetShape(*y, ndim, s));
  PetscCheck((*y)->size == x->size, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "reshape: x %s has %lld values, shape %s has %lld",
             NeopTensorShapeString(x, bx, sizeof(bx)), (long long)x->size, NeopTensorShapeString(*y, by, sizeof(by)),
             (long long)(*y)->size);
  (*y)->data = x->data;
  PetscCall(NeopTapeRecord(t, "reshape", reshape_backward, 1, &x, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* x's strides in y's order: y[i] = x[sum_d i_d sx[perm[d]]] */
static void permuted_strides(const NeopTensor *x, const int *perm, int64_t *s)
{
  int64_t sx[NEOP_MAX_DIMS];
  contiguous_strides(x, sx);
  for (int d = 0; d < x->ndim; d++) s[d] = sx[perm[d]];
}

static PetscErrorCode permute_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0], *y = n->out;
  int64_t     sp[NEOP_MAX_DIMS], sy[NEOP_MAX_DIMS];
  float      *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  permuted_strides(x, n->ints, sp);
  contiguous_strides(y, sy);
  /* a permutation is one-to-one: scatter dy back through x's strides */
  NeopBackendGet()->copy_strided(y->ndim, y->shape, sy, y->grad, sp, 1.f, dx);
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpPermute(NeopTape *t, NeopTensor *x, const int *perm, NeopTensor **y)
{
  NeopTapeNode *node;
  int           shape[NEOP_MAX_DIMS], seen = 0;
  int64_t       sp[NEOP_MAX_DIMS], sy[NEOP_MAX_DIMS];
  char          bx[96];

  PetscFunctionBegin;
  if (!ev_shape) PetscCall(NeopLogEvent("NeopShape", &ev_shape));
  for (int d = 0; d < x->ndim; d++) {
    PetscCheck(perm[d] >= 0 && perm[d] < x->ndim && !(seen >> perm[d] & 1), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
               "permute: entry %d (%d) of the permutation is out of range or repeated for x %s", d, perm[d],
               NeopTensorShapeString(x, bx, sizeof(bx)));
    seen |= 1 << perm[d];
    shape[d] = x->shape[perm[d]];
  }
  PetscCall(PetscLogEventBegin(ev_shape, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  permuted_strides(x, perm, sp);
  contiguous_strides(*y, sy);
  NeopBackendGet()->copy_strided(x->ndim, shape, sp, x->data, sy, 0.f, (*y)->data);
  PetscCall(NeopTapeRecord(t, "permute", permute_backward, 1, &x, *y, &node));
  if (node)
    for (int d = 0; d < x->ndim; d++) node->ints[d] = perm[d];
  PetscCall(PetscLogEventEnd(ev_shape, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
