#include <neop/arena.h>
#include <neop/backend.h>

#define NEOP_ARENA_ALIGN 64

struct NeopArenaChunk {
  NeopArenaChunk *next;
  char           *base; /* [cap] backend memory */
  size_t          cap, used;
};

static PetscErrorCode chunk_new(size_t cap, NeopArenaChunk **c)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(c));
  PetscCall(NeopBackendGet()->alloc(cap, (void **)&(*c)->base));
  (*c)->cap = cap;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopArenaCreate(size_t initial_bytes, NeopArena **arena)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(arena));
  if (initial_bytes) PetscCall(chunk_new(initial_bytes, &(*arena)->chunks));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopArenaAlloc(NeopArena *a, size_t bytes, void **ptr)
{
  NeopArenaChunk *c = a->chunks;

  PetscFunctionBegin;
  bytes = (bytes + NEOP_ARENA_ALIGN - 1) / NEOP_ARENA_ALIGN * NEOP_ARENA_ALIGN;
  if (!bytes) bytes = NEOP_ARENA_ALIGN;
  if (!c || c->used + bytes > c->cap) {
    /* New chunk at least twice the last, so the chunk count stays logarithmic. */
    size_t cap = c ? 2 * c->cap : ((size_t)1 << 20);
    while (cap < bytes) cap *= 2;
    PetscCall(chunk_new(cap, &c));
    c->next   = a->chunks;
    a->chunks = c;
  }
  *ptr = c->base + c->used;
  c->used += bytes;
  a->used += bytes;
  if (a->used > a->peak) a->peak = a->used;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopArenaCalloc(NeopArena *a, size_t bytes, void **ptr)
{
  PetscFunctionBegin;
  PetscCall(NeopArenaAlloc(a, bytes, ptr));
  PetscCall(NeopBackendGet()->zero(*ptr, bytes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopArenaReset(NeopArena *a)
{
  PetscFunctionBegin;
  if (a->chunks && a->chunks->next) {
    /* Several chunks were needed: replace them by one that holds the peak. */
    size_t total = 0;
    for (NeopArenaChunk *c = a->chunks, *n; c; c = n) {
      n = c->next;
      total += c->cap;
      PetscCall(NeopBackendGet()->free(c->base));
      PetscCall(PetscFree(c));
    }
    a->chunks = NULL;
    PetscCall(chunk_new(total, &a->chunks));
  }
  if (a->chunks) a->chunks->used = 0;
  a->used = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopArenaDestroy(NeopArena **arena)
{
  PetscFunctionBegin;
  if (!*arena) PetscFunctionReturn(PETSC_SUCCESS);
  for (NeopArenaChunk *c = (*arena)->chunks, *n; c; c = n) {
    n = c->next;
    PetscCall(NeopBackendGet()->free(c->base));
    PetscCall(PetscFree(c));
  }
  PetscCall(PetscFree(*arena));
  PetscFunctionReturn(PETSC_SUCCESS);
}
