/* Writer of neop data files (HDF5 schema version 1, docs/formats.md):
     /a  (N, Ca, *S)     float32  inputs (time-dependent: the initial state)
     /u  (N, Cu, *S)     float32  outputs (time-dependent: (N, T, Cu, *S))
     /t  (T)             float64  times (time-dependent problems only)
     /x, /y (, /z) (S_d) float64  node coordinates
     /   attributes neop_schema = 1, pde, neop_version, the generator's
         options and seed, and `complete` = 1, written last.
   The file is written as "<path>.tmp.<pid>" and renamed to <path> by
   Commit, so an interrupted job never leaves a file at <path>.

   With parallel HDF5 every rank writes its samples with collective
   hyperslab writes (MPI-IO); with gather = PETSC_TRUE, or a serial HDF5
   build, rank 0 gathers the samples and writes alone. All functions are
   collective on the communicator given to Create. */
#pragma once
#include <neop/petsc_compat.h>
#include <stdint.h>

#define NEOP_SCHEMA_VERSION 1

typedef struct {
  const char   *pde;
  int           dim;        /* spatial dims, 1..3 */
  int           grid[3];    /* points per dim */
  int           ca, cu;     /* channels of a and u */
  int           nt;         /* time levels of u; 0 for stationary problems */
  const double *t;          /* [nt] */
  const double *coords[3];  /* [grid[d]] */
  int64_t       nsamples;   /* N */
} NeopFileLayout;

typedef struct NeopFileWriter_s *NeopFileWriter;

/* Refuses (naming the path) a missing or read-only directory and an existing
   file unless overwrite. Creates the datasets and writes the coordinates,
   /t and the attributes neop_schema, pde, neop_version. */
PetscErrorCode NeopFileWriterCreate(MPI_Comm comm, const char *path, const NeopFileLayout *layout, PetscBool overwrite,
                                    PetscBool gather, NeopFileWriter *w);
/* Root attributes (same value on every rank). */
PetscErrorCode NeopFileWriterSetAttributeString(NeopFileWriter w, const char *name, const char *value);
PetscErrorCode NeopFileWriterSetAttributeUInt64(NeopFileWriter w, const char *name, uint64_t value);
/* Samples [first, first + n) of this rank: a (n, Ca, *S), u (n, [T,] Cu, *S).
   Every rank calls it the same number of times; n may be 0. */
PetscErrorCode NeopFileWriterWrite(NeopFileWriter w, int64_t first, int n, const float *a, const float *u);
/* Writes `complete` = 1, closes and renames the file into place; frees w. */
PetscErrorCode NeopFileWriterCommit(NeopFileWriter *w);
/* Abandons an uncommitted file (closes and removes the temporary); frees w. */
PetscErrorCode NeopFileWriterDestroy(NeopFileWriter *w);
/* After an error, when other ranks may not take part in a collective close:
   rank 0 removes the temporary file; HDF5 handles are left to process exit.
   Not collective. */
PetscErrorCode NeopFileWriterAbort(NeopFileWriter *w);
