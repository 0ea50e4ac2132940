/* CPU backend: memory is host memory. Large blocks (the activation arena,
   parameter and moment buffers) are mapped directly with mmap and returned to
   the system on free: Open MPI's memory hooks can keep freed malloc memory
   resident, so a freed arena chunk would otherwise stay in the peak RSS. */
#include "backend/cpu/cpu.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NEOP_CPU_ALIGN  64
#define NEOP_CPU_MAPPED ((size_t)1 << 20) /* blocks of at least this size are mapped */

/* every block starts with a header of NEOP_CPU_ALIGN bytes: its length, 0 for a malloc'd block */
PetscErrorCode neop_cpu_alloc(size_t bytes, void **ptr)
{
  size_t len = NEOP_CPU_ALIGN + (bytes + NEOP_CPU_ALIGN - 1) / NEOP_CPU_ALIGN * NEOP_CPU_ALIGN;
  char  *raw = NULL;

  PetscFunctionBegin;
  *ptr = NULL;
  if (len >= NEOP_CPU_MAPPED) {
    raw = (char *)mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    PetscCheck(raw != MAP_FAILED, PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory mapping %zu bytes", bytes);
    *(size_t *)raw = len;
  } else {
    PetscCheck(!posix_memalign((void **)&raw, NEOP_CPU_ALIGN, len), PETSC_COMM_SELF, PETSC_ERR_MEM, "out of memory allocating %zu bytes", bytes);
    *(size_t *)raw = 0;
  }
  *ptr = raw + NEOP_CPU_ALIGN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_cpu_free(void *ptr)
{
  char  *raw;
  size_t len;

  PetscFunctionBegin;
  if (!ptr) PetscFunctionReturn(PETSC_SUCCESS);
  raw = (char *)ptr - NEOP_CPU_ALIGN;
  len = *(size_t *)raw;
  if (len) PetscCheck(!munmap(raw, len), PETSC_COMM_SELF, PETSC_ERR_SYS, "munmap of %zu bytes failed", len);
  else free(raw);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* large blocks (gradients cleared before a backward adds into them) are split over the threads */
PetscErrorCode neop_cpu_zero(void *ptr, size_t bytes)
{
  const size_t piece = (size_t)1 << 20;
  int64_t      n     = (int64_t)((bytes + piece - 1) / piece);

#pragma omp parallel for if (n > 1)
  for (int64_t i = 0; i < n; i++) memset((char *)ptr + i * piece, 0, i == n - 1 ? bytes - (size_t)i * piece : piece);
  return PETSC_SUCCESS;
}

PetscErrorCode neop_cpu_copy(void *dst, const void *src, size_t bytes)
{
  if (dst != src) memmove(dst, src, bytes);
  return PETSC_SUCCESS;
}
