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
/* Name <-> kind ("gelu", "relu", "tanh", "silu", "sin", "sigmoid", "softplus", "tanh_sin", "silu_sin", "silu_id", "identity"). */
PetscErrorCode NeopUnaryKindFromName(const char *name, NeopUnaryKind *kind);
const char    *NeopUnaryKindName(NeopUnaryKind kind);

/* Element-wise y = a + b, a - b, a * b with NumPy broadcasting (src/ops/binary.c):
   shapes are aligned at their last dims; along each dim the extents must be equal
   or one of them 1 (or missing), and y takes the larger. E.g. b (C, *S), (1, C, 1, 1)
   or (1) against a (N, C, *S); a (C,) aligns with the LAST dim of a, so for a
   per-channel bias of a field use NeopOpBiasAdd. */
PetscErrorCode NeopOpAdd(NeopTape *t, NeopTensor *a, NeopTensor *b, NeopTensor **y);

/* Channel mixing at every point of a field (a 1x1 convolution):
   x (N, Cin, *S), W (Cout, Cin), b (Cout) or NULL -> y (N, Cout, *S). */
PetscErrorCode NeopOpChannelLinear(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopTensor **y);
PetscErrorCode NeopOpSub(NeopTape *t, NeopTensor *a, NeopTensor *b, NeopTensor **y);
PetscErrorCode NeopOpMul(NeopTape *t, NeopTensor *a, NeopTensor *b, NeopTensor **y);
/* y = alpha x. */
PetscErrorCode NeopOpScale(NeopTape *t, NeopTensor *x, double alpha, NeopTensor **y);
/* y (N, C, *S) = x (N, C, *S) + b (C) on every sample and point. */
PetscErrorCode NeopOpBiasAdd(NeopTape *t, NeopTensor *x, NeopTensor *b, NeopTensor **y);

/* Reductions (src/ops/reduce.c). Sum and mean over all elements give a scalar
   (ndim 0, size 1). */
PetscErrorCode NeopOpSum(NeopTape *t, NeopTensor *x, NeopTensor **y);
PetscErrorCode NeopOpMean(NeopTape *t, NeopTensor *x, NeopTensor **y);
/* Sum over the ndims dims listed in dims (negative counts from the end); keepdim
   keeps them with extent 1, as torch.sum(x, dims, keepdim). */
PetscErrorCode NeopOpSumDims(NeopTape *t, NeopTensor *x, int ndims, const int *dims, PetscBool keepdim, NeopTensor **y);
/* Per-sample Lp norm, p >= 1: x (N, ...) -> y (N) = (sum |x_n|^p)^(1/p). */
PetscErrorCode NeopOpNormLp(NeopTape *t, NeopTensor *x, double p, NeopTensor **y);

/* Shape ops (src/ops/shape.c, slice.c, pad.c). */
/* Same data, new shape (one extent may be -1: inferred). A view: no copy. */
PetscErrorCode NeopOpReshape(NeopTape *t, NeopTensor *x, int ndim, const int *shape, NeopTensor **y);
/* y = x.permute(perm): y->shape[d] = x->shape[perm[d]]. */
PetscErrorCode NeopOpPermute(NeopTape *t, NeopTensor *x, const int *perm, NeopTensor **y);
/* y = x[..., start:stop:step, ...] along dim (Python rules for negative start/stop; step >= 1). */
PetscErrorCode NeopOpSlice(NeopTape *t, NeopTensor *x, int dim, int start, int stop, int step, NeopTensor **y);
/* Concatenation of n <= 6 tensors along dim; the other extents must agree. */
PetscErrorCode NeopOpConcat(NeopTape *t, int n, NeopTensor *const *x, int dim, NeopTensor **y);
/* Zero padding at the END of the last nd dims: dim ndim-nd+i grows by pad[i]
   (FNO's F.pad(x, [0, p, 0, p]) is nd = 2, pad = {p, p}). Crop is its inverse:
   it drops crop[i] entries from the end of those dims. */
PetscErrorCode NeopOpPad(NeopTape *t, NeopTensor *x, int nd, const int *pad, NeopTensor **y);
PetscErrorCode NeopOpCrop(NeopTape *t, NeopTensor *x, int nd, const int *crop, NeopTensor **y);

/* Losses (src/ops/loss.c), scalar outputs. With data parallelism every rank
   holds part of the global batch; MEAN divides by the GLOBAL batch size nglobal
   so that the sum over ranks of the local losses (and of their gradients) is
   the loss of the whole batch. A rank with no sample gives a 0 loss that is
   still on the tape. */
typedef enum { NEOP_REDUCTION_SUM, NEOP_REDUCTION_MEAN } NeopReduction;
/* Relative Lp error per sample, ||y_n - u_n||_p / ||u_n||_p, summed over the
   local samples (SUM) or summed and divided by nglobal (MEAN). pred and target
   (N, ...) have one shape; p >= 1 (2 is the usual choice). */
PetscErrorCode NeopOpLossRelLp(NeopTape *t, NeopTensor *pred, NeopTensor *target, double p, NeopReduction red,
                               int nglobal, NeopTensor **loss);
/* Squared error sum_i (y_i - u_i)^2 (SUM), or divided by nglobal times the
   values per sample (MEAN: torch's MSELoss when nglobal is the batch). */
PetscErrorCode NeopOpLossMSE(NeopTape *t, NeopTensor *pred, NeopTensor *target, NeopReduction red, int nglobal,
                             NeopTensor **loss);
