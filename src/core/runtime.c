#include "core/runtime.h"
#include <neop/log.h>
#include <neop/model.h>
#include <neop/nn/spectral_conv.h>
#include <fftw3.h>
#include <omp.h>
#include <string.h>
#if defined(__SSE2__)
#include <pmmintrin.h>
#endif

/* OpenBLAS's own setter; no header declares it portably. */
void openblas_set_num_threads(int);

static int neop_threads = 1;

/* Flush-to-zero and denormals-are-zero in every thread of the process (the
   control register is per thread: set in a parallel region for OpenMP's
   pool; threads created later copy their creator's). A float32 network
   makes subnormal numbers (|v| < 1.2e-38) wherever GELU's tail meets a small
   gradient, and each multiply that reads or writes one traps into microcode
   (~100x a normal FMA): in MgNO's Darcy training 9% of one gradient field is
   subnormal, and the convs reading it ran 2x slower. Flushing them changes no
   value larger than 1.2e-38. */
static void flush_denormals(PetscBool on)
{
#if defined(__SSE2__)
#pragma omp parallel
  {
    _MM_SET_FLUSH_ZERO_MODE(on ? _MM_FLUSH_ZERO_ON : _MM_FLUSH_ZERO_OFF);
    _MM_SET_DENORMALS_ZERO_MODE(on ? _MM_DENORMALS_ZERO_ON : _MM_DENORMALS_ZERO_OFF);
  }
#else
  (void)on;
#endif
}

int NeopRuntimeThreads(void) { return neop_threads; }

PetscErrorCode NeopRuntimeSetUp(MPI_Comm comm)
{
  PetscInt  threads = 1;
  PetscBool flush   = PETSC_TRUE;

  PetscFunctionBegin;
  if (!NEOP_CLASSID) PetscCall(PetscClassIdRegister("neop", &NEOP_CLASSID));
  PetscOptionsBegin(comm, NULL, "neop runtime", NULL);
  PetscCall(PetscOptionsInt("-threads", "threads inside each rank (OpenBLAS, OpenMP, FFTW)", NULL, threads, &threads, NULL));
  PetscCall(PetscOptionsBool("-flush_denormals", "treat subnormal floats as zero (x86 FTZ/DAZ): no microcode traps", NULL, flush, &flush, NULL));
  PetscOptionsEnd();
  PetscCheck(threads >= 1 && threads <= 1024, comm, PETSC_ERR_ARG_OUTOFRANGE, "-threads %d: must be in [1, 1024]",
             (int)threads);
  neop_threads = (int)threads;
  openblas_set_num_threads(neop_threads);
  omp_set_num_threads(neop_threads);
  flush_denormals(flush);
  PetscCheck(fftwf_init_threads(), comm, PETSC_ERR_LIB, "fftwf_init_threads failed");
  fftwf_plan_with_nthreads(neop_threads);
  PetscCall(NeopModelRegisterAll());
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopRuntimeCheckOptionsUsed(MPI_Comm comm)
{
  PetscInt n;
  char   **names, **values;
  char     list[1024] = "";

  PetscFunctionBegin;
  PetscCall(PetscOptionsLeftGet(NULL, &n, &names, &values));
  for (PetscInt i = 0; i < n; i++) {
    PetscCall(PetscStrlcat(list, " -", sizeof(list)));
    PetscCall(PetscStrlcat(list, names[i], sizeof(list)));
  }
  PetscInt left = n; /* Restore zeroes n */
  PetscCall(PetscOptionsLeftRestore(NULL, &n, &names, &values));
  PetscCheck(left == 0, comm, PETSC_ERR_ARG_WRONG, "unknown or unused option%s:%s (see -help)", left > 1 ? "s" : "", list);
  PetscFunctionReturn(PETSC_SUCCESS);
}

void NeopRuntimeTearDown(void)
{
  if (NeopBackendGet()->spectral) NeopBackendGet()->spectral->cleanup(); /* plans go before FFTW's clean-up */
  fftwf_cleanup_threads();
}
