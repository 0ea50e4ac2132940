/* CPU kernels of the transformer family (NeopAttentionKernels); the table is
   in attention_table.c. Kernels parallelise over independent tasks (batch,
   head, tile) with OpenMP and run OpenBLAS single-threaded inside them. */
#pragma once
#include <neop/nn/transformer.h>
#include <cblas.h>

/* Row-major sgemm on one thread's data: C = alpha op(A) op(B) + beta C. */
static inline void att_gemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                            const float *B, int ldb, float beta, float *C, int ldc)
{
  if (!M || !N) return;
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
              lda, B, ldb, beta, C, ldc);
}

/* exp(x) for softmax arguments, in a form the compiler vectorises (libm's
   expf is a call per element): 2^t with t = x log2(e) split into a rounded
   integer n (built into the exponent bits) and f in [-1/2, 1/2], 2^f by its
   degree-6 Taylor polynomial (relative error ~1e-7). x < -87 gives ~1e-38, not 0. */
static inline __attribute__((always_inline)) float att_exp(float x)
{
  x       = x < -87.f ? -87.f : (x > 88.f ? 88.f : x);
  float t = x * 1.44269504088896341f;
  float n = (t + 12582912.f) - 12582912.f; /* round to nearest: 1.5 * 2^23 */
  float f = t - n;
  float p = 1.52527338e-5f;
  p       = p * f + 1.54035304e-4f;
  p       = p * f + 1.33335581e-3f;
  p       = p * f + 9.61812911e-3f;
  p       = p * f + 5.55041087e-2f;
  p       = p * f + 2.40226507e-1f;
  p       = p * f + 6.93147181e-1f;
  p       = p * f + 1.f;
  union {
    int32_t i;
    float   f;
  } s;
  s.i = ((int32_t)n + 127) << 23;
  return p * s.f;
}

/* Hot row loops are compiled for AVX-512 and AVX2 too, picked at load time
   by the CPU features (the default build targets baseline x86-64); the files
   that use it are compiled with -fno-trapping-math so the compares of att_exp
   if-convert and the loops vectorise. */
#define NEOP_ATT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* OpenBLAS threads off while OpenMP threads share the work, then restored. */
static inline int att_blas_serial_begin(void)
{
  int n = openblas_get_num_threads();
  openblas_set_num_threads(1);
  return n;
}
static inline void att_blas_serial_end(int n) { openblas_set_num_threads(n); }

void neop_cpu_layer_norm_forward(int64_t rows, int G, int C, float eps, const float *x, const float *gamma,
                                 const float *beta, float *y, float *mean, float *rstd);
void neop_cpu_layer_norm_backward(int64_t rows, int G, int C, const float *x, const float *gamma, const float *mean,
                                  const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta);
void neop_cpu_softmax_forward(int B, int H, int Nq, int Nk, int dh, float scale, const float *q, const float *k,
                              const float *v, float *o, float *lse);
void neop_cpu_softmax_backward(int B, int H, int Nq, int Nk, int dh, float scale, const float *q, const float *k,
                               const float *v, const float *o, const float *lse, const float *dout, float *work,
                               float *dq, float *dk, float *dv);
void neop_cpu_linear_forward(NeopLinearAttentionKind kind, int B, int H, int N, int dh, const float *q, const float *k,
                             const float *v, float *o, float *kv);
void neop_cpu_linear_backward(NeopLinearAttentionKind kind, int B, int H, int N, int dh, const float *q,
                              const float *k, const float *v, const float *kv, const float *dout, float *dq, float *dk,
                              float *dv);
void neop_cpu_physics_forward(int B, int H, int N, int dh, int M, int ldx, const float *x, const float *f, const float *Ws,
                              const float *bs, const float *temp, const float *Wq, const float *Wk, const float *Wv,
                              float *y, float *w, float *norm, float *tok, float *att, float *st);
void neop_cpu_physics_backward(int B, int H, int N, int dh, int M, int ldx, const float *x, const float *f, const float *Ws,
                               const float *bs, const float *temp, const float *Wq, const float *Wk, const float *Wv,
                               const float *w, const float *norm, const float *tok, const float *att, const float *st,
                               const float *dy, float *dx, float *df, float *dWs, float *dbs, float *dtemp, float *dWq,
                               float *dWk, float *dWv);
void neop_cpu_glu_forward(NeopUnaryKind act, int64_t rows, int F, const float *h, float *y);
void neop_cpu_glu_backward(NeopUnaryKind act, int64_t rows, int F, const float *h, const float *dy, float *dh);
void neop_cpu_to_tokens(int N, int C, int P, int Cp, int add, const float *x, const float *pos, float *y);
void neop_cpu_to_fields(int N, int C, int P, int ldy, int add, const float *y, float *x);
void neop_cpu_token_conv_forward(int B, int S0, int S1, int Cin, int Cout, int k, const float *x, const float *W,
                                 const float *b, float *y);
void neop_cpu_token_conv_backward(int B, int S0, int S1, int Cin, int Cout, int k, const float *x, const float *W,
                                  const float *dy, float *dx, float *dW, float *db);
/* k = 3 by Winograd's F(2x2, 3x3) (attention_token_winograd.c), called by the two above */
void neop_cpu_token_conv3_forward(int B, int S0, int S1, int Cin, int Cout, const float *x, const float *W, const float *b, float *y);
void neop_cpu_token_conv3_backward(int B, int S0, int S1, int Cin, int Cout, const float *x, const float *W, const float *dy,
                                   float *dx, float *dW, float *db);
