/* Entry points for programs that link libneop. */
#include <neop/neop.h>
#include "core/runtime.h"

PetscErrorCode NeopInitialize(MPI_Comm comm)
{
  PetscFunctionBegin;
  PetscCall(NeopRuntimeSetUp(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFinalize(void)
{
  NeopRuntimeTearDown();
  return PETSC_SUCCESS;
}
