/* 3x3 convolutions (zero padding 1, stride 1) of channels-last tokens by
   Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016): each 2x2
   block of outputs comes from a 4x4 block of inputs d as
     Y = A^T [ (G g G^T) (.) (B^T d B) ] A
   and across channels the element-wise product is 16 matrix products,
     M_e (tiles, Cout) = V_e (tiles, Cin) U_e (Cin, Cout),  e = 0..15,
   with U = G g G^T per (Cin, Cout) pair and V = B^T d B per (tile, Cin).
   That is 16 multiply-adds per 4 outputs where the direct sum has 36: the
   products shrink 2.25x; the transforms are additions (and halves in G),
   exact up to float32 rounding. In channels-last layout each transform is a
   few vector additions over the channels.

   The adjoint of a 3x3 zero-padded convolution is the 3x3 convolution of dY
   with the kernel flipped and its channels transposed: the input gradient
   reuses the forward. The weight gradient is dU_e = sum over tiles of
   V_e^T dM_e with dM = A dY A^T, then dg = G^T dU G.

   Work runs over chunks of TT tiles (one sample's tiles in row-major order),
   in parallel, single-threaded OpenBLAS inside; weight gradients are summed
   per fixed group of chunks, then in order (thread-count independent). */
#include "backend/cpu/attention.h"
#include <stdlib.h>
#include <string.h>

#define TT     256 /* tiles per chunk: V and M (16, 256, 128) are 2 MB each */
#define GROUPS 8

typedef struct {
  int     B, S0, S1, ty, tx; /* tiles per dim: ceil(S / 2) */
  int64_t P, nt;             /* points and tiles per sample */
  int     chunks;            /* per sample */
} WGrid;

static WGrid wgrid(int B, int S0, int S1)
{
  WGrid g = {B, S0, S1, (S0 + 1) / 2, (S1 + 1) / 2, (int64_t)S0 * S1, 0, 0};
  g.nt     = (int64_t)g.ty * g.tx;
  g.chunks = (int)((g.nt + TT - 1) / TT);
  return g;
}

/* U (16, Cin, Cout) = G g G^T of each (co, ci) kernel g = W[co][ci] (3 x 3);
   flip: use the adjoint's kernel W[ci][co] flipped (W is then (Cin', Cout', 3, 3)
   with Cin' = Cout, Cout' = Cin of the output) */
static void transform_weights(int Cin, int Cout, const float *W, int flip, float *U)
{
  static const float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
  for (int co = 0; co < Cout; co++)
    for (int ci = 0; ci < Cin; ci++) {
      float g[3][3], t[4][3];
      for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
          g[i][j] = flip ? W[((int64_t)ci * Cout + co) * 9 + (2 - i) * 3 + (2 - j)] : W[((int64_t)co * Cin + ci) * 9 + i * 3 + j];
      for (int a = 0; a < 4; a++)
        for (int j = 0; j < 3; j++) t[a][j] = G[a][0] * g[0][j] + G[a][1] * g[1][j] + G[a][2] * g[2][j];
      for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++) U[((int64_t)(a * 4 + b) * Cin + ci) * Cout + co] = t[a][0] * G[b][0] + t[a][1] * G[b][1] + t[a][2] * G[b][2];
    }
}

/* V[e] row t (C) = (B^T d B)[e] of the 4 x 4 input block of tile (ti, tj) of
   sample x (P, C); points outside the grid are zeros. V (16, ldv, C). */
NEOP_ATT_CLONES static void input_tile(const WGrid *g, int C, const float *x, int ti, int tj, const float *zero, float *V,
                                       int64_t ldv, int t)
{
  const float *d[4][4];
  for (int a = 0; a < 4; a++)
    for (int b = 0; b < 4; b++) {
      int r = 2 * ti - 1 + a, c = 2 * tj - 1 + b;
      d[a][b] = r >= 0 && r < g->S0 && c >= 0 && c < g->S1 ? x + ((int64_t)r * g->S1 + c) * C : zero;
    }
  float *v[16];
  for (int e = 0; e < 16; e++) v[e] = V + ((int64_t)e * ldv + t) * C;
#pragma omp simd
  for (int c = 0; c < C; c++) {
    float s[4][4];
    /* rows: B^T d, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] */
    for (int b = 0; b < 4; b++) {
      float d0 = d[0][b][c], d1 = d[1][b][c], d2 = d[2][b][c], d3 = d[3][b][c];
      s[0][b] = d0 - d2;
      s[1][b] = d1 + d2;
      s[2][b] = d2 - d1;
      s[3][b] = d1 - d3;
    }
    /* columns: (B^T d) B */
    for (int a = 0; a < 4; a++) {
      v[a * 4 + 0][c] = s[a][0] - s[a][2];
      v[a * 4 + 1][c] = s[a][1] + s[a][2];
      v[a * 4 + 2][c] = s[a][2] - s[a][1];
      v[a * 4 + 3][c] = s[a][1] - s[a][3];
    }
  }
}

