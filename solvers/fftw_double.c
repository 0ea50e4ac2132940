#include "fftw_double.h"
#include "core/runtime.h"

static int fftw_threads_ready;

PetscErrorCode NeopFFTWDoubleSetUp(void)
{
  PetscFunctionBegin;
  if (!fftw_threads_ready) {
    PetscCheck(fftw_init_threads(), PETSC_COMM_SELF, PETSC_ERR_LIB, "fftw_init_threads failed");
    fftw_threads_ready = 1;
  }
  fftw_plan_with_nthreads(NeopRuntimeThreads());
  PetscFunctionReturn(PETSC_SUCCESS);
}
