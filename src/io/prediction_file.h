/* Output files of `neop eval` and `neop predict` (docs/formats.md):
     /u_pred (N, Cu, *S) float32, /x /y /z node coordinates (float64),
     /rel_l2 (N) float64 when targets were given, root attributes
     neop_schema, kind = "prediction", checkpoint, input, mean_rel_l2.
   Rank 0 gathers and writes to a temporary name, then renames. */
#pragma once
#include <neop/data.h>

typedef struct {
  const char *checkpoint, *input;
  int         sub;
} NeopPredictionInfo;

/* Collective: every rank passes its block (ds->nlocal samples of the
   predictions, and of err when err is not NULL). */
PetscErrorCode NeopPredictionWrite(MPI_Comm comm, const char *path, const NeopDataset *ds, int cu, const float *pred,
                                   const double *err, const NeopPredictionInfo *info);
