/* k x k convolutions (zero padding k/2, stride 1) of tokens on a 2-D grid,
   channels last: x (B, S0 S1, Cin) -> y (B, S0 S1, Cout). Transolver's
   structured-mesh projections run on its token layout directly, with no
   transpose to (B, C, S0, S1) and back.

   In channels-last layout a patch of k^2 taps is k^2 contiguous runs of Cin
   floats, so the im2col panel of a tile of T tokens, (T, k^2 Cin), is built
   with k^2 memcpy per token and stays in L2; each tile is one sgemm with the
   full depth k^2 Cin:
     forward    y_tile (T, Cout)  = panel_x (T, k^2 Cin) Wr^T + b,   Wr (Cout, k^2 Cin)
     input      dx_tile (T, Cin) += panel_dy (T, k^2 Cout) Wa,        Wa (k^2 Cout, Cin),
                                    the flipped kernel (the adjoint is a conv too)
     weights    dWr (Cout, k^2 Cin) += dy_tile^T panel_x
   Tiles run in parallel (OpenMP, single-threaded OpenBLAS inside). The weight
   gradient is summed per fixed group of tiles, then the groups in order: the
   result does not depend on the thread count. 3 x 3 kernels (Transolver's)
   take Winograd's F(2x2, 3x3) instead: attention_token_winograd.c. */
#include "backend/cpu/attention.h"
#include <stdlib.h>
#include <string.h>

#define TILE   256 /* tokens per tile: a (256, 9 * 128) panel is 1.2 MB */
#define GROUPS 8   /* weight-gradient partial sums */

typedef struct {
  int     B, S0, S1, k;
  int64_t P;     /* tokens per sample */
  int     tiles; /* per sample */
} Grid;

static Grid grid_of(int B, int S0, int S1, int k)
{
  Grid g = {B, S0, S1, k, (int64_t)S0 * S1, 0};
  g.tiles = (int)((g.P + TILE - 1) / TILE);
  return g;
}

/* panel (T, k^2 C): row t holds the k^2 taps of token p0 + t of sample x (P, C);
   flip = 0: tap (i, j) reads point (r + i - h, c + j - h); flip = 1: (r - i + h, c - j + h) */
static void panel(const Grid *g, int C, const float *x, int64_t p0, int T, int flip, float *pan)
{
  const int h = g->k / 2, kk = g->k * g->k;
  for (int t = 0; t < T; t++) {
    int64_t p = p0 + t;
    int     r = (int)(p / g->S1), c = (int)(p % g->S1);
    float  *row = pan + (int64_t)t * kk * C;
    for (int i = 0; i < g->k; i++) {
      int rr = flip ? r - i + h : r + i - h;
      for (int j = 0; j < g->k; j++) {
        int    cc = flip ? c - j + h : c + j - h;
        float *d  = row + (int64_t)(i * g->k + j) * C;
        if (rr < 0 || rr >= g->S0 || cc < 0 || cc >= g->S1) memset(d, 0, sizeof(float) * (size_t)C);
        else memcpy(d, x + ((int64_t)rr * g->S1 + cc) * C, sizeof(float) * (size_t)C);
      }
    }
  }
}

static inline int tile_len(const Grid *g, int tile) { return (int)((int64_t)(tile + 1) * TILE <= g->P ? TILE : g->P - (int64_t)tile * TILE); }

void neop_cpu_token_conv_forward(int B, int S0, int S1, int Cin, int Cout, int k, const float *x, const float *W,
                                 const float *b, float *y)
{
  if (k == 3) {
    neop_cpu_token_conv3_forward(B, S0, S1, Cin, Cout, x, W, b, y);
    return;
  }
  const Grid g  = grid_of(B, S0, S1, k);
  const int  kk = k * k, K = kk * Cin, nb = att_blas_serial_begin();
  float     *Wr = malloc(sizeof(float) * (size_t)Cout * K); /* (Cout, k^2 Cin) */

  for (int co = 0; co < Cout; co++)
    for (int ci = 0; ci < Cin; ci++)
      for (int t = 0; t < kk; t++) Wr[(int64_t)co * K + (int64_t)t * Cin + ci] = W[((int64_t)co * Cin + ci) * kk + t];
#pragma omp parallel
  {
    float *pan = malloc(sizeof(float) * (size_t)TILE * K); /* (TILE, k^2 Cin) */
#pragma omp for schedule(dynamic)
    for (int task = 0; task < B * g.tiles; task++) {
      int     s = task / g.tiles, tile = task % g.tiles, T = tile_len(&g, tile);
      int64_t p0 = (int64_t)tile * TILE;
      float  *yt = y + ((int64_t)s * g.P + p0) * Cout;
      panel(&g, Cin, x + (int64_t)s * g.P * Cin, p0, T, 0, pan);
      if (b)
        for (int t = 0; t < T; t++) memcpy(yt + (int64_t)t * Cout, b, sizeof(float) * (size_t)Cout);
      att_gemm(0, 1, T, Cout, K, 1.f, pan, K, Wr, K, b ? 1.f : 0.f, yt, Cout);
    }
    free(pan);
  }
  free(Wr);
  att_blas_serial_end(nb);
}

