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
  NEOP_UNARY_SILU_SIN,  /* silu(sin(pi (x + 1))) + x, the reference MultiONet trunk */
  NEOP_UNARY_SILU_ID,   /* silu(x) + x, DGenNO's SiLU_Id */
  NEOP_UNARY_COUNT
} NeopUnaryKind;

typedef enum { NEOP_BINARY_ADD, NEOP_BINARY_SUB, NEOP_BINARY_MUL } NeopBinaryKind;

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
  /* Element-wise and broadcasting kernels (src/backend/cpu/elementwise.c, broadcast.c).
     Strided kernels walk an index space 'shape' (ndim <= 5); operand X is read at
     sum_d i_d sX[d] floats (sX[d] = 0 along broadcast dims). beta = 0: y is not read. */
  void (*axpby)(int64_t n, float alpha, const float *x, float beta, float *y);                  /* y = a x + b y */
  void (*binary)(NeopBinaryKind kind, int ndim, const int *shape, const int64_t *sa, const float *a,
                 const int64_t *sb, const float *b, float beta, float *y);                       /* y contiguous */
  /* y[i] = alpha x[offx(i)] + beta y[i], y contiguous: the adjoint of reduce */
  void (*expand)(int ndim, const int *shape, const int64_t *sx, float alpha, const float *x, float beta, float *y);
  void (*reduce)(int ndim, const int *shape, const int64_t *sx, float alpha, const float *g, float *x); /* x[off] += a g */
  void (*copy_strided)(int ndim, const int *shape, const int64_t *sx, const float *x, const int64_t *sy, float beta,
                       float *y); /* y[offy] = x[offx] + beta y[offy]; offy one-to-one */
  /* y (outer, C, inner) = b[c] + beta y;  db[c] += sum over outer, inner of dy */
  void (*bias_add)(int64_t outer, int C, int64_t inner, const float *b, float beta, float *y);
  void (*bias_grad)(int64_t outer, int C, int64_t inner, const float *dy, float *db);
  /* Per-sample Lp norms of x (N, M): nrm[n] = (sum_m |x|^p)^(1/p); backward dx += dnrm[n] d nrm[n] / dx */
  void (*lp_norm)(int N, int64_t M, double p, const float *x, float *nrm);
  void (*lp_norm_backward)(int N, int64_t M, double p, const float *x, const float *nrm, const float *dnrm, float *dx);
  /* loss[0] = alpha sum_n ||y_n - u_n||_p / ||u_n||_p; norms (2, N) saved: ||y-u||, ||u|| */
  void (*rel_lp)(int N, int64_t M, double p, float alpha, const float *y, const float *u, float *norms, float *loss);
  void (*rel_lp_backward)(int N, int64_t M, double p, float alpha, const float *y, const float *u, const float *norms,
                          const float *dloss, float *dy, float *du);
  /* loss[0] = alpha sum_i (y_i - u_i)^2;  dy += 2 alpha dloss (y - u), du -= the same */
  void (*sq_err)(int64_t n, float alpha, const float *y, const float *u, float *loss);
  void (*sq_err_backward)(int64_t n, float alpha, const float *y, const float *u, const float *dloss, float *dy, float *du);
  /* y = f(x); dx += f'(x) dy (y = f(x) is passed for kinds that use it) */
  void (*unary_forward)(NeopUnaryKind kind, int64_t n, const float *x, float *y);
  void (*unary_backward)(NeopUnaryKind kind, int64_t n, const float *x, const float *y, const float *dy,
                         float *dx);
  void (*unary_grad)(NeopUnaryKind kind, int64_t n, const float *x, const float *y, float *dy); /* dy *= f'(x), in place */
  void (*unary_forward_grad)(NeopUnaryKind kind, int64_t n, const float *x, float *y, float *dy); /* y = f(x) and dy *= f'(x) */
  const struct NeopAttentionKernels *attention; /* neop/nn/transformer.h */
  const struct NeopONetKernels *onet; /* neop/nn/onet.h */
  const struct NeopOptimKernels *optim; /* optimizer updates, neop/optim.h */
  const struct NeopNormalizerKernels *normalizer; /* include/neop/data.h */
  const struct NeopConvKernels *conv; /* 1-D/2-D convolutions: neop/nn/conv.h */
  const struct NeopH1Kernels   *h1;   /* FFT-based H1 loss: neop/nn/loss_h1.h */
  const struct NeopSpectralKernels *spectral; /* neop/nn/spectral_conv.h */
  const struct NeopFieldKernels *field; /* bias + activation, pad/crop of FNO's fused ops: neop/nn/field_kernels.h */
} NeopBackend;

/* The backend in use (the CPU one in this build). Not collective. */
const NeopBackend *NeopBackendGet(void);
extern const NeopBackend NeopBackendCPU;