/* y (P, C) of the 2 x 2 outputs of tile (ti, tj) inside the grid  (+)=  A^T M A + bias,
   A^T = [1 1 1 0; 0 1 -1 -1]; M (16, ldm, C) row t. add = 0: y = ..., 1: y += ... */
NEOP_ATT_CLONES static void output_tile(const WGrid *g, int C, const float *M, int64_t ldm, int t, const float *bias, int add,
                                        float *y, int ti, int tj)
{
  const float *m[16];
  float       *o[2][2];
  for (int e = 0; e < 16; e++) m[e] = M + ((int64_t)e * ldm + t) * C;
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++) {
      int r = 2 * ti + a, c = 2 * tj + b;
      o[a][b] = r < g->S0 && c < g->S1 ? y + ((int64_t)r * g->S1 + c) * C : NULL;
    }
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++) {
      float *out = o[a][b];
      if (!out) continue;
      /* out = sum_{p,q} A^T[a][p] M[p][q] A^T[b][q] */
#pragma omp simd
      for (int c = 0; c < C; c++) {
        float r[4];
        for (int q = 0; q < 4; q++)
          r[q] = a == 0 ? m[q][c] + m[4 + q][c] + m[8 + q][c] : m[4 + q][c] - m[8 + q][c] - m[12 + q][c];
        float v = b == 0 ? r[0] + r[1] + r[2] : r[1] - r[2] - r[3];
        v += bias ? bias[c] : 0.f;
        out[c] = add ? out[c] + v : v;
      }
    }
}

/* dM[e] row t (C) = (A dY A^T)[e] of the 2 x 2 outputs of tile (ti, tj) of dy (P, C); outside: zero */
NEOP_ATT_CLONES static void output_tile_adjoint(const WGrid *g, int C, const float *dy, int ti, int tj, const float *zero, float *dM,
                                                int64_t ldm, int t)
{
  const float *d[2][2];
  float       *m[16];
  for (int a = 0; a < 2; a++)
    for (int b = 0; b < 2; b++) {
      int r = 2 * ti + a, c = 2 * tj + b;
      d[a][b] = r < g->S0 && c < g->S1 ? dy + ((int64_t)r * g->S1 + c) * C : zero;
    }
  for (int e = 0; e < 16; e++) m[e] = dM + ((int64_t)e * ldm + t) * C;
  /* A = [1 0; 1 1; 1 -1; 0 -1] */
#pragma omp simd
  for (int c = 0; c < C; c++) {
    float s[4][2];
    for (int b = 0; b < 2; b++) {
      float y0 = d[0][b][c], y1 = d[1][b][c];
      s[0][b] = y0;
      s[1][b] = y0 + y1;
      s[2][b] = y0 - y1;
      s[3][b] = -y1;
    }
    for (int a = 0; a < 4; a++) {
      m[a * 4 + 0][c] = s[a][0];
      m[a * 4 + 1][c] = s[a][0] + s[a][1];
      m[a * 4 + 2][c] = s[a][0] - s[a][1];
      m[a * 4 + 3][c] = -s[a][1];
    }
  }
}

/* y (B, P, Cout) (+)= conv3x3(x (B, P, Cin)) with transformed weights U (16, Cin, Cout), + bias */
static void winograd_conv(const WGrid *g, int Cin, int Cout, const float *x, const float *U, const float *bias, int add, float *y)
{
  const int cmax = Cin > Cout ? Cin : Cout;
#pragma omp parallel
  {
    float *V = malloc(sizeof(float) * 16 * (size_t)TT * Cin), *M = malloc(sizeof(float) * 16 * (size_t)TT * Cout);
    float *zero = calloc((size_t)cmax, sizeof(float));
#pragma omp for schedule(dynamic)
    for (int task = 0; task < g->B * g->chunks; task++) {
      int          s = task / g->chunks;
      int64_t      t0 = (int64_t)(task % g->chunks) * TT;
      int          T = (int)(g->nt - t0 < TT ? g->nt - t0 : TT);
      const float *xs = x + (int64_t)s * g->P * Cin;
      for (int t = 0; t < T; t++) input_tile(g, Cin, xs, (int)((t0 + t) / g->tx), (int)((t0 + t) % g->tx), zero, V, T, t);
      for (int e = 0; e < 16; e++)
        att_gemm(0, 0, T, Cout, Cin, 1.f, V + (int64_t)e * T * Cin, Cin, U + (int64_t)e * Cin * Cout, Cout, 0.f,
                 M + (int64_t)e * T * Cout, Cout);
      for (int t = 0; t < T; t++)
        output_tile(g, Cout, M, T, t, bias, add, y + (int64_t)s * g->P * Cout, (int)((t0 + t) / g->tx), (int)((t0 + t) % g->tx));
    }
    free(V);
    free(M);
    free(zero);
  }
}