void neop_cpu_token_conv_backward(int B, int S0, int S1, int Cin, int Cout, int k, const float *x, const float *W,
                                  const float *dy, float *dx, float *dW, float *db)
{
  if (k == 3) {
    neop_cpu_token_conv3_backward(B, S0, S1, Cin, Cout, x, W, dy, dx, dW, db);
    return;
  }
  const Grid g  = grid_of(B, S0, S1, k);
  const int  kk = k * k, ntask = B * g.tiles, nb = att_blas_serial_begin();
  const int  Kx = kk * Cin, Ky = kk * Cout, ng = ntask < GROUPS ? ntask : GROUPS;
  float     *Wa   = dx ? malloc(sizeof(float) * (size_t)Ky * Cin) : NULL;                   /* (k^2 Cout, Cin) */
  float     *part = dW || db ? calloc((size_t)ng * Cout * (Kx + 1), sizeof(float)) : NULL; /* (ng, Cout, k^2 Cin + 1) */

  if (Wa)
    for (int co = 0; co < Cout; co++)
      for (int ci = 0; ci < Cin; ci++)
        for (int t = 0; t < kk; t++) Wa[((int64_t)t * Cout + co) * Cin + ci] = W[((int64_t)co * Cin + ci) * kk + t];
#pragma omp parallel
  {
    float *pan = malloc(sizeof(float) * (size_t)TILE * (Kx > Ky ? Kx : Ky));
    if (dx) {
#pragma omp for schedule(dynamic)
      for (int task = 0; task < ntask; task++) {
        int     s = task / g.tiles, tile = task % g.tiles, T = tile_len(&g, tile);
        int64_t p0 = (int64_t)tile * TILE;
        panel(&g, Cout, dy + (int64_t)s * g.P * Cout, p0, T, 1, pan);
        att_gemm(0, 0, T, Cin, Ky, 1.f, pan, Ky, Wa, Cin, 1.f, dx + ((int64_t)s * g.P + p0) * Cin, Cin);
      }
    }
    if (part) {
#pragma omp for schedule(dynamic)
      for (int gr = 0; gr < ng; gr++) {
        float *pW = part + (int64_t)gr * Cout * (Kx + 1), *pb = pW + (int64_t)Cout * Kx; /* (Cout, k^2 Cin), (Cout) */
        for (int task = (int)((int64_t)ntask * gr / ng); task < (int)((int64_t)ntask * (gr + 1) / ng); task++) {
          int          s = task / g.tiles, tile = task % g.tiles, T = tile_len(&g, tile);
          int64_t      p0 = (int64_t)tile * TILE;
          const float *dyt = dy + ((int64_t)s * g.P + p0) * Cout;
          if (dW) {
            panel(&g, Cin, x + (int64_t)s * g.P * Cin, p0, T, 0, pan);
            att_gemm(1, 0, Cout, Kx, T, 1.f, dyt, Cout, pan, Kx, 1.f, pW, Kx);
          }
          for (int t = 0; t < T; t++)
            for (int co = 0; co < Cout; co++) pb[co] += dyt[(int64_t)t * Cout + co];
        }
      }
    }
    free(pan);
  }
  if (part)
    for (int gr = 0; gr < ng; gr++) {
      const float *pW = part + (int64_t)gr * Cout * (Kx + 1), *pb = pW + (int64_t)Cout * Kx;
      if (dW)
        for (int co = 0; co < Cout; co++)
          for (int ci = 0; ci < Cin; ci++)
            for (int t = 0; t < kk; t++) dW[((int64_t)co * Cin + ci) * kk + t] += pW[(int64_t)co * Kx + (int64_t)t * Cin + ci];
      if (db)
        for (int co = 0; co < Cout; co++) db[co] += pb[co];
    }
  free(part);
  free(Wa);
  att_blas_serial_end(nb);
}
