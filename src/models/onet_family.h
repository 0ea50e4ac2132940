/* Shared constructor of the supervised branch/trunk families (deeponet, multionet). */
#pragma once
#include <neop/model.h>

PetscErrorCode NeopModelCreate_ONetFamily(NeopModel m, PetscBool deeponet);
