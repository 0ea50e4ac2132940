/* Training data as one rank holds it, and the batches models see.

   Data-parallel reading: every rank holds a contiguous block of the selected
   samples. An epoch draws one global permutation (counter-based, keyed by
   (seed, epoch)); global batch k is perm[k B, (k+1) B) and each sample of it
   is processed by the rank that holds it. Gradients are summed over ranks and
   losses are divided by the GLOBAL batch size, so the result does not depend
   on the number of ranks beyond rounding. A rank's share of a batch may be 0. */
#pragma once
#include <neop/tensor.h>
#include <neop/autograd.h>

typedef struct NeopDataset {
  MPI_Comm comm;
  char     path[PETSC_MAX_PATH_LEN];
  int      dim;         /* spatial dims */
  int      grid[3];     /* points per spatial dim, after sub-sampling */
  int      ca, cu;      /* channels of the input a and the target u (cu = 0: no targets) */
  int      nglobal;     /* samples selected from the file */
  int      first;       /* global index of this rank's first sample */
  int      nlocal;      /* samples held here */
  float   *a;           /* (nlocal, ca, *grid) host */
  float   *u;           /* (nlocal, cu, *grid) host, or NULL */
  /* point sets (a neop file with /pos): a and u are (nlocal, C, P) values at P
     nodes (dim = 1, grid = {P, 1, 1}) whose coordinates are pos */
  int       pdim;       /* coordinates per node; 0: a grid, no positions */
  PetscBool pos_shared; /* one node set for all samples */
  float    *pos;        /* (nlocal, pdim, P), or (pdim, P) when shared; host */
} NeopDataset;

struct NeopBatch {
  NeopTensor *a;        /* (n, ca, *grid): this rank's part of the global batch */
  NeopTensor *u;        /* (n, cu, *grid) or NULL */
  int         n;        /* samples here (may be 0) */
  int         nglobal;  /* samples in the whole global batch: losses average over it */
  const int  *index;    /* [n] global sample indices */
  NeopTensor *pos;      /* point sets: (n, pdim, P) node coordinates; NULL on grids */
};

/* Reads samples [offset, offset + count) of a data file (count < 0: all to the
   end), every sub-th point in each spatial dim (x[::sub]), each rank its block
   with collective hyperslab reads. The format is detected: neop schema,
   PDEBench (1-D "tensor"; 2-D Darcy "nu" + "tensor"), MATLAB v7.3 (HDF5) and
   v5 (matio) files with keys a_key/u_key (NULL: the format's defaults: neop
   "a"/"u", MATLAB "coeff"/"sol" or "a"/"u"). Time-dependent neop files give
   a = first state and u = the whole trajectory flattened into channels.
   Refuses NaN/Inf, wrong ranks and missing datasets naming file and dataset.
   A neop file with a dataset /pos is a point set (docs/formats.md): a, u
   (N, C, P) and positions, sub must be 1. Collective. */
PetscErrorCode NeopDatasetLoad(MPI_Comm comm, const char *path, const char *a_key, const char *u_key, int offset,
                               int count, int sub, NeopDataset **ds);
PetscErrorCode NeopDatasetDestroy(NeopDataset **ds);

/* Gaussian normaliser: x -> (x - mean) / (std + eps), fitted on training data
   over all ranks. POINTWISE keeps one mean/std per (channel, point) like the
   FNO scripts' UnitGaussianNormalizer; SCALAR one per channel. */
typedef enum { NEOP_NORM_NONE, NEOP_NORM_POINTWISE, NEOP_NORM_SCALAR } NeopNormKind;

typedef struct NeopNormalizer {
  NeopNormKind kind;
  int          channels;
  int64_t      points;   /* grid points per channel */
  int64_t      n;        /* values per sample = channels * points */
  float       *mean;     /* [n] (pointwise) or [channels] (scalar) */
  float       *std;      /* same length */
  float        eps;      /* 1e-5 as the FNO scripts */
} NeopNormalizer;

/* Fits on nlocal samples of n values each, summed over comm (kind NONE: the identity, no statistics). Collective. */
PetscErrorCode NeopNormalizerFit(MPI_Comm comm, NeopNormKind kind, int channels, int64_t points, int nlocal,
                                 const float *x, NeopNormalizer *nz);
/* In place on host arrays of nsamples samples. Not collective. */
PetscErrorCode NeopNormalizerEncode(const NeopNormalizer *nz, int nsamples, float *x);
PetscErrorCode NeopNormalizerDecode(const NeopNormalizer *nz, int nsamples, float *x);
/* x (N, channels, *points) -> x (std + eps) + mean on the tape (gradients flow to x); kind NONE: *y = x. */
PetscErrorCode NeopNormalizerDecodeOp(const NeopNormalizer *nz, NeopTape *t, NeopTensor *x, NeopTensor **y);
PetscErrorCode NeopNormalizerDestroy(NeopNormalizer *nz);
/* A normaliser from stored statistics (a checkpoint): copies mean and std
   ([channels * points] or [channels]); mean and std are PetscMalloc'ed
   separately, as by Fit, and freed by Destroy. Not collective. */
PetscErrorCode NeopNormalizerSetStats(NeopNormKind kind, int channels, int64_t points, float eps, const float *mean,
                                      const float *std, NeopNormalizer *nz);

/* Backend kernels of the normalisers (NeopBackendGet()->normalizer). x and y
   are (nsamples, channels, points); scale and shift have channels * points
   entries (pointwise) or channels entries (per channel). */
typedef struct NeopNormalizerKernels {
  /* y = x * scale + shift */
  void (*affine_forward)(int nsamples, int channels, int64_t points, PetscBool pointwise, const float *scale,
                         const float *shift, const float *x, float *y);
  /* dx += dy * scale */
  void (*affine_backward)(int nsamples, int channels, int64_t points, PetscBool pointwise, const float *scale,
                          const float *dy, float *dx);
} NeopNormalizerKernels;
