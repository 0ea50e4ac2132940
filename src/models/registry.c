/* Every model family linked into libneop registers here. */
#include <neop/models.h>

PetscErrorCode NeopModelRegisterAll(void)
{
  static PetscBool done = PETSC_FALSE;

  PetscFunctionBegin;
  if (done) PetscFunctionReturn(PETSC_SUCCESS);
  done = PETSC_TRUE;
  PetscCall(NeopModelRegister("transolver", NeopModelCreate_Transolver));
  PetscCall(NeopModelRegister("deeponet", NeopModelCreate_DeepONet));
  PetscCall(NeopModelRegister("multionet", NeopModelCreate_MultiONet));
  PetscCall(NeopModelRegister("dgno", NeopModelCreate_DGNO));
  PetscCall(NeopModelRegister("mlp", NeopModelCreate_MLP));
  PetscCall(NeopModelRegister("mgno", NeopModelCreate_MgNO));
  PetscCall(NeopModelRegister("fno", NeopModelCreate_FNO));
  PetscCall(NeopModelRegister("galerkin", NeopModelCreate_Galerkin));
  PetscFunctionReturn(PETSC_SUCCESS);
}
