/* Stride-1 convolutions as implicit GEMM: no im2col. The padded image of all
   samples is seen as one tall image of n * hp rows of width wp (hp = h + 2 ph,
   wp = w + 2 pw), flattened: element m = R wp + q. With the output kept in
   the same padded-width layout, tap (i, j) of the kernel is one product

     Yw[:, m] += W_ij (cy, cx) Xp[:, m + i wp + j]

   over a contiguous range of m, so each tap is one sgemm with K = cx on a
   shifted view of the padded image. Positions with q >= wo, or with a row
   inside a sample's bottom halo, are garbage (kh - 1 rows per sample and
   kw - 1 columns per row) and are dropped when the result is scattered back.
   The work runs over tiles of whole rows, about TILE_COLS columns, so that
   the padded window (cx, rows + kh - 1, wp) and the result (cy, rows, wp) stay
   in L2 while the kh kw products run over them: the image is copied once
   (padding fused into that copy) instead of kh kw times as by im2col, and
   several samples share one sgemm when the grid is small. */
#include "backend/cpu/conv_cpu.h"
#include <string.h>

/* Columns (flat positions) per tile: window and result of 24 channels ~ 0.8 MB. */
#define TILE_COLS 4096
/* Kernels of up to 7 x 7 take this path; larger ones use im2col (conv.c). */
#define NEOP_S1_MAX_TAPS 49

typedef struct {
  int hp, wp, rows; /* padded extents, rows of the tall image (n hp) */
  int tr;           /* rows per tile */
  int taps, cmax;
} S1;

static S1 s1_geom(const NeopConvGeom *g)
{
  S1 s;
  s.hp   = g->h + 2 * g->ph;
  s.wp   = g->w + 2 * g->pw;
  s.rows = g->n * s.hp;
  s.tr   = TILE_COLS / s.wp < 1 ? 1 : TILE_COLS / s.wp;
  if (s.tr > s.rows) s.tr = s.rows;
  s.taps = g->kh * g->kw;
  s.cmax = g->cx > g->cy ? g->cx : g->cy;
  return s;
}

/* floats of one window: (c, tr + kh - 1 rows of wp) plus kw of slack */
static size_t window_ld(const NeopConvGeom *g, const S1 *s) { return (size_t)(s->tr + g->kh - 1) * s->wp + g->kw; }

size_t neop_cpu_conv_s1_workspace(const NeopConvGeom *g)
{
  S1 s = s1_geom(g);
  /* Wt (taps, cy, cx), dW accumulator (taps, cy, cx), window (cmax, ld), tile result (cmax, tr wp) */
  return 2 * (size_t)s.taps * g->cy * g->cx + (size_t)s.cmax * window_ld(g, &s) + (size_t)s.cmax * s.tr * s.wp + 64;
}

/* Wt[t] (cy, cx) = W[:, :, i, j] for tap t = i kw + j, or its transpose (cx, cy); W (cy, cx, kh, kw) */
static void split_taps(const NeopConvGeom *g, const float *w, PetscBool transpose, float *wt)
{
  const int taps = g->kh * g->kw;
  for (int co = 0; co < g->cy; co++)
    for (int ci = 0; ci < g->cx; ci++)
      for (int t = 0; t < taps; t++)
        wt[(size_t)t * g->cy * g->cx + (transpose ? (size_t)ci * g->cy + co : (size_t)co * g->cx + ci)] =
          w[((size_t)co * g->cx + ci) * taps + t];
}

/* win (cx, ld): rows [R0, R1) of the tall padded image of x, then zeros. */
static void x_window(const NeopConvGeom *g, const S1 *s, const float *x, int R0, int R1, float *win, size_t ld)
{
  const int64_t plane = (int64_t)g->h * g->w;

#pragma omp parallel for if ((int64_t)g->cx * (R1 - R0) * s->wp > 65536)
  for (int c = 0; c < g->cx; c++) {
    float *wc = win + (size_t)c * ld;
    for (int R = R0; R < R1; R++) {
      float *d  = wc + (size_t)(R - R0) * s->wp;
      int    sm = R / s->hp, si = neop_cpu_pad_source(g->mode, R % s->hp - g->ph, g->h);
      if (si < 0) {
        memset(d, 0, sizeof(float) * (size_t)s->wp);
        continue;
      }
      const float *src = x + ((int64_t)sm * g->cx + c) * plane + (int64_t)si * g->w;
      for (int q = 0; q < g->pw; q++) {
        int sq = neop_cpu_pad_source(g->mode, q - g->pw, g->w);
        d[q]   = sq < 0 ? 0.f : src[sq];
      }
      memcpy(d + g->pw, src, sizeof(float) * (size_t)g->w);
      for (int q = g->pw + g->w; q < s->wp; q++) {
        int sq = neop_cpu_pad_source(g->mode, q - g->pw, g->w);
        d[q]   = sq < 0 ? 0.f : src[sq];
      }
    }
    memset(wc + (size_t)(R1 - R0) * s->wp, 0, sizeof(float) * (ld - (size_t)(R1 - R0) * s->wp));
  }
}

