/* Every model family linked into libneop registers here. */
#include <neop/model.h>
#include <neop/models.h>

PetscErrorCode NeopModelRegisterAll(void)
{
  static PetscBool done = PETSC_FALSE;

  PetscFunctionBegin;
  if (done) PetscFunctionReturn(PETSC_SUCCESS);
  done = PETSC_TRUE;
  PetscCall(NeopModelRegister("fno", NeopModelCreate_FNO));
  PetscFunctionReturn(PETSC_SUCCESS);
}
