/* Arena: the activations of one step. Allocation is a pointer bump; Reset()
   makes everything reusable at once and folds the chunks used into one, so
   after the first step a training loop allocates no memory. */
#pragma once
#include <neop/petsc_compat.h>

typedef struct NeopArenaChunk NeopArenaChunk;
typedef struct NeopArena {
  NeopArenaChunk *chunks;   /* newest first */
  size_t used;             /* bytes handed out since the last reset */
  size_t peak;             /* largest 'used' seen, over the arena's life */
} NeopArena;

PetscErrorCode NeopArenaCreate(size_t initial_bytes, NeopArena **arena);
/* 64-byte aligned, uninitialised memory valid until the next Reset. Not collective. */
PetscErrorCode NeopArenaAlloc(NeopArena *arena, size_t bytes, void **ptr);
PetscErrorCode NeopArenaCalloc(NeopArena *arena, size_t bytes, void **ptr);
PetscErrorCode NeopArenaReset(NeopArena *arena);
PetscErrorCode NeopArenaDestroy(NeopArena **arena);
