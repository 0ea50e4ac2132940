#include "core/runtime.h"
#include <neop/log.h>
#include <neop/model.h>
#include <neop/nn/spectral_conv.h>
#include <fftw3.h>
#include <omp.h>
#include <string.h>

/* OpenBLAS's own setter; no header declares it portably. */
void openblas_set_num_threads(int);

static int neop_threads = 1;

int NeopRuntimeThreads(void) { return neop_threads; }

PetscErrorCode NeopRuntimeSetUp(MPI_Comm comm)
{
  PetscInt threads = 1;

  PetscFunctionBegin;
  if (!NEOP_CLASSID) PetscCall(PetscClassIdRegister("neop", &NEOP_CLASSID));
  PetscOptionsBegin(comm, NULL, "neop runtime", NULL);
  PetscCall(PetscOptionsInt("-threads", "threads inside each rank (OpenBLAS, OpenMP, FFTW)", NULL, threads, &threads, NULL));
  PetscOptionsEnd();
  PetscCheck(threads >= 1 && threads <= 1024, comm, PETSC_ERR_ARG_OUTOFRANGE, "-threads %d: must be in [1, 1024]",
             (int)threads);
  neop_threads = (int)threads;
  openblas_set_num_threads(neop_threads);
  omp_set_num_threads(neop_threads);
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
