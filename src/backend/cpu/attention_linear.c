/* Linear attention per (batch, head), O(N dh^2) work and O(dh^2) state:
     kv = phi(K)^T V (dh, dh),   O = alpha phi(Q) kv
   Galerkin: phi = identity, alpha = 1/N. ELU: phi = 1 + elu, alpha = 1.
   Backward: dkv = alpha phi(Q)^T dO, dphi(Q) = alpha dO kv^T,
             dphi(K) = V dkv^T, dV = phi(K) dkv.
   phi is applied in tiles of TT tokens, so scratch stays O(TT dh). */
#include "backend/cpu/attention.h"
#include <math.h>
#include <stdlib.h>

#define TT 256

static inline int imin(int a, int b) { return a < b ? a : b; }

/* dst (n, dh) = phi(src rows, stride ld) */
static void phi_tile(NeopLinearAttentionKind kind, int n, int dh, const float *src, int ld, float *dst)
{
  for (int r = 0; r < n; r++)
    for (int c = 0; c < dh; c++) {
      float x         = src[(int64_t)r * ld + c];
      dst[r * dh + c] = kind == NEOP_LINATT_ELU ? (x > 0 ? 1.f + x : expf(x)) : x;
    }
}

static inline float dphi(NeopLinearAttentionKind kind, float x) { return kind == NEOP_LINATT_ELU ? (x > 0 ? 1.f : expf(x)) : 1.f; }

void neop_cpu_linear_forward(NeopLinearAttentionKind kind, int B, int H, int N, int dh, const float *q, const float *k,
                             const float *v, float *o, float *kv)
{
  int   ld = H * dh, nb = att_blas_serial_begin();
  float alpha = kind == NEOP_LINATT_GALERKIN ? 1.f / N : 1.f;

#pragma omp parallel
  {
    float *tile = malloc(sizeof(float) * TT * (size_t)dh); /* (TT, dh) phi of a token tile */
#pragma omp for schedule(dynamic)
    for (int bh = 0; bh < B * H; bh++) {
      int          b = bh / H, h = bh % H;
      const float *qb = q + (int64_t)b * N * ld + h * dh, *kb = k + (int64_t)b * N * ld + h * dh;
      const float *vb = v + (int64_t)b * N * ld + h * dh;
      float       *ob = o + (int64_t)b * N * ld + h * dh, *kvb = kv + (int64_t)bh * dh * dh;
      for (int n0 = 0; n0 < N; n0 += TT) {
        int nt = imin(TT, N - n0);
        phi_tile(kind, nt, dh, kb + (int64_t)n0 * ld, ld, tile);
        att_gemm(1, 0, dh, dh, nt, 1.f, tile, dh, vb + (int64_t)n0 * ld, ld, n0 ? 1.f : 0.f, kvb, dh);
      }
      for (int n0 = 0; n0 < N; n0 += TT) {
        int nt = imin(TT, N - n0);
        phi_tile(kind, nt, dh, qb + (int64_t)n0 * ld, ld, tile);
        att_gemm(0, 0, nt, dh, dh, alpha, tile, dh, kvb, dh, 0.f, ob + (int64_t)n0 * ld, ld);
      }
    }
    free(tile);
  }
  att_blas_serial_end(nb);
}

void neop_cpu_linear_backward(NeopLinearAttentionKind kind, int B, int H, int N, int dh, const float *q,
                              const float *k, const float *v, const float *kv, const float *dout, float *dq, float *dk,
                              float *dv)
{
  int   ld = H * dh, nb = att_blas_serial_begin();
  float alpha = kind == NEOP_LINATT_GALERKIN ? 1.f / N : 1.f;

#pragma omp parallel
  {
    float *tile = malloc(sizeof(float) * (2 * TT + (size_t)dh) * dh); /* phi tile (TT, dh), gradient tile (TT, dh), dkv (dh, dh) */
    float *gt = tile + TT * dh, *dkv = gt + TT * dh;
#pragma omp for schedule(dynamic)
    for (int bh = 0; bh < B * H; bh++) {
      int          b = bh / H, h = bh % H;
      int64_t      off = (int64_t)b * N * ld + h * dh;
      const float *qb = q + off, *kb = k + off, *vb = v + off, *db = dout + off, *kvb = kv + (int64_t)bh * dh * dh;
      /* dkv = alpha phi(Q)^T dO; dQ += (alpha dO kv^T) * phi'(Q) */
      for (int n0 = 0; n0 < N; n0 += TT) {
        int nt = imin(TT, N - n0);
        phi_tile(kind, nt, dh, qb + (int64_t)n0 * ld, ld, tile);
        att_gemm(1, 0, dh, dh, nt, alpha, tile, dh, db + (int64_t)n0 * ld, ld, n0 ? 1.f : 0.f, dkv, dh);
        if (dq) {
          att_gemm(0, 1, nt, dh, dh, alpha, db + (int64_t)n0 * ld, ld, kvb, dh, 0.f, gt, dh);
          for (int r = 0; r < nt; r++)
            for (int c = 0; c < dh; c++) {
              int64_t i = (int64_t)(n0 + r) * ld + c;
              dq[off + i] += gt[r * dh + c] * dphi(kind, qb[i]);
            }
        }
      }
      for (int n0 = 0; n0 < N; n0 += TT) {
        int nt = imin(TT, N - n0);
        /* dK += (V dkv^T) * phi'(K) */
        if (dk) {
          att_gemm(0, 1, nt, dh, dh, 1.f, vb + (int64_t)n0 * ld, ld, dkv, dh, 0.f, gt, dh);
          for (int r = 0; r < nt; r++)
            for (int c = 0; c < dh; c++) {
              int64_t i = (int64_t)(n0 + r) * ld + c;
              dk[off + i] += gt[r * dh + c] * dphi(kind, kb[i]);
            }
        }
        /* dV += phi(K) dkv */
        if (dv) {
          phi_tile(kind, nt, dh, kb + (int64_t)n0 * ld, ld, tile);
          att_gemm(0, 0, nt, dh, dh, 1.f, tile, dh, dkv, dh, 1.f, dv + off + (int64_t)n0 * ld, ld);
        }
      }
    }
    free(tile);
  }
  att_blas_serial_end(nb);
}
