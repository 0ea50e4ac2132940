/* Softmax attention in tiles (FlashAttention-style), so that no Nq x Nk
   matrix ever exists: memory is O(tokens) plus one BR x BC tile per thread.

   Forward, per (batch, head, query tile): stream over key tiles keeping the
   running row maximum m, the running sum l of exp(s - m) and the unnormalised
   output; rescale them when m grows. Saves lse = m + log l per row.

   Backward recomputes P = exp(S - lse) tile by tile. With D = rowsum(dO * O):
     dV = P^T dO,  dP = dO V^T,  dS = P * (dP - D),  dQ = s dS K,  dK = s dS^T Q.
   Two passes so that every output tile has one owner (no races, results
   independent of the thread count): over key tiles for dK, dV, then over
   query tiles for dQ. */
#include "backend/cpu/attention.h"
#include <math.h>
#include <stdlib.h>

#define BR 64 /* query rows per tile */
#define BC 64 /* key rows per tile */

static inline int imin(int a, int b) { return a < b ? a : b; }

void neop_cpu_softmax_forward(int B, int H, int Nq, int Nk, int dh, float scale, const float *q, const float *k,
                              const float *v, float *o, float *lse)
{
  int     ld = H * dh, nqt = (Nq + BR - 1) / BR;
  int64_t ntask = (int64_t)B * H * nqt;
  int     nb    = att_blas_serial_begin();

#pragma omp parallel
  {
    float *S   = malloc(sizeof(float) * BR * BC); /* (BR, BC) scores, then probabilities */
    float *acc = malloc(sizeof(float) * BR * (size_t)dh); /* (BR, dh) unnormalised output */
    float  m[BR], l[BR];
#pragma omp for schedule(dynamic)
    for (int64_t task = 0; task < ntask; task++) {
      int          b = (int)(task / ((int64_t)H * nqt)), h = (int)(task / nqt % H), i0 = (int)(task % nqt) * BR;
      int          br = imin(BR, Nq - i0);
      const float *qi = q + ((int64_t)b * Nq + i0) * ld + h * dh;
      for (int r = 0; r < br; r++) m[r] = -INFINITY, l[r] = 0;
      for (int i = 0; i < br * dh; i++) acc[i] = 0;
      for (int j0 = 0; j0 < Nk; j0 += BC) {
        int          bc = imin(BC, Nk - j0);
        const float *kj = k + ((int64_t)b * Nk + j0) * ld + h * dh, *vj = v + ((int64_t)b * Nk + j0) * ld + h * dh;
        att_gemm(0, 1, br, bc, dh, scale, qi, ld, kj, ld, 0.f, S, BC);
        for (int r = 0; r < br; r++) {
          float *s = S + r * BC, mx = m[r], sum = 0;
          for (int c = 0; c < bc; c++) mx = s[c] > mx ? s[c] : mx;
          float corr = att_exp(m[r] - mx);
#pragma omp simd reduction(+ : sum)
          for (int c = 0; c < bc; c++) {
            s[c] = att_exp(s[c] - mx);
            sum += s[c];
          }
          l[r] = l[r] * corr + sum;
          m[r] = mx;
          if (corr != 1.f)
            for (int c = 0; c < dh; c++) acc[r * dh + c] *= corr;
        }
        att_gemm(0, 0, br, dh, bc, 1.f, S, BC, vj, ld, 1.f, acc, dh);
      }
      for (int r = 0; r < br; r++) {
        float  inv = 1.f / l[r];
        float *orow = o + ((int64_t)b * Nq + i0 + r) * ld + h * dh;
        for (int c = 0; c < dh; c++) orow[c] = acc[r * dh + c] * inv;
        lse[((int64_t)b * H + h) * Nq + i0 + r] = m[r] + logf(l[r]);
      }
    }
    free(S);
    free(acc);
  }
  att_blas_serial_end(nb);
}

/* P = exp(scale Q_i K_j^T - lse_i) and dS = P * (dO_i V_j^T - D_i) for one tile pair. */
static void tile_dS(int br, int bc, int dh, int ld, float scale, const float *qi, const float *kj, const float *vj,
                    const float *doi, const float *lsei, const float *Di, float *P, float *dS)
{
  att_gemm(0, 1, br, bc, dh, scale, qi, ld, kj, ld, 0.f, P, BC);
  for (int r = 0; r < br; r++)
#pragma omp simd
    for (int c = 0; c < bc; c++) P[r * BC + c] = att_exp(P[r * BC + c] - lsei[r]);
  att_gemm(0, 1, br, bc, dh, 1.f, doi, ld, vj, ld, 0.f, dS, BC);
  for (int r = 0; r < br; r++)
#pragma omp simd
    for (int c = 0; c < bc; c++) dS[r * BC + c] = P[r * BC + c] * (dS[r * BC + c] - Di[r]);
}

