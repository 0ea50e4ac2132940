/* Small shims so neop builds against Debian's PETSc 3.18 and newer releases. */
#pragma once
#include <petscsys.h>
#include <petscversion.h>

#if PETSC_VERSION_LT(3, 19, 0)
  #define PETSC_SUCCESS 0
#endif
