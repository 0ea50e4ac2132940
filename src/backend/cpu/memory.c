/* CPU backend: memory is host memory. */
#include "backend/cpu/cpu.h"
#include <stdlib.h>
#include <string.h>

PetscErrorCode neop_cpu_alloc(size_t bytes, void **ptr)
{
  PetscFunctionBegin;
  *ptr = NULL;
  if (!bytes) bytes = 64;
  PetscCheck(!posix_memalign(ptr, 64, (bytes + 63) / 64 * 64), PETSC_COMM_SELF, PETSC_ERR_MEM,
             "out of memory allocating %zu bytes", bytes);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_cpu_free(void *ptr)
{
  free(ptr);
  return PETSC_SUCCESS;
}

PetscErrorCode neop_cpu_zero(void *ptr, size_t bytes)
{
  memset(ptr, 0, bytes);
  return PETSC_SUCCESS;
}

PetscErrorCode neop_cpu_copy(void *dst, const void *src, size_t bytes)
{
  if (dst != src) memmove(dst, src, bytes);
  return PETSC_SUCCESS;
}
