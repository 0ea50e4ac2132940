/* Internals of the data readers (src/io/): how a file's arrays map onto the
   (N, C, *S) layout of NeopDataset.

   Each array to read (a "field") is described by its LOGICAL axes: for MATLAB
   files the axes as MATLAB shows them (N x S1 x S2 ...), otherwise the HDF5
   axes. Every logical axis has a role: the sample axis, a channel axis
   (several are flattened, in order, into one channel index), a spatial axis
   (sub-sampled x[::sub]) or a picked axis (one index kept, e.g. one time of a
   trajectory). The storage order is the logical order, or its reverse for
   MATLAB (column-major) data. A reader fetches a block of samples in storage
   order (a strided hyperslab) and one permutation puts it into
   (n, C, *S_sub) row-major float32. */
#pragma once
#include <neop/data.h>
#include <hdf5.h>
#include <matio.h>

#define NEOP_FIELD_MAX_RANK 8

typedef enum {
  NEOP_FILE_NEOP,       /* neop schema data file */
  NEOP_FILE_CHECKPOINT, /* neop checkpoint (root attribute kind = "checkpoint") */
  NEOP_FILE_PDEBENCH,   /* PDEBench: "tensor" (+ "nu"), "x-coordinate" ... */
  NEOP_FILE_MAT73,      /* MATLAB v7.3: HDF5 with the MAT header in its user block */
  NEOP_FILE_MAT5,       /* MATLAB v5/v7 (read through matio) */
  NEOP_FILE_HDF5        /* another HDF5 file: info lists it, the reader refuses it */
} NeopFileKind;

extern const char *const NeopFileKindNames[];

typedef enum { NEOP_AXIS_SAMPLE, NEOP_AXIS_CHANNEL, NEOP_AXIS_SPACE, NEOP_AXIS_PICK } NeopAxisRole;

typedef struct {
  char         name[256];                  /* dataset / variable name in the file */
  char         key[280];                   /* key as given, e.g. "tensor[-1]" */
  int          rank;                       /* logical rank; 0: field absent */
  int64_t      dims[NEOP_FIELD_MAX_RANK];  /* logical dims */
  NeopAxisRole role[NEOP_FIELD_MAX_RANK];
  int64_t      pick[NEOP_FIELD_MAX_RANK];  /* index kept on NEOP_AXIS_PICK axes */
  PetscBool    reversed;                   /* storage axes = logical axes reversed (MATLAB) */
  int          channels;                   /* product of the channel axes */
  int          dim;                        /* spatial axes */
  int64_t      space[3];                   /* full spatial dims, in logical order */
  int64_t      samples;                    /* length of the sample axis */
} NeopField;

/* Everything rank 0 learns about a file before reading; plain data, broadcast as bytes. */
typedef struct {
  NeopFileKind kind;
  int          dim;
  int64_t      nsamples;     /* samples in the file (a and u agree) */
  NeopField    a, u;         /* u.rank == 0: no targets */
  char         coord[3][64]; /* coordinate datasets per spatial dim ("": none) */
  NeopField    pos;          /* point sets: /pos as a field (N, P, d) -> (n, d, P), or (P, d) shared; rank 0: a grid */
  int          pdim;         /* point sets: coordinates per node (0: a grid) */
} NeopDataPlan;

/* How the blocks travel: collective parallel-HDF5 hyperslab reads on every
   rank, or rank 0 reads each rank's block and sends it. */
typedef enum { NEOP_DATA_IO_DEFAULT, NEOP_DATA_IO_COLLECTIVE, NEOP_DATA_IO_ROOT } NeopDataIO;

/* --- file kinds (file_kind.c); all not collective --- */
/* Detects the kind of a file; refuses missing files and files that are neither HDF5 nor MATLAB. */
PetscErrorCode NeopFileDetect(const char *path, NeopFileKind *kind);
/* Opens an HDF5 file read-only on this rank alone, naming it in the error. */
PetscErrorCode NeopH5OpenSelf(const char *path, hid_t *file);
/* Turns HDF5's own error printing off (neop's messages say what went wrong); returns the old state. */
void           NeopH5Quiet(PetscBool quiet);
/* Splits "name[k]" into name and k (*has_pick false without brackets). */
PetscErrorCode NeopParseKey(const char *path, const char *key, char *name, size_t len, PetscBool *has_pick, int64_t *pick);
/* Completes f->channels/dim/space from the roles; refuses out-of-range picks. */
PetscErrorCode NeopFieldFinish(const char *path, NeopField *f);

