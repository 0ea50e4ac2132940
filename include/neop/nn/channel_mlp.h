/* A point-wise two-layer MLP over the channels of a field as one op:

     y = W2 act(W1 x + b1) + b2       x (N, Cin, *S), W1 (Cmid, Cin), W2 (Cout, Cmid)

   (FNO's projection fc1/fc2 and channel MLPs). The same function as
   NeopOpChannelLinear + NeopOpUnary + NeopOpChannelLinear, but it keeps only
   the hidden activation h = act(z) and act'(z) (z = W1 x + b1, both
   (N, Cmid, *S), made in one pass over z), and the gradients of both hidden
   tensors live in scratch of one sample: 2 wide tensors instead of 4
   (2 activations, 2 gradients), and no activation is evaluated in the
   backward. */
#pragma once
#include <neop/ops.h>

/* b1, b2 may be NULL. Not collective. */
PetscErrorCode NeopOpChannelMLP(NeopTape *t, NeopTensor *x, NeopTensor *W1, NeopTensor *b1, NeopUnaryKind act, NeopTensor *W2,
                                NeopTensor *b2, NeopTensor **y);
