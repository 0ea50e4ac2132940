/* NeopTrainer: the training loop every model family uses.
     Create -> SetFromOptions -> SetUp (data, normalisers, model, optimizer,
     or a resumed state) -> Run -> Destroy
   Data parallel over the communicator (see neop/data.h): every rank holds
   the model and its block of the samples; the global batch is an option.

   Files: -checkpoint C.h5 holds the best model by test error (what `neop
   eval` uses) and C.last.h5 the latest state, which -resume continues
   from exactly (bit for bit on the same number of ranks). */
#pragma once
#include <neop/model.h>
#include <neop/optim.h>
#include <neop/data.h>

typedef enum { NEOP_LOSS_REL_L2, NEOP_LOSS_H1, NEOP_LOSS_MSE } NeopLossKind;

typedef struct NeopTrainer_s *NeopTrainer;

/* Collective on comm. */
PetscErrorCode NeopTrainerCreate(MPI_Comm comm, NeopTrainer *tr);
PetscErrorCode NeopTrainerSetFromOptions(NeopTrainer tr);
PetscErrorCode NeopTrainerSetUp(NeopTrainer tr);
PetscErrorCode NeopTrainerRun(NeopTrainer tr);
PetscErrorCode NeopTrainerDestroy(NeopTrainer *tr);
/* Best test relative L2 so far (the value C.h5 was written at). Not collective. */
PetscErrorCode NeopTrainerGetBest(NeopTrainer tr, double *best_rel_l2, int *best_epoch);

/* Losses by name: "rel_l2", "h1", "mse". Not collective. */
PetscErrorCode NeopLossKindFromName(const char *name, NeopLossKind *kind);
const char    *NeopLossKindName(NeopLossKind kind);
/* The training loss of a batch: pred and target (n, C, *S), divided by
   nglobal when mean = PETSC_TRUE (summed over the batch otherwise). */
PetscErrorCode NeopLoss(NeopTape *t, NeopLossKind kind, PetscBool mean, NeopTensor *pred, NeopTensor *target, int nglobal,
                        NeopTensor **loss);

/* Relative L2 error of each sample: err[i] = ||pred_i - u_i|| / ||u_i||, n samples of
   'per' values, host arrays. Not collective. */
void NeopRelL2PerSample(int n, int64_t per, const float *pred, const float *u, double *err);
