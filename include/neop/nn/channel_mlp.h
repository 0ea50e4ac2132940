/* A point-wise two-layer MLP over the channels of a field as one op:

     y = W2 act(W1 x + b1) + b2       x (N, Cin, *S), W1 (Cmid, Cin), W2 (Cout, Cmid)

   (FNO's projection fc1/fc2 and channel MLPs). The same function as
   NeopOpChannelLinear + NeopOpUnary + NeopOpChannelLinear, but it keeps only
   the pre-activation z (N, Cmid, *S): the hidden activation and the gradients
   of both hidden tensors live in scratch of one sample, recomputed in the
   backward: 1 wide tensor instead of 4 (2 activations, 2 gradients). */
#pragma once
#include <neop/ops.h>

/* b1, b2 may be NULL. Not collective. */
PetscErrorCode NeopOpChannelMLP(NeopTape *t, NeopTensor *x, NeopTensor *W1, NeopTensor *b1, NeopUnaryKind act, NeopTensor *W2,
                                NeopTensor *b2, NeopTensor **y);