void neop_cpu_token_conv3_forward(int B, int S0, int S1, int Cin, int Cout, const float *x, const float *W, const float *b, float *y)
{
  const WGrid g  = wgrid(B, S0, S1);
  float      *U  = malloc(sizeof(float) * 16 * (size_t)Cin * Cout); /* (16, Cin, Cout) */
  int         nb = att_blas_serial_begin();

  transform_weights(Cin, Cout, W, 0, U);
  winograd_conv(&g, Cin, Cout, x, U, b, 0, y);
  free(U);
  att_blas_serial_end(nb);
}

void neop_cpu_token_conv3_backward(int B, int S0, int S1, int Cin, int Cout, const float *x, const float *W, const float *dy,
                                   float *dx, float *dW, float *db)
{
  const WGrid g  = wgrid(B, S0, S1);
  const int   ntask = B * g.chunks, ng = ntask < GROUPS ? ntask : GROUPS, cmax = Cin > Cout ? Cin : Cout;
  int         nb = att_blas_serial_begin();

  if (dx) {
    /* dx += conv3x3(dy) with the flipped, transposed kernel: (16, Cout, Cin) */
    float *U = malloc(sizeof(float) * 16 * (size_t)Cin * Cout);
    transform_weights(Cout, Cin, W, 1, U);
    winograd_conv(&g, Cout, Cin, dy, U, NULL, 1, dx);
    free(U);
  }
  if (dW || db) {
    int64_t usz  = 16 * (int64_t)Cin * Cout;
    float  *part = calloc((size_t)ng * (usz + Cout), sizeof(float)); /* per group: dU (16, Cin, Cout), db (Cout) */
#pragma omp parallel
    {
      float *V = malloc(sizeof(float) * 16 * (size_t)TT * Cin), *M = malloc(sizeof(float) * 16 * (size_t)TT * Cout);
      float *zero = calloc((size_t)cmax, sizeof(float));
#pragma omp for schedule(dynamic)
      for (int gr = 0; gr < ng; gr++) {
        float *pU = part + (int64_t)gr * (usz + Cout), *pb = pU + usz;
        for (int task = (int)((int64_t)ntask * gr / ng); task < (int)((int64_t)ntask * (gr + 1) / ng); task++) {
          int          s = task / g.chunks;
          int64_t      t0 = (int64_t)(task % g.chunks) * TT;
          int          T = (int)(g.nt - t0 < TT ? g.nt - t0 : TT);
          const float *dys = dy + (int64_t)s * g.P * Cout;
          if (dW) {
            for (int t = 0; t < T; t++) {
              int ti = (int)((t0 + t) / g.tx), tj = (int)((t0 + t) % g.tx);
              input_tile(&g, Cin, x + (int64_t)s * g.P * Cin, ti, tj, zero, V, T, t);
              output_tile_adjoint(&g, Cout, dys, ti, tj, zero, M, T, t);
            }
            /* dU_e (Cin, Cout) += V_e^T (Cin, T) dM_e (T, Cout) */
            for (int e = 0; e < 16; e++)
              att_gemm(1, 0, Cin, Cout, T, 1.f, V + (int64_t)e * T * Cin, Cin, M + (int64_t)e * T * Cout, Cout, 1.f, pU + (int64_t)e * Cin * Cout,
                       Cout);
          }
          if (db)
            for (int t = 0; t < T; t++) {
              int ti = (int)((t0 + t) / g.tx), tj = (int)((t0 + t) % g.tx);
              for (int a = 0; a < 2; a++)
                for (int bb = 0; bb < 2; bb++) {
                  int r = 2 * ti + a, c = 2 * tj + bb;
                  if (r >= S0 || c >= S1) continue;
                  const float *d = dys + ((int64_t)r * S1 + c) * Cout;
                  for (int co = 0; co < Cout; co++) pb[co] += d[co];
                }
            }
        }
      }
      free(V);
      free(M);
      free(zero);
    }
    /* dW[co][ci] += G^T dU G, G (4, 3) */
    static const float G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
    for (int gr = 1; gr < ng; gr++) {
      const float *pU = part + (int64_t)gr * (usz + Cout);
      for (int64_t i = 0; i < usz + Cout; i++) part[i] += pU[i];
    }
    if (dW)
      for (int ci = 0; ci < Cin; ci++)
        for (int co = 0; co < Cout; co++) {
          float u[4][4], t[3][4];
          for (int e = 0; e < 16; e++) u[e / 4][e % 4] = part[((int64_t)e * Cin + ci) * Cout + co];
          for (int i = 0; i < 3; i++)
            for (int q = 0; q < 4; q++) t[i][q] = G[0][i] * u[0][q] + G[1][i] * u[1][q] + G[2][i] * u[2][q] + G[3][i] * u[3][q];
          for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
              dW[((int64_t)co * Cin + ci) * 9 + i * 3 + j] += t[i][0] * G[0][j] + t[i][1] * G[1][j] + t[i][2] * G[2][j] + t[i][3] * G[3][j];
        }
    if (db)
      for (int co = 0; co < Cout; co++) db[co] += part[usz + co];
    free(part);
  }
  att_blas_serial_end(nb);
}
