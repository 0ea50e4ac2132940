/* Convolution kernels on the CPU. Strided convs with small output grids,
   where the implicit GEMM would compute 1.3 times the positions kept or more
   (the CNN encoders of MultiONet/DGNO, MgNO's coarsest levels), go to
   the patch matrix of conv_patches.c; other kernels of up to 7x7 taps, any
   stride, go to the implicit GEMM of conv_implicit.c; 1x1 stride-1 convs
   are one sgemm per sample; the rest is im2col + OpenBLAS sgemm, one sample at a
   time and over tiles of output rows, so that the column buffer (cx kh kw,
   rows * wo) stays near the cache instead of growing with the grid.
   Circular and reflect padding first copy the sample into a padded image
   (the im2col then runs without padding); zero padding is clipped inside the
   im2col. bench/bench_conv.c measures this against a direct loop. */
#include "backend/cpu/conv_cpu.h"
#include <string.h>

/* Target size of the column buffer of one tile, in floats (4 MB). */
#define COL_TILE_FLOATS (1 << 20)

static int tile_rows(const NeopConvGeom *g)
{
  int64_t K = (int64_t)g->cx * g->kh * g->kw;
  int64_t r = COL_TILE_FLOATS / (K * g->wo);
  return (int)(r < 1 ? 1 : r > g->ho ? g->ho : r);
}

static PetscBool pre_padded(const NeopConvGeom *g) { return g->mode != NEOP_PAD_ZERO && (g->ph || g->pw); }

/* 1x1, stride 1, no padding: the image is its own column matrix */
static PetscBool pointwise(const NeopConvGeom *g)
{
  return g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && g->ph == 0 && g->pw == 0;
}

/* kernels of up to 7x7 taps, any stride (MgNO's convs): implicit GEMM, src/backend/cpu/conv_implicit.c */
static PetscBool implicit(const NeopConvGeom *g) { return g->kh * g->kw <= NEOP_IG_MAX_TAPS && !pointwise(g); }

/* strided convs with small output grids (the CNN encoders): a patch matrix, src/backend/cpu/conv_patches.c */
static PetscBool patches(const NeopConvGeom *g) { return neop_cpu_conv_patches_fit(g); }

static size_t conv_workspace(const NeopConvGeom *g)
{
  if (patches(g)) return neop_cpu_conv_patches_workspace(g);
  if (implicit(g)) return neop_cpu_conv_ig_workspace(g);
  size_t K = (size_t)g->cx * g->kh * g->kw;
  size_t n = pointwise(g) ? 0 : K * (size_t)tile_rows(g) * g->wo;
  if (pre_padded(g)) n += (size_t)g->cx * (g->h + 2 * g->ph) * (g->w + 2 * g->pw);
  return n + 16;
}

