/* Training losses: relative Lp error per sample and mean squared error,
   both fused into one kernel pair, reduced to a scalar over this rank's
   samples with the GLOBAL batch size as divisor (see include/neop/data.h). */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_loss;

static PetscErrorCode check_pair(const char *name, NeopTensor *pred, NeopTensor *target, NeopReduction red, int nglobal)
{
  char bp[96], bt[96];

  PetscFunctionBegin;
  if (!ev_loss) PetscCall(NeopLogEvent("NeopLoss", &ev_loss));
  PetscCheck(NeopTensorSameShape(pred, target) && pred->ndim >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "%s loss: prediction %s and target %s must have one shape (N, ...)", name,
             NeopTensorShapeString(pred, bp, sizeof(bp)), NeopTensorShapeString(target, bt, sizeof(bt)));
  PetscCheck(red == NEOP_REDUCTION_SUM || red == NEOP_REDUCTION_MEAN, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "%s loss: unknown reduction %d", name, (int)red);
  PetscCheck(red == NEOP_REDUCTION_SUM || (nglobal >= 1 && nglobal >= pred->shape[0]), PETSC_COMM_SELF,
             PETSC_ERR_ARG_OUTOFRANGE, "%s loss: mean over a global batch of %d samples, but %d are here", name, nglobal,
             pred->shape[0]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* node: real = {p, alpha}, ctx = norms (2, N) */
static PetscErrorCode rel_lp_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *y = n->in[0], *u = n->in[1];
  float      *dy, *du;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_loss, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, y, &dy));
  PetscCall(NeopTapeGrad(t, u, &du));
  NeopBackendGet()->rel_lp_backward(y->shape[0], NeopTensorStride(y, 1), n->real[0], (float)n->real[1], y->data, u->data,
                                    (const float *)n->ctx, n->out->grad, dy, du);
  PetscCall(PetscLogEventEnd(ev_loss, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpLossRelLp(NeopTape *t, NeopTensor *pred, NeopTensor *target, double p, NeopReduction red,
                               int nglobal, NeopTensor **loss)
{
  NeopTensor   *in[2] = {pred, target};
  NeopTapeNode *node;
  float        *norms; /* (2, N): ||y_n - u_n||_p, ||u_n||_p */
  int           N     = pred->shape[0];
  double        alpha = red == NEOP_REDUCTION_MEAN ? 1.0 / nglobal : 1.0;

  PetscFunctionBegin;
  PetscCall(check_pair("relative Lp", pred, target, red, nglobal));
  PetscCheck(p >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "relative Lp loss: p = %g, must be >= 1", p);
  PetscCall(PetscLogEventBegin(ev_loss, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 0, NULL, loss));
  PetscCall(NeopTapeAlloc(t, 2 * (size_t)N * sizeof(float), (void **)&norms));
  NeopBackendGet()->rel_lp(N, NeopTensorStride(pred, 1), p, (float)alpha, pred->data, target->data, norms, (*loss)->data);
  PetscCall(NeopTapeRecord(t, red == NEOP_REDUCTION_MEAN ? "rel_lp_mean" : "rel_lp_sum", rel_lp_backward, 2, in, *loss, &node));
  if (node) {
    node->real[0] = p;
    node->real[1] = alpha;
    node->ctx     = norms;
  }
  PetscCall(PetscLogEventEnd(ev_loss, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* node: real[0] = alpha */
static PetscErrorCode mse_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *y = n->in[0], *u = n->in[1];
  float      *dy, *du;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_loss, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, y, &dy));
  PetscCall(NeopTapeGrad(t, u, &du));
  NeopBackendGet()->sq_err_backward(y->size, (float)n->real[0], y->data, u->data, n->out->grad, dy, du);
  PetscCall(PetscLogEventEnd(ev_loss, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpLossMSE(NeopTape *t, NeopTensor *pred, NeopTensor *target, NeopReduction red, int nglobal,
                             NeopTensor **loss)
{
  NeopTensor   *in[2] = {pred, target};
  NeopTapeNode *node;
  double        alpha;

  PetscFunctionBegin;
  PetscCall(check_pair("MSE", pred, target, red, nglobal));
  alpha = red == NEOP_REDUCTION_MEAN ? 1.0 / ((double)nglobal * (double)NeopTensorStride(pred, 1)) : 1.0;
  PetscCall(PetscLogEventBegin(ev_loss, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 0, NULL, loss));
  NeopBackendGet()->sq_err(pred->size, (float)alpha, pred->data, target->data, (*loss)->data);
  PetscCall(NeopTapeRecord(t, red == NEOP_REDUCTION_MEAN ? "mse_mean" : "mse_sum", mse_backward, 2, in, *loss, &node));
  if (node) node->real[0] = alpha;
  PetscCall(PetscLogEventEnd(ev_loss, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
