/* Per-epoch training history, stored in checkpoints under /history. */
#include "train/trainer_impl.h"

const char *const NeopHistoryNames[NEOP_HISTORY_FIELDS] = {"epoch", "train_loss", "test_rel_l2", "lr", "seconds"};

PetscErrorCode NeopHistoryAppend(NeopHistory *h, const double *row)
{
  PetscFunctionBegin;
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 64;
    for (int f = 0; f < NEOP_HISTORY_FIELDS; f++) PetscCall(PetscRealloc(sizeof(double) * (size_t)h->cap, &h->v[f]));
  }
  for (int f = 0; f < NEOP_HISTORY_FIELDS; f++) h->v[f][h->n] = row[f];
  h->n++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopHistoryDestroy(NeopHistory *h)
{
  PetscFunctionBegin;
  for (int f = 0; f < NEOP_HISTORY_FIELDS; f++) PetscCall(PetscFree(h->v[f]));
  h->n = h->cap = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}