/* win (cy, ld): lead zeros, then rows [R0, R1) of dY in the tall padded-width
   layout (zeros at garbage positions and at rows R < 0), then zeros. */
static void y_window(const NeopConvGeom *g, const S1 *s, const float *y, int R0, int R1, int lead, float *win, size_t ld)
{
  const int64_t plane = (int64_t)g->ho * g->wo;

#pragma omp parallel for if ((int64_t)g->cy * (R1 - R0) * s->wp > 65536)
  for (int c = 0; c < g->cy; c++) {
    float *wc = win + (size_t)c * ld;
    memset(wc, 0, sizeof(float) * (size_t)lead);
    for (int R = R0; R < R1; R++) {
      float *d = wc + lead + (size_t)(R - R0) * s->wp;
      int    r = R < 0 ? -1 : R % s->hp;
      if (r < 0 || r >= g->ho) {
        memset(d, 0, sizeof(float) * (size_t)s->wp);
        continue;
      }
      memcpy(d, y + ((int64_t)(R / s->hp) * g->cy + c) * plane + (int64_t)r * g->wo, sizeof(float) * (size_t)g->wo);
      memset(d + g->wo, 0, sizeof(float) * (size_t)(s->wp - g->wo));
    }
    memset(wc + lead + (size_t)(R1 - R0) * s->wp, 0, sizeof(float) * (ld - lead - (size_t)(R1 - R0) * s->wp));
  }
}

/* ct (M, N) = alpha sum_t A[t] (M, K) B[:, off[t] + (0 .. N)] (K, N), B with rows ld apart, by sgemm:
   each product reads B straight from the window, which stays in L2 across the taps. */
static void taps_gemm(int taps, const int *off, int M, int K, int N, float alpha, const float *A, const float *B, size_t ld,
                           float *ct)
{
  for (int t = 0; t < taps; t++)
    neop_cpu_sgemm(PETSC_FALSE, PETSC_FALSE, M, N, K, alpha, A + (size_t)t * M * K, K, B + off[t], (int)ld, t ? 1.f : 0.f, ct, N);
}

/* Last output row + 1 of the tall image that can hold a valid output. */
static int out_rows(const NeopConvGeom *g, const S1 *s) { return s->rows - (g->kh - 1); }

void neop_cpu_conv_s1(const NeopConvGeom *g, float alpha, const float *x, const float *w, float *y, float *work)
{
  const S1      s  = s1_geom(g);
  const size_t  ld = window_ld(g, &s);
  const int64_t plane = (int64_t)g->ho * g->wo;
  float        *wt = work, *win = wt + 2 * (size_t)s.taps * g->cy * g->cx, *ct = win + (size_t)s.cmax * ld;

  int           off[NEOP_S1_MAX_TAPS];

  split_taps(g, w, PETSC_FALSE, wt);
  for (int i = 0; i < g->kh; i++)
    for (int j = 0; j < g->kw; j++) off[i * g->kw + j] = i * s.wp + j;
  for (int R0 = 0; R0 < out_rows(g, &s); R0 += s.tr) {
    int R1 = R0 + s.tr < out_rows(g, &s) ? R0 + s.tr : out_rows(g, &s), N = (R1 - R0) * s.wp;
    x_window(g, &s, x, R0, R1 + g->kh - 1, win, ld);
    /* ct (cy, N) = alpha sum_t Wt[t] (cy, cx) win[:, off_t ...] (cx, N) */
    taps_gemm(s.taps, off, g->cy, g->cx, N, alpha, wt, win, ld, ct);
#pragma omp parallel for if ((int64_t)g->cy * N > 65536)
    for (int c = 0; c < g->cy; c++)
      for (int R = R0; R < R1; R++) {
        int r = R % s.hp;
        if (r >= g->ho) continue;
        const float *src = ct + (size_t)c * N + (size_t)(R - R0) * s.wp;
        float       *d   = y + ((int64_t)(R / s.hp) * g->cy + c) * plane + (int64_t)r * g->wo;
#pragma omp simd
        for (int q = 0; q < g->wo; q++) d[q] += src[q];
      }
  }
}

