/* Constructors of the model families linked into libneop (one line each),
   registered in src/models/registry.c. */
#pragma once
#include <neop/model.h>

PetscErrorCode NeopModelCreate_FNO(NeopModel m);
