/* Every model family linked into libneop registers here. */
#include <neop/model.h>

PetscErrorCode NeopModelRegisterAll(void)
{
  static PetscBool done = PETSC_FALSE;

  PetscFunctionBegin;
  if (done) PetscFunctionReturn(PETSC_SUCCESS);
  done = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}
