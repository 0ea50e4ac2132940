/* The CPU backend's kernels; the table is in src/backend/cpu/backend_cpu.c. */
#pragma once
#include <neop/backend.h>

PetscErrorCode neop_cpu_alloc(size_t bytes, void **ptr);
PetscErrorCode neop_cpu_free(void *ptr);
PetscErrorCode neop_cpu_zero(void *ptr, size_t bytes);
PetscErrorCode neop_cpu_copy(void *dst, const void *src, size_t bytes);
void neop_cpu_sgemm(PetscBool transA, PetscBool transB, int M, int N, int K, float alpha, const float *A, int lda,
                    const float *B, int ldb, float beta, float *C, int ldc);
void neop_cpu_sgemm_batched(PetscBool transA, PetscBool transB, int M, int N, int K, float alpha, const float *A,
                            int lda, int64_t strideA, const float *B, int ldb, int64_t strideB, float beta, float *C,
                            int ldc, int64_t strideC, int batch);
void neop_cpu_unary_forward(NeopUnaryKind kind, int64_t n, const float *x, float *y);
void neop_cpu_unary_backward(NeopUnaryKind kind, int64_t n, const float *x, const float *y, const float *dy, float *dx);
extern const struct NeopSpectralKernels neop_cpu_spectral;
