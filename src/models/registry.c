/* Every model family linked into libneop registers here. */
#include <neop/models.h>

PetscErrorCode NeopModelRegisterAll(void)
{
  static PetscBool done = PETSC_FALSE;

  PetscFunctionBegin;
  if (done) PetscFunctionReturn(PETSC_SUCCESS);
  done = PETSC_TRUE;
  PetscCall(NeopModelRegister("mgno", NeopModelCreate_MgNO));
  PetscFunctionReturn(PETSC_SUCCESS);
}
