/* The tap products of the implicit-GEMM convolutions (conv_implicit.c):

     ct (M, N) = alpha sum over taps t, k < K of A[t] (K, M)^T B[k ld + off[t] + (0 .. N)]

   With M and K the channel counts (24 in MgNO), each tap as its own sgemm
   is a thin product: OpenBLAS repacks B (K x N) per tap and reads and writes
   ct once per tap. The AVX-512 kernel here keeps a block of 6 rows x 64
   positions of ct in 24 registers across all taps and all k, reads B straight
   from the window (no packing; the window stays in L2, a block's rows in L1)
   and writes ct once. Without AVX-512 the taps go to sgemm.

   The weight gradient acc[t] (K, M) += sum over n of B[k ld + off[t] + n] dYt[n, :]
   is a product with a long reduction (n) and a small result (24 x 24 per tap):
   thin for sgemm again. Here dY comes transposed (N, M), so that one row of
   it is a vector over the M output channels; blocks of 12 k x M hold their
   sums in registers over the whole tile, each step one row of dYt (M <= 32:
   two vectors) and 12 broadcasts of B. */
#include "backend/cpu/conv_cpu.h"
#include <immintrin.h>

#define MR 6  /* rows of ct per block */
#define NV 4  /* vectors of 16 positions per block */

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define NEOP_HAVE_AVX512_KERNELS 1
/* one block: rows [m0, m0 + mr) of ct, positions [n0, n0 + 64) masked to N */
static inline __attribute__((always_inline, target("avx512f"))) void taps_block(const int mr, int taps, const size_t *off, int M, int K, int N,
                                                                                float alpha, const float *A, const float *B, size_t ld,
                                                                                float *ct, int m0, int n0)
{
  __m512    acc[MR][NV];
  __mmask16 mask[NV];

  for (int v = 0; v < NV; v++) {
    int left = N - n0 - 16 * v;
    mask[v]  = left >= 16 ? (__mmask16)0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
  }
#pragma GCC unroll 6
  for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int t = 0; t < taps; t++) {
    const float *bt = B + off[t] + n0, *at = A + (size_t)t * K * M + m0;
    for (int k = 0; k < K; k++) {
      __m512 b[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) b[v] = _mm512_maskz_loadu_ps(mask[v], bt + (size_t)k * ld + 16 * v);
#pragma GCC unroll 6
      for (int r = 0; r < mr; r++) {
        __m512 w = _mm512_set1_ps(at[(size_t)k * M + r]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(w, b[v], acc[r][v]);
      }
    }
  }
  const __m512 a = _mm512_set1_ps(alpha);
#pragma GCC unroll 6
  for (int r = 0; r < mr; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) _mm512_mask_storeu_ps(ct + (size_t)(m0 + r) * N + n0 + 16 * v, mask[v], _mm512_mul_ps(a, acc[r][v]));
}

__attribute__((target("avx512f"))) static void taps_avx512(int taps, const size_t *off, int M, int K, int N, float alpha, const float *A,
                                                           const float *B, size_t ld, float *ct)
{
  /* blocks of positions are independent: threads split them */
#pragma omp parallel for schedule(static) if ((int64_t)taps * M * K * N > (1 << 20))
  for (int n0 = 0; n0 < N; n0 += 16 * NV)
    for (int m0 = 0; m0 < M; m0 += MR) switch (M - m0 < MR ? M - m0 : MR) {
      case 6: taps_block(6, taps, off, M, K, N, alpha, A, B, ld, ct, m0, n0); break;
      case 5: taps_block(5, taps, off, M, K, N, alpha, A, B, ld, ct, m0, n0); break;
      case 4: taps_block(4, taps, off, M, K, N, alpha, A, B, ld, ct, m0, n0); break;
      case 3: taps_block(3, taps, off, M, K, N, alpha, A, B, ld, ct, m0, n0); break;
      case 2: taps_block(2, taps, off, M, K, N, alpha, A, B, ld, ct, m0, n0); break;
      default: taps_block(1, taps, off, M, K, N, alpha, A, B, ld, ct, m0, n0); break;
      }
}

#define KR 12 /* rows k of one weight-gradient block */

/* acc[k0 .. k0 + kr) (K, M) += sum_n B[k ld + off + n] yt[n, :], M <= 32 */
static inline __attribute__((always_inline, target("avx512f"))) void wgrad_block(const int kr, size_t off, int M, int N, const float *yt,
                                                                                 const float *B, size_t ld, float *acc, int k0)
{
  __m512          a0[KR], a1[KR];
  const __mmask16 m0 = M >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << M) - 1);
  const __mmask16 m1 = M >= 32 ? (__mmask16)0xFFFF : M > 16 ? (__mmask16)((1u << (M - 16)) - 1) : 0;
  const float    *b  = B + (size_t)k0 * ld + off;