/* --- planning per format, rank 0 only (format_*.c) --- */
PetscErrorCode NeopPlanNeop(const char *path, hid_t file, const char *a_key, const char *u_key, NeopDataPlan *plan);
PetscErrorCode NeopPlanPDEBench(const char *path, hid_t file, const char *a_key, const char *u_key, NeopDataPlan *plan);
PetscErrorCode NeopPlanMat73(const char *path, hid_t file, const char *a_key, const char *u_key, NeopDataPlan *plan);
PetscErrorCode NeopPlanMat5(const char *path, const char *a_key, const char *u_key, NeopDataPlan *plan);
/* matio with a logger that does not abort; names the file on failure. Rank-local. */
PetscErrorCode NeopMat5Open(const char *path, mat_t **mat);
const char    *NeopMat5LastMessage(void);
/* The MATLAB rules shared by v5 and v7.3 once the logical dims are known; samples_last: the
   sample axis is the last MATLAB axis (S1 x S2 x N, the DGenNO files) instead of the first. */
PetscErrorCode NeopPlanMatlabField(const char *path, const char *key, const char *name, int rank, const int64_t *dims,
                                   int dim, PetscBool has_pick, int64_t pick, PetscBool samples_last, NeopField *f);
/* The whole plan of a file (detect + format planning + a/u agreement checks). Rank-local. */
PetscErrorCode NeopPlanFile(const char *path, const char *a_key, const char *u_key, NeopDataPlan *plan);

/* --- reading (field_read.c), not collective unless said --- */
/* Points per sub-sampled axis: (s - 1) / sub + 1. */
static inline int64_t NeopSubCount(int64_t s, int sub) { return (s - 1) / sub + 1; }
/* Values per sample of f after sub-sampling. */
int64_t        NeopFieldSampleSize(const NeopField *f, int sub);
/* Samples [n0, n0 + n) of f into out (n, channels, *S_sub), from an open HDF5
   file; dxpl selects collective transfer. With n = 0 the rank takes part in a
   collective read without data. */
PetscErrorCode NeopFieldReadH5(const char *path, hid_t file, hid_t dxpl, const NeopField *f, int sub, int64_t n0, int64_t n,
                               float *out);
/* The same from a MATLAB v5 file through matio. */
PetscErrorCode NeopFieldReadMat5(const char *path, const NeopField *f, int sub, int64_t n0, int64_t n, float *out);

/* --- collective helpers (dataset.c) --- */
/* Runs on rank 0 only the part that may fail, and turns a failure there into
   the same error on every rank, with rank 0's message. */
PetscErrorCode NeopCollectError(MPI_Comm comm, PetscErrorCode ierr);
/* NeopDatasetLoad with the transport chosen (tests use both). Collective. */
PetscErrorCode NeopDatasetLoadIO(MPI_Comm comm, const char *path, const char *a_key, const char *u_key, int offset,
                                 int count, int sub, NeopDataIO io, NeopDataset **ds);
/* Rank 0 plans the file; every rank gets the plan or the same error. Collective. */
PetscErrorCode NeopPlanFileCollective(MPI_Comm comm, const char *path, const char *a_key, const char *u_key, NeopDataPlan *plan);

/* Rank and dims of an HDF5 dataset; refuses a missing or non-numeric one, naming file and dataset. Rank-local. */
PetscErrorCode NeopH5DatasetDims(const char *path, hid_t file, const char *name, int *rank, int64_t *dims);
/* Reads an integer attribute of the root group; *found false when absent. Rank-local. */
PetscErrorCode NeopH5RootAttrInt(hid_t file, const char *name, int64_t *value, PetscBool *found);

/* --- writing neop files (dataset_write.c) --- */
typedef struct {
  const char *name;
  const char *s; /* string value, or NULL: integer i */
  long long   i;
} NeopAttr;

/* Coordinates of the (sub-sampled) grid per spatial dim: the file's
   coordinate datasets, or, when it has none (MATLAB), uniform points on
   [0, 1] including both ends (*assumed true). coords[k] has grid[k] entries
   (PetscFree each). Collective. */
PetscErrorCode NeopDataCoords(MPI_Comm comm, const char *path, const NeopDataPlan *plan, int sub, double *coords[3],
                              PetscBool *assumed);
/* A point set from grid data g (not collective beyond g's own blocks): each
   sample keeps P distinct grid nodes drawn from the stream (seed,
   NEOP_RNG_NOISE, file index of the sample), file_first being the file index
   of this rank's first sample; shared: all samples take the nodes of stream
   index 0. Positions from coords[d] (grid[d] values each). */
PetscErrorCode NeopDatasetSamplePoints(const NeopDataset *g, double *const coords[3], int P, uint64_t seed, PetscBool shared, int64_t file_first,
                                       NeopDataset **out);
/* Writes ds as a neop schema file (/a, /u, /x.., root attributes, 'complete'
   last) to "<path>.tmp.<pid>" and renames it into place; on any failure the
   temporary file is removed and nothing is left at path. Refuses an existing
   path unless overwrite. Collective. */
PetscErrorCode NeopDatasetWrite(const NeopDataset *ds, const char *path, double *const coords[3], const NeopAttr *attrs,
                                int nattrs, PetscBool overwrite, NeopDataIO io);
