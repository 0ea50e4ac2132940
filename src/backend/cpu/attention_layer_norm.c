/* Layer norm over groups of C features (PyTorch's LayerNorm: biased variance).
   The parameter gradients are summed in a fixed number of row chunks, then
   the chunks in order, so the result does not depend on the thread count. */
#include "backend/cpu/attention.h"
#include <math.h>
#include <stdlib.h>

#define LN_CHUNKS 64

void neop_cpu_layer_norm_forward(int64_t rows, int G, int C, float eps, const float *x, const float *gamma,
                                 const float *beta, float *y, float *mean, float *rstd)
{
  int64_t n = rows * G;
#pragma omp parallel for schedule(static) if (n * C > 32768)
  for (int64_t r = 0; r < n; r++) {
    const float *xr = x + r * C;
    float       *yr = y + r * C;
    const float *g = gamma + (r % G) * C, *b = beta + (r % G) * C;
    double       s = 0, v = 0;
    for (int c = 0; c < C; c++) s += xr[c];
    float mu = (float)(s / C);
    for (int c = 0; c < C; c++) v += (double)(xr[c] - mu) * (xr[c] - mu);
    float rs = (float)(1.0 / sqrt(v / C + eps));
    for (int c = 0; c < C; c++) yr[c] = (xr[c] - mu) * rs * g[c] + b[c];
    mean[r] = mu;
    rstd[r] = rs;
  }
}

void neop_cpu_layer_norm_backward(int64_t rows, int G, int C, const float *x, const float *gamma, const float *mean,
                                  const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta)
{
  int64_t n = rows * G, GC = (int64_t)G * C;
  int     nchunk = n < LN_CHUNKS ? (int)n : LN_CHUNKS;
  float  *part = (dgamma || dbeta) ? calloc((size_t)nchunk * 2 * GC, sizeof(float)) : NULL; /* (nchunk, 2, G C) */

#pragma omp parallel for schedule(static) if (n * C > 32768)
  for (int ch = 0; ch < nchunk; ch++) {
    int64_t r0 = n * ch / nchunk, r1 = n * (ch + 1) / nchunk;
    float  *pg = part ? part + (int64_t)ch * 2 * GC : NULL, *pb = pg ? pg + GC : NULL;
    for (int64_t r = r0; r < r1; r++) {
      const float *xr = x + r * C, *dyr = dy + r * C, *g = gamma + (r % G) * C;
      float        mu = mean[r], rs = rstd[r];
      int64_t      off = (r % G) * C;
      double       a = 0, b = 0; /* sums of dxhat and dxhat * xhat */
      for (int c = 0; c < C; c++) {
        float xh = (xr[c] - mu) * rs, dxh = dyr[c] * g[c];
        a += dxh;
        b += (double)dxh * xh;
        if (pg) {
          pg[off + c] += dyr[c] * xh;
          pb[off + c] += dyr[c];
        }
      }
      if (dx) {
        float ma = (float)(a / C), mb = (float)(b / C);
        for (int c = 0; c < C; c++) {
          float xh = (xr[c] - mu) * rs;
          dx[r * C + c] += rs * (dyr[c] * g[c] - ma - xh * mb);
        }
      }
    }
  }
  if (part) {
    for (int ch = 0; ch < nchunk; ch++)
      for (int64_t i = 0; i < GC; i++) {
        if (dgamma) dgamma[i] += part[(int64_t)ch * 2 * GC + i];
        if (dbeta) dbeta[i] += part[(int64_t)ch * 2 * GC + GC + i];
      }
    free(part);
  }
}