#pragma GCC unroll 12
  for (int r = 0; r < kr; r++) a0[r] = a1[r] = _mm512_setzero_ps();
  if (m1)
    for (int n = 0; n < N; n++) {
      __m512 y0 = _mm512_maskz_loadu_ps(m0, yt + (size_t)n * M), y1 = _mm512_maskz_loadu_ps(m1, yt + (size_t)n * M + 16);
#pragma GCC unroll 12
      for (int r = 0; r < kr; r++) {
        __m512 x = _mm512_set1_ps(b[(size_t)r * ld + n]);
        a0[r]    = _mm512_fmadd_ps(x, y0, a0[r]);
        a1[r]    = _mm512_fmadd_ps(x, y1, a1[r]);
      }
    }
  else
    for (int n = 0; n < N; n++) {
      __m512 y0 = _mm512_maskz_loadu_ps(m0, yt + (size_t)n * M);
#pragma GCC unroll 12
      for (int r = 0; r < kr; r++) a0[r] = _mm512_fmadd_ps(_mm512_set1_ps(b[(size_t)r * ld + n]), y0, a0[r]);
    }
#pragma GCC unroll 12
  for (int r = 0; r < kr; r++) {
    float *d = acc + (size_t)(k0 + r) * M;
    _mm512_mask_storeu_ps(d, m0, _mm512_add_ps(a0[r], _mm512_maskz_loadu_ps(m0, d)));
    if (m1) _mm512_mask_storeu_ps(d + 16, m1, _mm512_add_ps(a1[r], _mm512_maskz_loadu_ps(m1, d + 16)));
  }
}

__attribute__((target("avx512f"))) static void wgrad_avx512(int taps, const size_t *off, int M, int K, int N, const float *yt,
                                                            const float *B, size_t ld, float *acc)
{
  const int kb = (K + KR - 1) / KR;

  /* every (tap, block of k) owns its rows of acc: threads split them */
#pragma omp parallel for schedule(dynamic) if ((int64_t)taps * M * K * N > (1 << 20))
  for (int tk = 0; tk < taps * kb; tk++) {
    int    t = tk / kb, k0 = tk % kb * KR;
    float *at = acc + (size_t)t * K * M;
    switch (K - k0 < KR ? K - k0 : KR) {
    case 12: wgrad_block(12, off[t], M, N, yt, B, ld, at, k0); break;
    case 11: wgrad_block(11, off[t], M, N, yt, B, ld, at, k0); break;
    case 10: wgrad_block(10, off[t], M, N, yt, B, ld, at, k0); break;
    case 9: wgrad_block(9, off[t], M, N, yt, B, ld, at, k0); break;
    case 8: wgrad_block(8, off[t], M, N, yt, B, ld, at, k0); break;
    case 7: wgrad_block(7, off[t], M, N, yt, B, ld, at, k0); break;
    case 6: wgrad_block(6, off[t], M, N, yt, B, ld, at, k0); break;
    case 5: wgrad_block(5, off[t], M, N, yt, B, ld, at, k0); break;
    case 4: wgrad_block(4, off[t], M, N, yt, B, ld, at, k0); break;
    case 3: wgrad_block(3, off[t], M, N, yt, B, ld, at, k0); break;
    case 2: wgrad_block(2, off[t], M, N, yt, B, ld, at, k0); break;
    default: wgrad_block(1, off[t], M, N, yt, B, ld, at, k0); break;
      }
    }
}
#endif

PetscBool neop_cpu_conv_wgrad_direct(int M)
{
#if NEOP_HAVE_AVX512_KERNELS
  return M <= 32 && __builtin_cpu_supports("avx512f") ? PETSC_TRUE : PETSC_FALSE;
#else
  return PETSC_FALSE;
#endif
}

void neop_cpu_conv_taps_wgrad(int taps, const size_t *off, int M, int K, int N, const float *yt, const float *B, size_t ld, float *acc)
{
#if NEOP_HAVE_AVX512_KERNELS
  wgrad_avx512(taps, off, M, K, N, yt, B, ld, acc);
#endif
}

void neop_cpu_conv_taps(int taps, const size_t *off, int M, int K, int N, float alpha, const float *A, const float *B, size_t ld, float *ct)
{
#if NEOP_HAVE_AVX512_KERNELS
  if (__builtin_cpu_supports("avx512f")) {
    taps_avx512(taps, off, M, K, N, alpha, A, B, ld, ct);
    return;
  }
#endif
  /* A[t] (K, M) is given transposed: sgemm with transA */
  for (int t = 0; t < taps; t++)
    neop_cpu_sgemm(PETSC_TRUE, PETSC_FALSE, M, N, K, alpha, A + (size_t)t * K * M, M, B + off[t], (int)ld, t ? 1.f : 0.f, ct, N);
}
