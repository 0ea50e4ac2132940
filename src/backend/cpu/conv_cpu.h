/* The CPU backend's convolution kernels (table in src/backend/cpu/conv.c). */
#pragma once
#include "backend/cpu/cpu.h"
#include <neop/nn/conv.h>

/* Source index of padded position i - p in an extent n, or -1 for a zero. */
static inline int neop_cpu_pad_source(NeopPadMode mode, int i, int n)
{
  switch (mode) {
  case NEOP_PAD_CIRCULAR:
    return ((i % n) + n) % n;
  case NEOP_PAD_REFLECT: /* the edge value is not repeated: x[-1] = x[1] */
    return i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i;
  default:
    return i >= 0 && i < n ? i : -1;
  }
}

void neop_cpu_pad(NeopPadMode mode, int nc, int h, int w, int ph, int pw, const float *x, float *xp);
void neop_cpu_pad_adjoint(NeopPadMode mode, int nc, int h, int w, int ph, int pw, const float *dxp, float *dx);

/* Convolutions of any stride with up to NEOP_IG_MAX_TAPS taps as implicit GEMM
   (src/backend/cpu/conv_implicit.c): same contracts as the table's conv,
   conv_adjoint and conv_weight_grad. */
#define NEOP_IG_MAX_TAPS 49
size_t neop_cpu_conv_ig_workspace(const NeopConvGeom *g);
void   neop_cpu_conv_ig(const NeopConvGeom *g, float alpha, const float *x, const float *w, const float *z, float *y, float *work);
void   neop_cpu_conv_ig_adjoint(const NeopConvGeom *g, float alpha, const float *y, const float *w, const float *z, float *x, float *work);
void   neop_cpu_conv_ig_weight_grad(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work);
/* ct (M, N) = alpha sum over taps t, k < K of A[t] (K, M)^T B[k ld + off[t] + (0 .. N)]
   (src/backend/cpu/conv_taps.c: AVX-512 register blocks, or sgemm per tap) */
void neop_cpu_conv_taps(int taps, const size_t *off, int M, int K, int N, float alpha, const float *A, const float *B, size_t ld, float *ct);
/* acc[t] (K, M) += sum over n < N of B[k ld + off[t] + n] yt[n, :], yt (N, M): the weight gradient's
   tap products, on a direct kernel that exists only where neop_cpu_conv_wgrad_direct(M) says so */
PetscBool neop_cpu_conv_wgrad_direct(int M);
void      neop_cpu_conv_taps_wgrad(int taps, const size_t *off, int M, int K, int N, const float *yt, const float *B, size_t ld, float *acc);
/* Strided convolutions with small output grids as one sgemm over a chunk of samples on
   a patch matrix (src/backend/cpu/conv_patches.c): same contracts as the table's kernels;
   neop_cpu_conv_patches_fit says which geometries conv.c gives them. */
PetscBool neop_cpu_conv_patches_fit(const NeopConvGeom *g);
size_t    neop_cpu_conv_patches_workspace(const NeopConvGeom *g);
void      neop_cpu_conv_patches(const NeopConvGeom *g, float alpha, const float *x, const float *w, const float *z, float *y, float *work);
void neop_cpu_conv_patches_adjoint(const NeopConvGeom *g, float alpha, const float *y, const float *w, const float *z, float *x, float *work);
void neop_cpu_conv_patches_weight_grad(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work);
