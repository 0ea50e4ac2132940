/* Checkpoints in HDF5. Layout (docs/formats.md):
     /model        attrs: type, dim, in_channels, out_channels, every recorded option
     /params/<name>  float32, the parameter's shape
     /optimizer    m, v (flat), attrs step, epoch, every optimizer option
     /normalizer/<name>/...  data normalisers (mean, std)
     /history/<name>  per-epoch series (float64)
     /           attrs neop_schema, neop_version, kind = "checkpoint", checksum
   Rank 0 writes to "<path>.tmp.<pid>" and renames it over <path> only after
   a successful close, so an interrupted write never leaves a file that looks
   complete; a crc32 of the parameters is stored and checked when reading, so
   a corrupted or truncated file is refused with a message naming it.

   All functions are collective on the communicator given at open/create;
   rank 0 does the I/O and broadcasts what it reads. */
#pragma once
#include <neop/model.h>
#include <neop/optim.h>

typedef struct NeopCheckpoint_s *NeopCheckpoint;

PetscErrorCode NeopCheckpointCreate(MPI_Comm comm, const char *path, NeopCheckpoint *ck);
PetscErrorCode NeopCheckpointWriteModel(NeopCheckpoint ck, NeopModel m);
PetscErrorCode NeopCheckpointWriteOptimizer(NeopCheckpoint ck, NeopOptimizer opt);
/* Any float32 array, e.g. "/normalizer/a/mean". Intermediate groups are created. */
PetscErrorCode NeopCheckpointWriteArray(NeopCheckpoint ck, const char *name, int ndim, const int *shape, const float *v);
/* Any float64 array, e.g. "/history/train_loss". */
PetscErrorCode NeopCheckpointWriteSeries(NeopCheckpoint ck, const char *name, int n, const double *v);
/* Attributes on a group (created if needed). */
PetscErrorCode NeopCheckpointWriteAttrString(NeopCheckpoint ck, const char *group, const char *name, const char *value);
PetscErrorCode NeopCheckpointWriteAttrReal(NeopCheckpoint ck, const char *group, const char *name, double value);
/* Closes and atomically renames into place. */
PetscErrorCode NeopCheckpointCommit(NeopCheckpoint *ck);

/* Opens and validates (schema, kind, checksum). */
PetscErrorCode NeopCheckpointOpen(MPI_Comm comm, const char *path, NeopCheckpoint *ck);
/* Creates and sets up the model recorded in the file and loads its parameters. */
PetscErrorCode NeopCheckpointReadModel(NeopCheckpoint ck, NeopModel *m);
/* Loads moments and counters into an optimizer built for the same model. */
PetscErrorCode NeopCheckpointReadOptimizer(NeopCheckpoint ck, NeopOptimizer opt);
/* *v is PetscMalloc'ed (PetscFree it); *found false if absent. */
PetscErrorCode NeopCheckpointReadArray(NeopCheckpoint ck, const char *name, int *ndim, int *shape, float **v, PetscBool *found);
PetscErrorCode NeopCheckpointReadSeries(NeopCheckpoint ck, const char *name, int *n, double **v, PetscBool *found);
PetscErrorCode NeopCheckpointReadAttrString(NeopCheckpoint ck, const char *group, const char *name, char *value, size_t len, PetscBool *found);
PetscErrorCode NeopCheckpointReadAttrReal(NeopCheckpoint ck, const char *group, const char *name, double *value, PetscBool *found);
PetscErrorCode NeopCheckpointClose(NeopCheckpoint *ck);