void neop_cpu_softmax_backward(int B, int H, int Nq, int Nk, int dh, float scale, const float *q, const float *k,
                               const float *v, const float *o, const float *lse, const float *dout, float *work,
                               float *dq, float *dk, float *dv)
{
  int     ld = H * dh, nqt = (Nq + BR - 1) / BR, nkt = (Nk + BC - 1) / BC;
  float  *D  = work; /* (B, H, Nq) rowsum(dO * O) */
  int     nb = att_blas_serial_begin();
  int64_t nrow = (int64_t)B * H * Nq;

#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < nrow; r++) {
    int64_t      b = r / ((int64_t)H * Nq), h = r / Nq % H, i = r % Nq;
    const float *orow = o + (b * Nq + i) * ld + h * dh, *drow = dout + (b * Nq + i) * ld + h * dh;
    float        s = 0;
    for (int c = 0; c < dh; c++) s += orow[c] * drow[c];
    D[r] = s;
  }
#pragma omp parallel
  {
    float *P  = malloc(sizeof(float) * BR * BC);                 /* (BR, BC) */
    float *dS = malloc(sizeof(float) * BR * BC);                 /* (BR, BC) */
    float *g1 = malloc(sizeof(float) * (size_t)(BR > BC ? BR : BC) * dh); /* dK_j or dQ_i (rows, dh) */
    float *g2 = malloc(sizeof(float) * (size_t)BC * dh);         /* dV_j (BC, dh) */
    if (dk || dv) {
#pragma omp for schedule(dynamic)
      for (int64_t task = 0; task < (int64_t)B * H * nkt; task++) {
        int          b = (int)(task / ((int64_t)H * nkt)), h = (int)(task / nkt % H), j0 = (int)(task % nkt) * BC;
        int          bc = imin(BC, Nk - j0);
        const float *kj = k + ((int64_t)b * Nk + j0) * ld + h * dh, *vj = v + ((int64_t)b * Nk + j0) * ld + h * dh;
        for (int i = 0; i < bc * dh; i++) g1[i] = g2[i] = 0;
        for (int i0 = 0; i0 < Nq; i0 += BR) {
          int          br  = imin(BR, Nq - i0);
          const float *qi  = q + ((int64_t)b * Nq + i0) * ld + h * dh;
          const float *doi = dout + ((int64_t)b * Nq + i0) * ld + h * dh;
          const float *ls = lse + ((int64_t)b * H + h) * Nq + i0, *Di = D + ((int64_t)b * H + h) * Nq + i0;
          tile_dS(br, bc, dh, ld, scale, qi, kj, vj, doi, ls, Di, P, dS);
          att_gemm(1, 0, bc, dh, br, 1.f, P, BC, doi, ld, 1.f, g2, dh);
          att_gemm(1, 0, bc, dh, br, scale, dS, BC, qi, ld, 1.f, g1, dh);
        }
        for (int r = 0; r < bc; r++) {
          float *dkr = dk ? dk + ((int64_t)b * Nk + j0 + r) * ld + h * dh : NULL;
          float *dvr = dv ? dv + ((int64_t)b * Nk + j0 + r) * ld + h * dh : NULL;
          for (int c = 0; c < dh; c++) {
            if (dkr) dkr[c] += g1[r * dh + c];
            if (dvr) dvr[c] += g2[r * dh + c];
          }
        }
      }
    }
    if (dq) {
#pragma omp for schedule(dynamic)
      for (int64_t task = 0; task < (int64_t)B * H * nqt; task++) {
        int          b = (int)(task / ((int64_t)H * nqt)), h = (int)(task / nqt % H), i0 = (int)(task % nqt) * BR;
        int          br  = imin(BR, Nq - i0);
        const float *qi  = q + ((int64_t)b * Nq + i0) * ld + h * dh;
        const float *doi = dout + ((int64_t)b * Nq + i0) * ld + h * dh;
        const float *ls = lse + ((int64_t)b * H + h) * Nq + i0, *Di = D + ((int64_t)b * H + h) * Nq + i0;
        for (int i = 0; i < br * dh; i++) g1[i] = 0;
        for (int j0 = 0; j0 < Nk; j0 += BC) {
          int          bc = imin(BC, Nk - j0);
          const float *kj = k + ((int64_t)b * Nk + j0) * ld + h * dh, *vj = v + ((int64_t)b * Nk + j0) * ld + h * dh;
          tile_dS(br, bc, dh, ld, scale, qi, kj, vj, doi, ls, Di, P, dS);
          att_gemm(0, 0, br, dh, bc, scale, dS, BC, kj, ld, 1.f, g1, dh);
        }
        for (int r = 0; r < br; r++) {
          float *dqr = dq + ((int64_t)b * Nq + i0 + r) * ld + h * dh;
          for (int c = 0; c < dh; c++) dqr[c] += g1[r * dh + c];
        }
      }
    }
    free(P);
    free(dS);
    free(g1);
    free(g2);
  }
  att_blas_serial_end(nb);
}
