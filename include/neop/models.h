/* Constructors of the model families linked into libneop (one line each),
   registered in src/models/registry.c. */
#pragma once
#include <neop/model.h>

PetscErrorCode NeopModelCreate_Transolver(NeopModel m);
PetscErrorCode NeopModelCreate_DeepONet(NeopModel m);
PetscErrorCode NeopModelCreate_MultiONet(NeopModel m);
PetscErrorCode NeopModelCreate_DGNO(NeopModel m);
PetscErrorCode NeopModelCreate_MLP(NeopModel m);
PetscErrorCode NeopModelCreate_MgNO(NeopModel m);
PetscErrorCode NeopModelCreate_FNO(NeopModel m);
PetscErrorCode NeopModelCreate_Galerkin(NeopModel m);
