/* Grid coordinates as extra input channels, as the FNO scripts' get_grid:
   x (N, C, *S) -> y (N, C + d, *S), channel C + i holding coordinate i of
   each point, linspace(0, 1, S_i) (both ends included). Not collective. */
#pragma once
#include <neop/ops.h>

PetscErrorCode NeopOpAppendGrid(NeopTape *t, NeopTensor *x, NeopTensor **y);
