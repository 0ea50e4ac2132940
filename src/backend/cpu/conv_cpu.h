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
void   neop_cpu_conv_ig(const NeopConvGeom *g, float alpha, const float *x, const float *w, float *y, float *work);
void   neop_cpu_conv_ig_adjoint(const NeopConvGeom *g, float alpha, const float *y, const float *w, float *x, float *work);
void   neop_cpu_conv_ig_weight_grad(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work);
