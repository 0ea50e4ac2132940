/* Training data as one rank holds it, and the batches models see.

   Data-parallel reading: every rank holds a contiguous block of the selected
   samples. An epoch draws one global permutation (counter-based, keyed by
   (seed, epoch)); global batch k is perm[k B, (k+1) B) and each sample of it
   is processed by the rank that holds it. Gradients are summed over ranks and
   losses are divided by the GLOBAL batch size, so the result does not depend
   on the number of ranks beyond rounding. A rank's share of a batch may be 0. */
#pragma once
#include <neop/tensor.h>

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
} NeopDataset;

struct NeopBatch {
  NeopTensor *a;        /* (n, ca, *grid): this rank's part of the global batch */
  NeopTensor *u;        /* (n, cu, *grid) or NULL */
  int         n;        /* samples here (may be 0) */
  int         nglobal;  /* samples in the whole global batch: losses average over it */
  const int  *index;    /* [n] global sample indices */
};
