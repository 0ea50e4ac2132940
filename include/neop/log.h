/* PETSc logging for neop: one class id and one event per op family, the
   optimizer, the allreduce and I/O, so that -log_view shows where a step goes. */
#pragma once
#include <neop/petsc_compat.h>
#include <petsclog.h>

extern PetscClassId NEOP_CLASSID;

/* Registers (once) and returns the event called 'name' ("NeopGemm", ...).
   Not collective; call it on every rank in the same order (PETSc requires it
   for -log_view across ranks): ops do so on their first use. */
PetscErrorCode NeopLogEvent(const char *name, PetscLogEvent *event);
