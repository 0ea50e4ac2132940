/* Sums and norms: sum / mean over everything, sum over chosen dims, per-sample Lp norms.
   A summed dim is read with stride 0 on the output: forward is the backend's
   'reduce', backward its adjoint 'expand'. */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_reduce;

/* strides of the output over x's shape: contiguous over kept dims, 0 over summed ones (bit d of mask) */
static void summed_strides(const NeopTensor *x, int mask, int64_t *s)
{
  int64_t acc = 1;
  for (int d = x->ndim - 1; d >= 0; d--) {
    s[d] = mask >> d & 1 ? 0 : acc;
    if (!(mask >> d & 1)) acc *= x->shape[d];
  }
}

/* node: ints[0] = mask of summed dims, real[0] = factor */
static PetscErrorCode sum_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0];
  int64_t     s[NEOP_MAX_DIMS];
  float      *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_reduce, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  summed_strides(x, n->ints[0], s);
  NeopBackendGet()->expand(x->ndim, x->shape, s, (float)n->real[0], n->out->grad, 1.f, dx);
  PetscCall(PetscLogEventEnd(ev_reduce, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode sum_masked(NeopTape *t, const char *name, NeopTensor *x, int mask, double alpha, int ndim,
                                 const int *shape, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTapeNode      *node;
  int64_t            s[NEOP_MAX_DIMS];

  PetscFunctionBegin;
  if (!ev_reduce) PetscCall(NeopLogEvent("NeopReduce", &ev_reduce));
  PetscCall(PetscLogEventBegin(ev_reduce, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, ndim, shape, y));
  PetscCall(be->zero((*y)->data, (size_t)(*y)->size * sizeof(float)));
  summed_strides(x, mask, s);
  be->reduce(x->ndim, x->shape, s, (float)alpha, x->data, (*y)->data);
  PetscCall(NeopTapeRecord(t, name, sum_backward, 1, &x, *y, &node));
  if (node) {
    node->ints[0] = mask;
    node->real[0] = alpha;
  }
  PetscCall(PetscLogEventEnd(ev_reduce, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpSum(NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(sum_masked(t, "sum", x, (1 << x->ndim) - 1, 1.0, 0, NULL, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpMean(NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  char bx[96];

  PetscFunctionBegin;
  PetscCheck(x->size > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "mean of an empty tensor %s",
             NeopTensorShapeString(x, bx, sizeof(bx)));
  PetscCall(sum_masked(t, "mean", x, (1 << x->ndim) - 1, 1.0 / (double)x->size, 0, NULL, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpSumDims(NeopTape *t, NeopTensor *x, int ndims, const int *dims, PetscBool keepdim, NeopTensor **y)
{
  int  mask = 0, ndim = 0, shape[NEOP_MAX_DIMS];
  char bx[96];

  PetscFunctionBegin;
  for (int i = 0; i < ndims; i++) {
    int d = dims[i] < 0 ? dims[i] + x->ndim : dims[i];
    PetscCheck(d >= 0 && d < x->ndim && !(mask >> d & 1), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "sum: dim %d is out of range or repeated for x %s", dims[i], NeopTensorShapeString(x, bx, sizeof(bx)));
    mask |= 1 << d;
  }
  for (int d = 0; d < x->ndim; d++)
    if (!(mask >> d & 1)) shape[ndim++] = x->shape[d];
    else if (keepdim) shape[ndim++] = 1;
  PetscCall(sum_masked(t, "sum_dims", x, mask, 1.0, ndim, shape, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode norm_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0], *y = n->out;
  float      *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_reduce, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  NeopBackendGet()->lp_norm_backward(x->shape[0], NeopTensorStride(x, 1), n->real[0], x->data, y->data, y->grad, dx);
  PetscCall(PetscLogEventEnd(ev_reduce, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpNormLp(NeopTape *t, NeopTensor *x, double p, NeopTensor **y)
{
  NeopTapeNode *node;
  char          bx[96];

  PetscFunctionBegin;
  if (!ev_reduce) PetscCall(NeopLogEvent("NeopReduce", &ev_reduce));
  PetscCheck(x->ndim >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "Lp norm: x %s needs a sample dim",
             NeopTensorShapeString(x, bx, sizeof(bx)));
  PetscCheck(p >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Lp norm: p = %g, must be >= 1", p);
  PetscCall(PetscLogEventBegin(ev_reduce, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 1, x->shape, y));
  NeopBackendGet()->lp_norm(x->shape[0], NeopTensorStride(x, 1), p, x->data, (*y)->data);
  PetscCall(NeopTapeRecord(t, "norm_lp", norm_backward, 1, &x, *y, &node));
  if (node) node->real[0] = p;
  PetscCall(PetscLogEventEnd(ev_reduce, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
