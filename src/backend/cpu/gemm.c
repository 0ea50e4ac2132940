/* Dense products on OpenBLAS. */
#include "backend/cpu/cpu.h"
#include <cblas.h>

void neop_cpu_sgemm(PetscBool transA, PetscBool transB, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc)
{
  if (!M || !N) return;
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
}

void neop_cpu_sgemm_batched(PetscBool transA, PetscBool transB, int M, int N, int K, float alpha, const float *A,
                            int lda, int64_t strideA, const float *B, int ldb, int64_t strideB, float beta, float *C,
                            int ldc, int64_t strideC, int batch)
{
  /* OpenBLAS 0.3.21 has no batched sgemm: loop; each call is threaded inside. */
  for (int b = 0; b < batch; b++)
    neop_cpu_sgemm(transA, transB, M, N, K, alpha, A + b * strideA, lda, B + b * strideB, ldb, beta, C + b * strideC, ldc);
}

int neop_cpu_blas_single(int nt)
{
  int old = openblas_get_num_threads();
  if (nt > 1) openblas_set_num_threads(1);
  return old;
}

void neop_cpu_blas_restore(int nt, int old)
{
  if (nt > 1) openblas_set_num_threads(old);
}
