/* The trainer's state, shared by the files of src/train/. */
#pragma once
#include <neop/train.h>
#include <neop/checkpoint.h>

#define NEOP_HISTORY_FIELDS 5
typedef struct {
  int     n, cap;
  double *v[NEOP_HISTORY_FIELDS]; /* [cap] each: epoch, train_loss, test_rel_l2, lr, seconds */
} NeopHistory;
extern const char *const NeopHistoryNames[NEOP_HISTORY_FIELDS];

struct NeopTrainer_s {
  MPI_Comm comm;
  /* options */
  char         train_path[PETSC_MAX_PATH_LEN], test_path[PETSC_MAX_PATH_LEN], checkpoint[PETSC_MAX_PATH_LEN];
  char         initial[PETSC_MAX_PATH_LEN]; /* where to write the model before its first step (-initial_checkpoint) */
  char         a_key[64], u_key[64];
  PetscInt     ntrain, ntest, train_offset, test_offset, sub, epochs, batch_size, test_batch_size, seed;
  PetscInt     checkpoint_every, stop_after;
  NeopLossKind loss;
  PetscBool    loss_mean;       /* divide by the global batch (else sum, as the FNO scripts) */
  NeopNormKind norm_a, norm_u;
  PetscBool    norm_a_set, norm_u_set; /* given on the command line (point sets change the default) */
  PetscBool    resume, quiet, help;
  /* state */
  NeopDataset   *train, *test;   /* a encoded by na in place; u raw */
  NeopNormalizer na, nu;
  NeopModel      model;
  NeopOptimizer  opt;
  NeopTape      *tape;
  int            epoch;          /* epochs completed */
  double         best;           /* best test relative L2 */
  int            best_epoch;
  NeopHistory    hist;
  double         step_seconds;   /* this run: time in the optimisation steps (NeopTrainerEpoch), test pass excluded */
  int            step_epochs;
};

PetscErrorCode NeopHistoryAppend(NeopHistory *h, const double *row);
PetscErrorCode NeopHistoryDestroy(NeopHistory *h);

/* Gathers this rank's samples among idx[0..count) into tensors a (n, ca, *S)
   and u (n, cu, *S) on the tape. */
PetscErrorCode NeopTrainerGatherBatch(NeopTrainer tr, const NeopDataset *ds, const int *idx, int count, NeopBatch *b);
/* One epoch of optimisation; returns the mean training loss per sample. */
PetscErrorCode NeopTrainerEpoch(NeopTrainer tr, double *train_loss);
/* Mean relative L2 over the test set (physical units). */
PetscErrorCode NeopTrainerTest(NeopTrainer tr, double *rel_l2);
/* Everything needed to resume or evaluate, into one checkpoint file. */
PetscErrorCode NeopTrainerSave(NeopTrainer tr, const char *path);
PetscErrorCode NeopTrainerLoadState(NeopTrainer tr, const char *path);
/* Normaliser <-> checkpoint under /normalizer/<name>. */
PetscErrorCode NeopNormalizerSave(NeopCheckpoint ck, const char *name, const NeopNormalizer *nz);
PetscErrorCode NeopNormalizerLoad(NeopCheckpoint ck, const char *name, NeopNormalizer *nz, PetscBool *found);
/* Point-wise normaliser fields resampled onto another node-aligned grid. */
PetscErrorCode NeopNormalizerResample(const NeopNormalizer *in, int dim, const int *grid_in, const int *grid_out,
                                      NeopNormalizer *out);
/* The path of the resumable state next to the best checkpoint: C.h5 -> C.last.h5 */
PetscErrorCode NeopTrainerLastPath(const char *checkpoint, char *last, size_t len);
