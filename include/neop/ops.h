/* Tensor ops with reverse-mode gradients. Every op:
     - takes the tape first and returns its output through the last argument,
       a new tensor in the step's arena;
     - records a node when an input requires a gradient and the tape records;
     - checks shapes and refuses mismatches with a message that shows them.
   Not collective. One file per family in src/ops/. */
#pragma once
#include <neop/autograd.h>
#include <neop/backend.h>

/* Linear layer on the last dim, PyTorch's convention:
   x (..., in), W (out, in), b (out) or NULL -> y (..., out) = x W^T + b. */
PetscErrorCode NeopOpLinear(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopTensor **y);

/* Point-wise activation y = f(x), any shape. */
PetscErrorCode NeopOpUnary(NeopTape *t, NeopUnaryKind kind, NeopTensor *x, NeopTensor **y);
/* Name <-> kind ("gelu", "relu", "tanh", "silu", "sin", "sigmoid", "softplus", "tanh_sin", "identity"). */
PetscErrorCode NeopUnaryKindFromName(const char *name, NeopUnaryKind *kind);
const char    *NeopUnaryKindName(NeopUnaryKind kind);

/* Element-wise sum of two tensors of the same shape. */
PetscErrorCode NeopOpAdd(NeopTape *t, NeopTensor *a, NeopTensor *b, NeopTensor **y);

/* Channel mixing at every point of a field (a 1x1 convolution):
   x (N, Cin, *S), W (Cout, Cin), b (Cout) or NULL -> y (N, Cout, *S). */
PetscErrorCode NeopOpChannelLinear(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopTensor **y);
