/* DeepONet (Lu et al. 2021): the "multionet" code with linear last layers and
   one inner product (src/models/multionet.c). */
#include <neop/models.h>
#include "models/onet_family.h"

PetscErrorCode NeopModelCreate_DeepONet(NeopModel m)
{
  PetscFunctionBegin;
  PetscCall(NeopModelCreate_ONetFamily(m, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
