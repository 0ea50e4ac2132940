/* Reverse-mode automatic differentiation on a tape.

   An op computes its output in its forward kernel and, when any input requires
   a gradient and the tape is recording, appends a node that holds its inputs,
   its output, a backward function and whatever it saved (ctx, arena memory).
   NeopTapeBackward() seeds d(loss)/d(loss) = 1 and runs the nodes in reverse;
   each backward ADDS into the gradients of its inputs (NeopTapeGrad gives a
   zeroed buffer on first use). Parameter gradients land in the flat gradient
   buffer of NeopParams. The tape owns the arena of the step: Reset() drops
   every node and activation at once. */
#pragma once
#include <neop/tensor.h>
#include <neop/arena.h>

#define NEOP_TAPE_MAX_INPUTS 8

typedef struct NeopTape NeopTape;
typedef struct NeopTapeNode NeopTapeNode;
typedef PetscErrorCode (*NeopBackwardFn)(NeopTape *tape, NeopTapeNode *node);

struct NeopTapeNode {
  const char    *name;                        /* op name, for errors and -log_view */
  NeopBackwardFn backward;
  int            nin;
  NeopTensor    *in[NEOP_TAPE_MAX_INPUTS];
  NeopTensor    *out;
  void          *ctx;                         /* op-specific saved state (arena) */
  double         real[4];                     /* small op attributes */
  int            ints[8];
  int            pass_grad;                   /* i + 1 when out = in[i] + ...: the gradient of in[i] starts as
                                                 out's, so NeopTapeBackward may hand out's buffer to in[i]
                                                 (the backward then skips that addition); 0: none */
};

/* A gradient buffer whose node has run its backward, ready for reuse. */
typedef struct {
  size_t bytes;
  float *ptr;
} NeopGradBuffer;

struct NeopTape {
  NeopArena      *arena;
  NeopTapeNode   *nodes;     /* [cap] */
  int             nnodes, cap;
  PetscBool       recording; /* false: ops run forward only (evaluation) */
  NeopGradBuffer *pool;      /* [npool] free gradient buffers of this step */
  int             npool, pool_cap;
};

/* Not collective. */
PetscErrorCode NeopTapeCreate(NeopTape **tape);
PetscErrorCode NeopTapeDestroy(NeopTape **tape);
/* Forget all nodes and free all activations of the step. */
PetscErrorCode NeopTapeReset(NeopTape *tape);
PetscErrorCode NeopTapeSetRecording(NeopTape *tape, PetscBool on);

/* A new tensor of the given shape in the step's arena, data uninitialised. */
PetscErrorCode NeopTapeTensor(NeopTape *tape, int ndim, const int *shape, NeopTensor **t);
/* Same shape as 'like'. */
PetscErrorCode NeopTapeTensorLike(NeopTape *tape, const NeopTensor *like, NeopTensor **t);
/* Scratch memory valid until Reset. */
PetscErrorCode NeopTapeAlloc(NeopTape *tape, size_t bytes, void **ptr);

/* True when an op with these inputs must record a node. */
PetscBool NeopTapeNeedsGrad(NeopTape *tape, int nin, NeopTensor *const *in);
/* Appends a node (when NeopTapeNeedsGrad) and marks out->requires_grad.
   *node is NULL when nothing was recorded. */
PetscErrorCode NeopTapeRecord(NeopTape *tape, const char *name, NeopBackwardFn backward, int nin,
                              NeopTensor *const *in, NeopTensor *out, NeopTapeNode **node);
/* The gradient buffer of t, zero-filled on first use; NULL if t needs no gradient. */
PetscErrorCode NeopTapeGrad(NeopTape *tape, NeopTensor *t, float **grad);
/* The same without the zero fill: *fresh is true when the buffer was just
   taken (its contents undefined), and the caller must then write every
   element before anything reads it (a backward whose first product
   overwrites instead of adding saves a pass over the buffer). */
PetscErrorCode NeopTapeGradFresh(NeopTape *tape, NeopTensor *t, float **grad, PetscBool *fresh);
/* Runs backward from a scalar (size 1) loss. The gradient of a node's output
   is dead once that node's backward has run: its buffer goes back to a pool
   that later NeopTapeGrad calls draw from, so a step holds the gradients of
   the live frontier only (as PyTorch frees them), not of every activation.
   Gradients of leaves (parameters, inputs marked requires_grad) are kept. */
PetscErrorCode NeopTapeBackward(NeopTape *tape, NeopTensor *loss);
