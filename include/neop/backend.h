/* Backends: every kernel an op runs goes through this table, so that a CUDA
   backend (cuBLAS, cuFFT) can replace the CPU one without touching the ops or
   the models. Pointers passed to kernels are backend memory; only the CPU
   backend may treat them as host memory. Matrices are row-major.

   Kernel families that belong to one layer (spectral convolution, 2-D
   convolution, attention) get their own sub-table, declared next to the layer
   and pointed to from here. */
#pragma once
#include <neop/petsc_compat.h>
#include <stdint.h>

typedef enum {
  NEOP_UNARY_IDENTITY,
  NEOP_UNARY_GELU,      /* x * Phi(x), with erf (PyTorch's default) */
  NEOP_UNARY_RELU,
  NEOP_UNARY_TANH,
  NEOP_UNARY_SILU,
  NEOP_UNARY_SIN,
  NEOP_UNARY_SIGMOID,
  NEOP_UNARY_SOFTPLUS,
  NEOP_UNARY_TANH_SIN,  /* tanh(sin(pi (x + 1))) + x, MultiONet/DGNO */
  NEOP_UNARY_COUNT
} NeopUnaryKind;

typedef struct NeopBackend {
  const char *name;
  /* memory */
  PetscErrorCode (*alloc)(size_t bytes, void **ptr);   /* 64-byte aligned */
  PetscErrorCode (*free)(void *ptr);
  PetscErrorCode (*zero)(void *ptr, size_t bytes);
  PetscErrorCode (*copy)(void *dst, const void *src, size_t bytes);            /* backend -> backend */
  PetscErrorCode (*to_host)(void *host, const void *src, size_t bytes);
  PetscErrorCode (*from_host)(void *dst, const void *host, size_t bytes);
  /* C = alpha op(A) op(B) + beta C, row-major; op(A) is M x K, op(B) is K x N */
  void (*sgemm)(PetscBool transA, PetscBool transB, int M, int N, int K, float alpha, const float *A, int lda,
                const float *B, int ldb, float beta, float *C, int ldc);
  /* the same for 'batch' independent products, matrices 'stride*' floats apart */
  void (*sgemm_batched)(PetscBool transA, PetscBool transB, int M, int N, int K, float alpha, const float *A,
                        int lda, int64_t strideA, const float *B, int ldb, int64_t strideB, float beta, float *C,
                        int ldc, int64_t strideC, int batch);
  /* y = f(x); dx += f'(x) dy (y = f(x) is passed for kinds that use it) */
  void (*unary_forward)(NeopUnaryKind kind, int64_t n, const float *x, float *y);
  void (*unary_backward)(NeopUnaryKind kind, int64_t n, const float *x, const float *y, const float *dy,
                         float *dx);
  const struct NeopSpectralKernels *spectral; /* neop/nn/spectral_conv.h */
} NeopBackend;

/* The backend in use (the CPU one in this build). Not collective. */
const NeopBackend *NeopBackendGet(void);
extern const NeopBackend NeopBackendCPU;