static inline int ceil_div(int a, int b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

/* Valid output columns [*q0, *q1) of kernel column j: 0 <= q sw + j - pw < w. */
static inline void col_range(const NeopConvGeom *g, int w, int pw, int j, int *q0, int *q1)
{
  int lo = ceil_div(pw - j, g->sw), hi = w - 1 + pw - j;
  *q0 = lo < 0 ? 0 : lo > g->wo ? g->wo : lo;
  *q1 = hi < 0 ? 0 : hi / g->sw + 1;
  if (*q1 > g->wo) *q1 = g->wo;
  if (*q1 < *q0) *q1 = *q0;
}

/* col (cx kh kw, (r1 - r0) wo) = patches of rows [r0, r1) of Y over the image
   img (cx, h, w) seen with zero padding (ph, pw). */
static void im2col(const NeopConvGeom *g, const float *img, int h, int w, int ph, int pw, int r0, int r1, float *col)
{
  const int     kh = g->kh, kw = g->kw, wo = g->wo, sw = g->sw;
  const int64_t T  = (int64_t)(r1 - r0) * wo;

#pragma omp parallel for collapse(2) if (T * g->cx > 65536)
  for (int c = 0; c < g->cx; c++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        float *dst = col + ((int64_t)(c * kh + i) * kw + j) * T;
        int    q0, q1;
        col_range(g, w, pw, j, &q0, &q1);
        for (int r = r0; r < r1; r++) {
          float *d  = dst + (int64_t)(r - r0) * wo;
          int    ir = r * g->sh + i - ph;
          if (ir < 0 || ir >= h) {
            memset(d, 0, sizeof(float) * (size_t)wo);
            continue;
          }
          const float *src = img + ((int64_t)c * h + ir) * w;
          const int    off = j - pw;
          for (int q = 0; q < q0; q++) d[q] = 0;
          if (sw == 1) memcpy(d + q0, src + q0 + off, sizeof(float) * (size_t)(q1 - q0));
          else
            for (int q = q0; q < q1; q++) d[q] = src[q * sw + off];
          for (int q = q1; q < wo; q++) d[q] = 0;
        }
      }
}

/* img (cx, h, w) += the adjoint of im2col applied to col. */
static void col2im(const NeopConvGeom *g, const float *col, int h, int w, int ph, int pw, int r0, int r1, float *img)
{
  const int     kh = g->kh, kw = g->kw, wo = g->wo, sw = g->sw;
  const int64_t T  = (int64_t)(r1 - r0) * wo;

  /* one thread per channel: channels write disjoint planes */
#pragma omp parallel for if (T * g->cx > 65536)
  for (int c = 0; c < g->cx; c++)
    for (int i = 0; i < kh; i++)
      for (int j = 0; j < kw; j++) {
        const float *s = col + ((int64_t)(c * kh + i) * kw + j) * T;
        int          q0, q1;
        col_range(g, w, pw, j, &q0, &q1);
        for (int r = r0; r < r1; r++) {
          int ir = r * g->sh + i - ph;
          if (ir < 0 || ir >= h) continue;
          const float *d   = s + (int64_t)(r - r0) * wo;
          float       *dst = img + ((int64_t)c * h + ir) * w;
          const int    off = j - pw;
          if (sw == 1)
#pragma omp simd
            for (int q = q0; q < q1; q++) dst[q + off] += d[q];
          else
            for (int q = q0; q < q1; q++) dst[q * sw + off] += d[q];
        }
      }
}

/* The image the im2col reads: the sample itself, or its padded copy in work. */
static const float *image(const NeopConvGeom *g, const float *xs, float *padbuf, int *h, int *w, int *ph, int *pw)
{
  *h = g->h, *w = g->w, *ph = g->ph, *pw = g->pw;
  if (!pre_padded(g)) return xs;
  neop_cpu_pad(g->mode, g->cx, g->h, g->w, g->ph, g->pw, xs, padbuf);
  *h += 2 * g->ph, *w += 2 * g->pw, *ph = *pw = 0;
  return padbuf;
}

/* out (n floats) = z: the start of the accumulation of the im2col paths */
static void init_out(size_t n, const float *z, float *out)
{
  if (z == out) return;
  if (z) memcpy(out, z, sizeof(float) * n);
  else memset(out, 0, sizeof(float) * n);
}

static void conv_forward(const NeopConvGeom *g, float alpha, const float *x, const float *wt, const float *z, float *y, float *work)
{
  const int     K  = g->cx * g->kh * g->kw, tr = tile_rows(g);
  const int64_t Px = (int64_t)g->h * g->w, Py = (int64_t)g->ho * g->wo;
  float        *padbuf = work + (pointwise(g) ? 0 : (size_t)K * tr * g->wo);

  if (patches(g)) {
    neop_cpu_conv_patches(g, alpha, x, wt, z, y, work);
    return;
  }
  if (implicit(g)) {
    neop_cpu_conv_ig(g, alpha, x, wt, z, y, work);
    return;
  }
  init_out((size_t)g->n * g->cy * Py, z, y);
  for (int s = 0; s < g->n; s++) {
    const float *xs = x + s * g->cx * Px;
    float       *ys = y + s * g->cy * Py;
    int          h, w, ph, pw;
    const float *img = image(g, xs, padbuf, &h, &w, &ph, &pw);
    if (pointwise(g)) {
      neop_cpu_sgemm(PETSC_FALSE, PETSC_FALSE, g->cy, (int)Py, g->cx, alpha, wt, g->cx, img, (int)Py, 1.f, ys, (int)Py);
      continue;
    }
    for (int r0 = 0; r0 < g->ho; r0 += tr) {
      int r1 = r0 + tr < g->ho ? r0 + tr : g->ho, T = (r1 - r0) * g->wo;
      im2col(g, img, h, w, ph, pw, r0, r1, work);
      /* Y[:, tile] (cy, T) += alpha W (cy, K) col (K, T) */
      neop_cpu_sgemm(PETSC_FALSE, PETSC_FALSE, g->cy, T, K, alpha, wt, K, work, T, 1.f, ys + (int64_t)r0 * g->wo, (int)Py);
    }
  }
}

static void conv_adjoint(const NeopConvGeom *g, float alpha, const float *y, const float *wt, const float *z, float *x, float *work)
{
  const int     K  = g->cx * g->kh * g->kw, tr = tile_rows(g);
  const int64_t Px = (int64_t)g->h * g->w, Py = (int64_t)g->ho * g->wo;
  const int     hp = g->h + 2 * g->ph, wp = g->w + 2 * g->pw;
  float        *padbuf = work + (pointwise(g) ? 0 : (size_t)K * tr * g->wo);

  if (patches(g)) {
    neop_cpu_conv_patches_adjoint(g, alpha, y, wt, z, x, work);
    return;
  }
  if (implicit(g)) {
    neop_cpu_conv_ig_adjoint(g, alpha, y, wt, z, x, work);
    return;
  }
  init_out((size_t)g->n * g->cx * Px, z, x);
  for (int s = 0; s < g->n; s++) {
    const float *ys = y + s * g->cy * Py;
    float       *xs = x + s * g->cx * Px;
    float       *img = xs;
    int          h = g->h, w = g->w, ph = g->ph, pw = g->pw;
    if (pre_padded(g)) {
      img = padbuf;
      memset(img, 0, sizeof(float) * (size_t)g->cx * hp * wp);
      h = hp, w = wp, ph = pw = 0;
    }
    if (pointwise(g)) {
      /* X (cx, P) += alpha W^T (cx, cy) Y (cy, P) */
      neop_cpu_sgemm(PETSC_TRUE, PETSC_FALSE, g->cx, (int)Py, g->cy, alpha, wt, g->cx, ys, (int)Py, 1.f, img, (int)Py);
    } else
      for (int r0 = 0; r0 < g->ho; r0 += tr) {
        int r1 = r0 + tr < g->ho ? r0 + tr : g->ho, T = (r1 - r0) * g->wo;
        /* col (K, T) = alpha W^T (K, cy) Y[:, tile] (cy, T) */
        neop_cpu_sgemm(PETSC_TRUE, PETSC_FALSE, K, T, g->cy, alpha, wt, K, ys + (int64_t)r0 * g->wo, (int)Py, 0.f, work, T);
        col2im(g, work, h, w, ph, pw, r0, r1, img);
      }
    if (pre_padded(g)) neop_cpu_pad_adjoint(g->mode, g->cx, g->h, g->w, g->ph, g->pw, img, xs);
  }
}

static void conv_weight_grad(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work)
{
  const int     K  = g->cx * g->kh * g->kw, tr = tile_rows(g);
  const int64_t Px = (int64_t)g->h * g->w, Py = (int64_t)g->ho * g->wo;
  float        *padbuf = work + (pointwise(g) ? 0 : (size_t)K * tr * g->wo);

  if (patches(g)) {
    neop_cpu_conv_patches_weight_grad(g, alpha, x, dy, dw, work);
    return;
  }
  if (implicit(g)) {
    neop_cpu_conv_ig_weight_grad(g, alpha, x, dy, dw, work);
    return;
  }
  for (int s = 0; s < g->n; s++) {
    const float *xs  = x + s * g->cx * Px;
    const float *dys = dy + s * g->cy * Py;
    int          h, w, ph, pw;
    const float *img = image(g, xs, padbuf, &h, &w, &ph, &pw);
    if (pointwise(g)) {
      neop_cpu_sgemm(PETSC_FALSE, PETSC_TRUE, g->cy, g->cx, (int)Py, alpha, dys, (int)Py, img, (int)Py, 1.f, dw, g->cx);
      continue;
    }
    for (int r0 = 0; r0 < g->ho; r0 += tr) {
      int r1 = r0 + tr < g->ho ? r0 + tr : g->ho, T = (r1 - r0) * g->wo;
      im2col(g, img, h, w, ph, pw, r0, r1, work);
      /* dW (cy, K) += alpha dY[:, tile] (cy, T) col^T (T, K) */
      neop_cpu_sgemm(PETSC_FALSE, PETSC_TRUE, g->cy, K, T, alpha, dys + (int64_t)r0 * g->wo, (int)Py, work, T, 1.f, dw, K);
    }
  }
}

const NeopConvKernels NeopConvKernelsCPU = {
  .workspace        = conv_workspace,
  .conv             = conv_forward,
  .conv_adjoint     = conv_adjoint,
  .conv_weight_grad = conv_weight_grad,
  .pad              = neop_cpu_pad,
  .pad_adjoint      = neop_cpu_pad_adjoint,
};
