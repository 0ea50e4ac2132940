/* Time-dependent PDE generators for `neop datagen` (solvers/generator.h).
   Their options are read with full names (-burgers_nu, -ns_nu, ...), so the
   caller's PetscOptionsBegin must use no prefix. */
#pragma once
#include "generator.h"

PetscErrorCode NeopGeneratorCreate_Burgers(NeopGenerator g);       /* -pde burgers */
PetscErrorCode NeopGeneratorCreate_NavierStokes(NeopGenerator g);  /* -pde navier_stokes */

