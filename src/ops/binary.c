/* y = a + b, a - b, a * b with NumPy broadcasting. Each operand is read
   through strides that are 0 along the dims where it is broadcast; backward
   sums the output gradient over those dims (backend 'reduce'). */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_elem;

static const char *const binary_names[] = {"add", "sub", "mul"};

/* Strides of x read over the output shape (ndim dims, x aligned at the last dim). */
static void broadcast_strides(const NeopTensor *x, int ndim, int64_t *s)
{
  int64_t acc = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    int dx = d - (ndim - x->ndim); /* dim of x under output dim d, < 0 if missing */
    s[d]   = dx >= 0 && x->shape[dx] != 1 ? acc : 0;
    if (dx >= 0) acc *= x->shape[dx];
  }
}

/* y's shape and both operands' strides, from the broadcasting rules */
static PetscErrorCode broadcast_shape(const char *op, const NeopTensor *a, const NeopTensor *b, int *ndim, int *shape,
                                      int64_t *sa, int64_t *sb)
{
  char ba[96], bb[96];

  PetscFunctionBegin;
  *ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int d = 0; d < *ndim; d++) {
    int ia = d - (*ndim - a->ndim), ib = d - (*ndim - b->ndim);
    int ea = ia >= 0 ? a->shape[ia] : 1, eb = ib >= 0 ? b->shape[ib] : 1;
    PetscCheck(ea == eb || ea == 1 || eb == 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
               "%s: shapes %s and %s do not broadcast (dim %d of the result: %d vs %d)", op,
               NeopTensorShapeString(a, ba, sizeof(ba)), NeopTensorShapeString(b, bb, sizeof(bb)), d, ea, eb);
    shape[d] = ea == 1 ? eb : ea;
  }
  broadcast_strides(a, *ndim, sa);
  broadcast_strides(b, *ndim, sb);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* dx (x's shape) += alpha * sum over x's broadcast dims of g (y's shape) */
static void reduce_into(const NeopTensor *y, const int64_t *sx, float alpha, const float *g, float *dx)
{
  NeopBackendGet()->reduce(y->ndim, y->shape, sx, alpha, g, dx);
}

/* d(a*b)/dx = dy * other: straight into dx when x has y's size, else through a
   temporary (y's shape) summed over x's broadcast dims */
static PetscErrorCode mul_grad(NeopTape *t, const NeopTensor *y, const int64_t *sy, const int64_t *sx, const NeopTensor *x,
                               const int64_t *so, const float *other, float *dx)
{
  const NeopBackend *be = NeopBackendGet();
  float             *tmp; /* (y shape) */

  PetscFunctionBegin;
  if (x->size == y->size) be->binary(NEOP_BINARY_MUL, y->ndim, y->shape, sy, y->grad, so, other, 1.f, dx);
  else {
    PetscCall(NeopTapeAlloc(t, (size_t)y->size * sizeof(float), (void **)&tmp));
    be->binary(NEOP_BINARY_MUL, y->ndim, y->shape, sy, y->grad, so, other, 0.f, tmp);
    reduce_into(y, sx, 1.f, tmp, dx);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode binary_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor    *a = n->in[0], *b = n->in[1], *y = n->out;
  NeopBinaryKind kind = (NeopBinaryKind)n->ints[0];
  int64_t        sa[NEOP_MAX_DIMS], sb[NEOP_MAX_DIMS], sy[NEOP_MAX_DIMS];
  float         *da, *db;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_elem, 0, 0, 0, 0));
  broadcast_strides(a, y->ndim, sa);
  broadcast_strides(b, y->ndim, sb);
  broadcast_strides(y, y->ndim, sy);
  PetscCall(NeopTapeGrad(t, a, &da));
  PetscCall(NeopTapeGrad(t, b, &db));
  if (kind == NEOP_BINARY_MUL) {
    if (da) PetscCall(mul_grad(t, y, sy, sa, a, sb, b->data, da));
    if (db) PetscCall(mul_grad(t, y, sy, sb, b, sa, a->data, db));
  } else {
    if (da) reduce_into(y, sa, 1.f, y->grad, da);
    if (db) reduce_into(y, sb, kind == NEOP_BINARY_SUB ? -1.f : 1.f, y->grad, db);
  }
  PetscCall(PetscLogEventEnd(ev_elem, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode binary_op(NeopTape *t, NeopBinaryKind kind, NeopTensor *a, NeopTensor *b, NeopTensor **y)
{
  NeopTensor   *in[2] = {a, b};
  NeopTapeNode *node;
  int           ndim, shape[NEOP_MAX_DIMS];
  int64_t       sa[NEOP_MAX_DIMS], sb[NEOP_MAX_DIMS];

  PetscFunctionBegin;
  if (!ev_elem) PetscCall(NeopLogEvent("NeopElementwise", &ev_elem));
  PetscCall(broadcast_shape(binary_names[kind], a, b, &ndim, shape, sa, sb));
  PetscCall(PetscLogEventBegin(ev_elem, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, ndim, shape, y));
  NeopBackendGet()->binary(kind, ndim, shape, sa, a->data, sb, b->data, 0.f, (*y)->data);
  PetscCall(NeopTapeRecord(t, binary_names[kind], binary_backward, 2, in, *y, &node));
  if (node) node->ints[0] = (int)kind;
  PetscCall(PetscLogEventEnd(ev_elem, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpAdd(NeopTape *t, NeopTensor *a, NeopTensor *b, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(binary_op(t, NEOP_BINARY_ADD, a, b, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpSub(NeopTape *t, NeopTensor *a, NeopTensor *b, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(binary_op(t, NEOP_BINARY_SUB, a, b, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpMul(NeopTape *t, NeopTensor *a, NeopTensor *b, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(binary_op(t, NEOP_BINARY_MUL, a, b, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
