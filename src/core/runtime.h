/* Process-wide set-up for the neop executable and the tests. */
#pragma once
#include <neop/petsc_compat.h>

/* Registers the log class, reads -threads N (threads inside a rank for
   OpenBLAS, OpenMP loops and FFTW). Collective. */
PetscErrorCode NeopRuntimeSetUp(MPI_Comm comm);
/* Errors out (naming them) if options were given that nothing read. Collective. */
PetscErrorCode NeopRuntimeCheckOptionsUsed(MPI_Comm comm);
void           NeopRuntimeTearDown(void);
/* Threads per rank chosen by -threads (default 1). */
int            NeopRuntimeThreads(void);
