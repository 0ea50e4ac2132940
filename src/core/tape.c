#include <neop/autograd.h>
#include <neop/backend.h>

PetscErrorCode NeopTapeCreate(NeopTape **tape)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(tape));
  PetscCall(NeopArenaCreate(0, &(*tape)->arena));
  (*tape)->recording = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeDestroy(NeopTape **tape)
{
  PetscFunctionBegin;
  if (!*tape) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(NeopArenaDestroy(&(*tape)->arena));
  PetscCall(PetscFree((*tape)->nodes));
  PetscCall(PetscFree((*tape)->pool));
  PetscCall(PetscFree(*tape));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeReset(NeopTape *tape)
{
  PetscFunctionBegin;
  tape->nnodes = 0;
  tape->npool  = 0; /* the buffers were arena memory */
  PetscCall(NeopArenaReset(tape->arena));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeSetRecording(NeopTape *tape, PetscBool on)
{
  PetscFunctionBegin;
  tape->recording = on;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeAlloc(NeopTape *tape, size_t bytes, void **ptr)
{
  PetscFunctionBegin;
  PetscCall(NeopArenaAlloc(tape->arena, bytes, ptr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeTensor(NeopTape *tape, int ndim, const int *shape, NeopTensor **t)
{
  PetscFunctionBegin;
  PetscCall(NeopArenaAlloc(tape->arena, sizeof(NeopTensor), (void **)t));
  PetscCall(PetscMemzero(*t, sizeof(NeopTensor)));
  PetscCall(NeopTensorSetShape(*t, ndim, shape));
  PetscCall(NeopArenaAlloc(tape->arena, (size_t)(*t)->size * sizeof(float), (void **)&(*t)->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeTensorLike(NeopTape *tape, const NeopTensor *like, NeopTensor **t)
{
  PetscFunctionBegin;
  PetscCall(NeopTapeTensor(tape, like->ndim, like->shape, t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscBool NeopTapeNeedsGrad(NeopTape *tape, int nin, NeopTensor *const *in)
{
  if (!tape->recording) return PETSC_FALSE;
  for (int i = 0; i < nin; i++)
    if (in[i] && in[i]->requires_grad) return PETSC_TRUE;
  return PETSC_FALSE;
}

PetscErrorCode NeopTapeRecord(NeopTape *tape, const char *name, NeopBackwardFn backward, int nin,
                              NeopTensor *const *in, NeopTensor *out, NeopTapeNode **node)
{
  NeopTapeNode *n;

  PetscFunctionBegin;
  if (node) *node = NULL;
  if (!NeopTapeNeedsGrad(tape, nin, in)) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(nin <= NEOP_TAPE_MAX_INPUTS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "op %s: %d inputs, at most %d",
             name, nin, NEOP_TAPE_MAX_INPUTS);
  if (tape->nnodes == tape->cap) {
    int cap = tape->cap ? 2 * tape->cap : 256;
    PetscCall(PetscRealloc(sizeof(NeopTapeNode) * (size_t)cap, &tape->nodes));
    tape->cap = cap;
  }
  n = &tape->nodes[tape->nnodes++];
  PetscCall(PetscMemzero(n, sizeof(*n)));
  n->name     = name;
  n->backward = backward;
  n->nin      = nin;
  for (int i = 0; i < nin; i++) n->in[i] = in[i];
  n->out             = out;
  out->requires_grad = PETSC_TRUE;
  if (node) *node = n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeGradFresh(NeopTape *tape, NeopTensor *t, float **grad, PetscBool *fresh)
{
  PetscFunctionBegin;
  *grad  = NULL;
  *fresh = PETSC_FALSE;
  if (!t || !t->requires_grad) PetscFunctionReturn(PETSC_SUCCESS);
  if (!t->grad) {
    size_t bytes = (size_t)t->size * sizeof(float);
    for (int i = tape->npool - 1; i >= 0; i--)
      if (tape->pool[i].bytes == bytes) {
        t->grad       = tape->pool[i].ptr;
        tape->pool[i] = tape->pool[--tape->npool];
        break;
      }
    if (!t->grad) PetscCall(NeopArenaAlloc(tape->arena, bytes, (void **)&t->grad));
    *fresh = PETSC_TRUE;
  }
  *grad = t->grad;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeGrad(NeopTape *tape, NeopTensor *t, float **grad)
{
  PetscBool fresh;

  PetscFunctionBegin;
  PetscCall(NeopTapeGradFresh(tape, t, grad, &fresh));
  if (fresh) PetscCall(NeopBackendGet()->zero(*grad, (size_t)t->size * sizeof(float)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTapeBackward(NeopTape *tape, NeopTensor *loss)
{
  float *g;
  float  one = 1.0f;

  PetscFunctionBegin;
  PetscCheck(loss->size == 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "backward needs a scalar loss, got %lld values",
             (long long)loss->size);
  PetscCheck(loss->requires_grad, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE,
             "backward: the loss does not depend on any parameter (was the tape recording?)");
  PetscCall(NeopTapeGrad(tape, loss, &g));
  PetscCall(NeopBackendGet()->from_host(g, &one, sizeof(float)));
  for (int i = tape->nnodes - 1; i >= 0; i--) {
    NeopTapeNode *n = &tape->nodes[i];
    NeopTensor   *z;
    if (!n->out->grad) continue; /* nothing downstream used this output */
    z = n->pass_grad ? n->in[n->pass_grad - 1] : NULL;
    if (z && n->out != loss && !n->out->is_param && z->requires_grad && !z->grad && z->size == n->out->size) {
      PetscBool alone = PETSC_TRUE; /* z is no other input of the node, whose gradient would alias it */
      for (int k = 0; k < n->nin; k++)
        if (k != n->pass_grad - 1 && n->in[k] == z) alone = PETSC_FALSE;
      if (alone) {
        /* out's gradient is dead after this backward: it becomes z's, instead of a zeroed buffer plus a copy */
        z->grad = n->out->grad;
        PetscCall(n->backward(tape, n));
        n->out->grad = NULL;
        continue;
      }
    }
    PetscCall(n->backward(tape, n));
    if (n->out != loss && !n->out->is_param) {
      /* every consumer of out ran before this node: its gradient is dead */
      if (tape->npool == tape->pool_cap) {
        tape->pool_cap = tape->pool_cap ? 2 * tape->pool_cap : 64;
        PetscCall(PetscRealloc(sizeof(NeopGradBuffer) * (size_t)tape->pool_cap, &tape->pool));
      }
      tape->pool[tape->npool].bytes = (size_t)n->out->size * sizeof(float);
      tape->pool[tape->npool++].ptr = n->out->grad;
      n->out->grad                  = NULL;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
