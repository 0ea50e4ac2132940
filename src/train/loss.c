/* The data losses a training run can use, by name. */
#include <neop/train.h>
#include <neop/ops.h>
#include <neop/nn/loss_h1.h>

static const char *const loss_names[] = {"rel_l2", "h1", "mse"};

const char *NeopLossKindName(NeopLossKind kind) { return loss_names[kind]; }

PetscErrorCode NeopLossKindFromName(const char *name, NeopLossKind *kind)
{
  PetscFunctionBegin;
  for (int k = 0; k < 3; k++)
    if (!strcmp(name, loss_names[k])) {
      *kind = (NeopLossKind)k;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_UNKNOWN_TYPE, "-loss %s: unknown (rel_l2, h1, mse)", name);
}

PetscErrorCode NeopLoss(NeopTape *t, NeopLossKind kind, PetscBool mean, NeopTensor *pred, NeopTensor *target, int nglobal, NeopTensor **loss)
{
  PetscFunctionBegin;
  switch (kind) {
  case NEOP_LOSS_REL_L2:
    PetscCall(NeopOpLossRelLp(t, pred, target, 2.0, mean ? NEOP_REDUCTION_MEAN : NEOP_REDUCTION_SUM, nglobal, loss));
    break;
  case NEOP_LOSS_H1:
    PetscCall(NeopOpLossH1(t, pred, target, mean ? NEOP_REDUCTION_MEAN : NEOP_REDUCTION_SUM, nglobal, loss));
    break;
  case NEOP_LOSS_MSE:
    PetscCall(NeopOpLossMSE(t, pred, target, mean ? NEOP_REDUCTION_MEAN : NEOP_REDUCTION_SUM, nglobal, loss));
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
