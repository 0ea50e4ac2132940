/* Applying a trained model to data: batched forward passes with the
   normalisers of its checkpoint, at the training resolution or another. */
#pragma once
#include <neop/model.h>
#include <neop/data.h>

typedef struct NeopPredictor_s *NeopPredictor;

/* Loads model and normalisers from a checkpoint. Collective on comm. */
PetscErrorCode NeopPredictorLoad(MPI_Comm comm, const char *checkpoint, NeopPredictor *p);
/* Maps n inputs a (n, ca, *grid) to outputs u (n, cu, *grid), host arrays, in
   batches of batch_size (0: all at once). Any grid the model supports: the
   point-wise normalisers are interpolated (multi-linear, node-aligned grids on
   [0,1]^d) when the grid differs from training. Not collective: every rank
   predicts its own inputs. */
PetscErrorCode NeopPredictorApply(NeopPredictor p, int n, const int *grid, const float *a, int batch_size, float *u);
/* Point sets (a model trained with NeopModelSetPointSet): n samples of values
   a (n, ca, P) at positions pos (n, dim, P), or (dim, P) for all samples when
   shared, -> u (n, cu, P). Point-wise normalisers need the training nodes
   (same P); per-channel ones take any P. Not collective. */
PetscErrorCode NeopPredictorApplyPoints(NeopPredictor p, int n, int P, const float *pos, PetscBool shared, const float *a, int batch_size,
                                        float *u);
/* Model and its channels/dimension. Not collective. */
PetscErrorCode NeopPredictorGetModel(NeopPredictor p, NeopModel *m);
/* The -sub the model was trained with (1 when not recorded). Not collective. */
PetscErrorCode NeopPredictorGetTrainingSub(NeopPredictor p, int *sub);
PetscErrorCode NeopPredictorDestroy(NeopPredictor *p);
