/* Domain padding for FNO on non-periodic problems: zeros appended at the END
   of each spatial dim before the Fourier layers (the scripts' F.pad(x, [0, p,
   0, p])) and cropped after them. Same convention as the general
   NeopOpPad/NeopOpCrop being added to neop/ops.h; these two serve FNO until
   those land. Not collective. */
#pragma once
#include <neop/ops.h>

/* x (N, C, *S) -> y (N, C, S_i + pad[i]) with zeros in the new entries;
   pad[i] >= 0 for the d = ndim - 2 spatial dims. */
PetscErrorCode NeopOpDomainPad(NeopTape *t, NeopTensor *x, const int *pad, NeopTensor **y);
/* x (N, C, *S) -> y (N, C, S_i - crop[i]): the first S_i - crop[i] entries. */
PetscErrorCode NeopOpDomainCrop(NeopTape *t, NeopTensor *x, const int *crop, NeopTensor **y);
