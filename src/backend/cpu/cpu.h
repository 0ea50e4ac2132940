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
/* Around an OpenMP loop over nt threads that calls BLAS: OpenBLAS runs single-threaded in
   each (nt > 1) and gets its thread count back after; single returns the count to restore. */
int  neop_cpu_blas_single(int nt);
void neop_cpu_blas_restore(int nt, int old);
void neop_cpu_unary_forward(NeopUnaryKind kind, int64_t n, const float *x, float *y);
void neop_cpu_unary_backward(NeopUnaryKind kind, int64_t n, const float *x, const float *y, const float *dy, float *dx);
void neop_cpu_unary_grad(NeopUnaryKind kind, int64_t n, const float *x, const float *y, float *dy);
void neop_cpu_unary_forward_grad(NeopUnaryKind kind, int64_t n, const float *x, float *y, float *dy);
/* NeopONetKernels.bias_act and act_grad (src/backend/cpu/onet_act.c) */
void neop_cpu_onet_bias_act(NeopUnaryKind kind, int64_t outer, int C, int64_t inner, const float *b, const float *z, float *y, float *d);
void neop_cpu_onet_act_grad(int64_t n, const float *d, float *dy);
void neop_cpu_axpby(int64_t n, float alpha, const float *x, float beta, float *y);
void neop_cpu_binary(NeopBinaryKind kind, int ndim, const int *shape, const int64_t *sa, const float *a, const int64_t *sb,
                     const float *b, float beta, float *y);
void neop_cpu_expand(int ndim, const int *shape, const int64_t *sx, float alpha, const float *x, float beta, float *y);
void neop_cpu_reduce(int ndim, const int *shape, const int64_t *sx, float alpha, const float *g, float *x);
void neop_cpu_copy_strided(int ndim, const int *shape, const int64_t *sx, const float *x, const int64_t *sy, float beta,
                           float *y);
void neop_cpu_bias_add(int64_t outer, int C, int64_t inner, const float *b, float beta, float *y);
void neop_cpu_bias_grad(int64_t outer, int C, int64_t inner, const float *dy, float *db);
void neop_cpu_lp_norm(int N, int64_t M, double p, const float *x, float *nrm);
void neop_cpu_lp_norm_backward(int N, int64_t M, double p, const float *x, const float *nrm, const float *dnrm, float *dx);
void neop_cpu_rel_lp(int N, int64_t M, double p, float alpha, const float *y, const float *u, float *norms, float *loss);
void neop_cpu_rel_lp_backward(int N, int64_t M, double p, float alpha, const float *y, const float *u, const float *norms,
                              const float *dloss, float *dy, float *du);
void neop_cpu_sq_err(int64_t n, float alpha, const float *y, const float *u, float *loss);
void neop_cpu_sq_err_backward(int64_t n, float alpha, const float *y, const float *u, const float *dloss, float *dy,
                              float *du);
extern const struct NeopOptimKernels neop_cpu_optim; /* src/backend/cpu/optim.c */
extern const struct NeopNormalizerKernels neop_cpu_normalizer;
extern const struct NeopSpectralKernels neop_cpu_spectral;
extern const struct NeopFieldKernels neop_cpu_field;