void neop_cpu_conv_s1_adjoint(const NeopConvGeom *g, float alpha, const float *y, const float *w, float *x, float *work)
{
  const S1      s  = s1_geom(g);
  const size_t  ld = window_ld(g, &s);
  const int64_t plane = (int64_t)g->h * g->w;
  float        *wt = work, *win = wt + 2 * (size_t)s.taps * g->cy * g->cx, *ct = win + (size_t)s.cmax * ld;

  int           off[NEOP_S1_MAX_TAPS];

  split_taps(g, w, PETSC_TRUE, wt);
  for (int i = 0; i < g->kh; i++)
    for (int j = 0; j < g->kw; j++) off[i * g->kw + j] = (g->kh - 1 - i) * s.wp + (g->kw - 1 - j);
  /* every row of the tall padded image of X, halos included (folded back by the padding's adjoint) */
  for (int R0 = 0; R0 < s.rows; R0 += s.tr) {
    int R1 = R0 + s.tr < s.rows ? R0 + s.tr : s.rows, N = (R1 - R0) * s.wp;
    /* dY rows [R0 - kh + 1, R1), kw - 1 zeros ahead: dY at (R - i, q - j) is win[m + (kh-1-i) wp + kw-1-j] */
    y_window(g, &s, y, R0 - g->kh + 1, R1, g->kw - 1, win, ld);
    /* ct (cx, N) = alpha sum_t Wt[t]^T (cx, cy) win[:, off_t ...] (cy, N) */
    taps_gemm(s.taps, off, g->cx, g->cy, N, alpha, wt, win, ld, ct);
    /* fold the padded rows back onto x (the padding's adjoint) */
#pragma omp parallel for if ((int64_t)g->cx * N > 65536)
    for (int c = 0; c < g->cx; c++)
      for (int R = R0; R < R1; R++) {
        int si = neop_cpu_pad_source(g->mode, R % s.hp - g->ph, g->h);
        if (si < 0) continue;
        const float *src = ct + (size_t)c * N + (size_t)(R - R0) * s.wp;
        float       *d   = x + ((int64_t)(R / s.hp) * g->cx + c) * plane + (int64_t)si * g->w;
        for (int q = 0; q < g->pw; q++) {
          int sq = neop_cpu_pad_source(g->mode, q - g->pw, g->w);
          if (sq >= 0) d[sq] += src[q];
        }
#pragma omp simd
        for (int q = 0; q < g->w; q++) d[q] += src[q + g->pw];
        for (int q = g->pw + g->w; q < s.wp; q++) {
          int sq = neop_cpu_pad_source(g->mode, q - g->pw, g->w);
          if (sq >= 0) d[sq] += src[q];
        }
      }
  }
}

void neop_cpu_conv_s1_weight_grad(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work)
{
  const S1     s  = s1_geom(g);
  const size_t ld = window_ld(g, &s), cc = (size_t)g->cy * g->cx;
  float       *acc = work + (size_t)s.taps * cc, *win = work + 2 * (size_t)s.taps * cc, *yw = win + (size_t)s.cmax * ld;

  memset(acc, 0, sizeof(float) * s.taps * cc);
  for (int R0 = 0; R0 < out_rows(g, &s); R0 += s.tr) {
    int R1 = R0 + s.tr < out_rows(g, &s) ? R0 + s.tr : out_rows(g, &s), N = (R1 - R0) * s.wp;
    x_window(g, &s, x, R0, R1 + g->kh - 1, win, ld);
    y_window(g, &s, dy, R0, R1, 0, yw, (size_t)N);
    /* acc[t] (cy, cx) += yw (cy, N) win[:, off_t ...]^T (N, cx); garbage positions of yw are zero */
    for (int i = 0; i < g->kh; i++)
      for (int j = 0; j < g->kw; j++)
        neop_cpu_sgemm(PETSC_FALSE, PETSC_TRUE, g->cy, g->cx, N, 1.f, yw, N, win + (size_t)i * s.wp + j, (int)ld, 1.f,
                       acc + (size_t)(i * g->kw + j) * cc, g->cx);
  }
  for (int co = 0; co < g->cy; co++)
    for (int ci = 0; ci < g->cx; ci++)
      for (int t = 0; t < s.taps; t++) dw[((size_t)co * g->cx + ci) * s.taps + t] += alpha * acc[(size_t)t * cc + co * g->cx + ci];
}
