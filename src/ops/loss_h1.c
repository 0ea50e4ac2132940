/* Relative H1 loss (see neop/nn/loss_h1.h): the per-sample norms come from
   the backend's FFT kernels; the node keeps them for the backward. */
#include <neop/nn/loss_h1.h>
#include <neop/log.h>
#include <math.h>

static PetscLogEvent ev_h1;

typedef struct {
  int     dim, grid[2], n, c;
  double  scale;
  double *num, *den; /* [n] squared weighted norms of pred - target and of target */
} H1Ctx;

static PetscErrorCode check_fields(const char *op, const NeopTensor *pred, const NeopTensor *target, int *dim, int *grid)
{
  char bp[96], bt[96];

  PetscFunctionBegin;
  PetscCheck((pred->ndim == 3 || pred->ndim == 4) && NeopTensorSameShape(pred, target), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "%s: prediction %s and target %s must be equal 1-D (N, C, X) or 2-D (N, C, X, Y) fields", op,
             NeopTensorShapeString(pred, bp, sizeof(bp)), NeopTensorShapeString(target, bt, sizeof(bt)));
  *dim    = pred->ndim - 2;
  grid[0] = pred->shape[2];
  grid[1] = *dim == 2 ? pred->shape[3] : 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode sample_norms(const NeopTensor *pred, const NeopTensor *target, int dim, const int *grid, double *num,
                                   double *den)
{
  int n = pred->shape[0], c = pred->shape[1];

  PetscFunctionBegin;
  PetscCall(NeopBackendGet()->h1->norms(dim, grid, n, c, pred->data, target->data, num, den));
  for (int i = 0; i < n; i++)
    PetscCheck(den[i] > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "H1 loss: target sample %d is zero (relative norm undefined)", i);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode h1_backward(NeopTape *t, NeopTapeNode *node)
{
  H1Ctx  *h = (H1Ctx *)node->ctx;
  float  *dp, *du, gl;
  double *a, *b;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_h1, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, node->in[0], &dp));
  PetscCall(NeopTapeGrad(t, node->in[1], &du));
  PetscCall(NeopBackendGet()->to_host(&gl, node->out->grad, sizeof(float)));
  PetscCall(PetscMalloc2(h->n, &a, h->n, &b));
  for (int i = 0; i < h->n; i++) {
    double A = sqrt(h->num[i]), B = sqrt(h->den[i]);
    /* L = A / B: dL/d(p - u) = G(p - u) / (A B), dL/du|_B = -A G(u) / B^3; A = 0 is the minimum: gradient 0 */
    a[i] = A > 0 ? gl * h->scale / (A * B) : 0;
    b[i] = -gl * h->scale * A / (B * B * B);
  }
  PetscCall(NeopBackendGet()->h1->grad(h->dim, h->grid, h->n, h->c, node->in[0]->data, node->in[1]->data, a, b, dp, du));
  PetscCall(PetscFree2(a, b));
  PetscCall(PetscLogEventEnd(ev_h1, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpLossH1(NeopTape *t, NeopTensor *pred, NeopTensor *target, NeopReduction red, int nglobal,
                            NeopTensor **loss)
{
  NeopTensor   *in[2] = {pred, target};
  NeopTapeNode *node;
  H1Ctx         h;
  double        sum  = 0;
  float         v;
  PetscBool     mean = red == NEOP_REDUCTION_MEAN;

  PetscFunctionBegin;
  if (!ev_h1) PetscCall(NeopLogEvent("NeopLossH1", &ev_h1));
  PetscCall(check_fields("H1 loss", pred, target, &h.dim, h.grid));
  PetscCheck(red == NEOP_REDUCTION_SUM || mean, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "H1 loss: unknown reduction %d", (int)red);
  PetscCheck(!mean || nglobal >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "H1 loss: global batch size %d", nglobal);
  PetscCheck(!mean || pred->shape[0] <= nglobal, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "H1 loss: %d local samples exceed the global batch of %d", pred->shape[0], nglobal);
  PetscCall(PetscLogEventBegin(ev_h1, 0, 0, 0, 0));
  h.n     = pred->shape[0];
  h.c     = pred->shape[1];
  h.scale = mean ? 1.0 / nglobal : 1.0;
  PetscCall(NeopTapeAlloc(t, sizeof(double) * (size_t)(2 * h.n + 1), (void **)&h.num));
  h.den = h.num + h.n;
  if (h.n) PetscCall(sample_norms(pred, target, h.dim, h.grid, h.num, h.den));
  for (int i = 0; i < h.n; i++) sum += sqrt(h.num[i] / h.den[i]);
  v = (float)(h.scale * sum);
  PetscCall(NeopTapeTensor(t, 1, (int[]){1}, loss));
  PetscCall(NeopBackendGet()->from_host((*loss)->data, &v, sizeof(float)));
  PetscCall(NeopTapeRecord(t, "loss_h1", h1_backward, 2, in, *loss, &node));
  if (node) {
    PetscCall(NeopTapeAlloc(t, sizeof(h), &node->ctx));
    *(H1Ctx *)node->ctx = h;
  }
  PetscCall(PetscLogEventEnd(ev_h1, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopLossH1PerSample(const NeopTensor *pred, const NeopTensor *target, double *err)
{
  int     dim, grid[2], n = pred->shape[0];
  double *num, *den;

  PetscFunctionBegin;
  PetscCall(check_fields("H1 error", pred, target, &dim, grid));
  if (!n) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc2(n, &num, n, &den));
  PetscCall(sample_norms(pred, target, dim, grid, num, den));
  for (int i = 0; i < n; i++) err[i] = sqrt(num[i] / den[i]);
  PetscCall(PetscFree2(num, den));
  PetscFunctionReturn(PETSC_SUCCESS);
}
