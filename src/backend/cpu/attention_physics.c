/* Transolver's physics attention, per (batch, head) task; see the kernel
   table in neop/nn/transformer.h for the forward formulas. Cost O(N M dh +
   M^2 dh); the only O(N) arrays are the slice weights w (saved) and their
   gradient (work). Parameter gradients are summed per task, then over the
   tasks in order: the result does not depend on the thread count. */
#include "backend/cpu/attention.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_EPS 1e-5f
#define TEMP_MIN  0.1f
#define TEMP_MAX  5.f

static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* row-wise softmax of a (rows, n) array in place */
static void softmax_rows(int64_t rows, int n, float *a)
{
  for (int64_t r = 0; r < rows; r++) {
    float *x = a + r * n, mx = -INFINITY, s = 0;
    for (int c = 0; c < n; c++) mx = x[c] > mx ? x[c] : mx;
#pragma omp simd reduction(+ : s)
    for (int c = 0; c < n; c++) {
      x[c] = att_exp(x[c] - mx);
      s += x[c];
    }
    float inv = 1.f / s;
    for (int c = 0; c < n; c++) x[c] *= inv;
  }
}

void neop_cpu_physics_forward(int B, int H, int N, int dh, int M, const float *x, const float *f, const float *Ws,
                              const float *bs, const float *temp, const float *Wq, const float *Wk, const float *Wv,
                              float *y, float *w, float *tok, float *att, float *st)
{
  int   ld = H * dh, nb = att_blas_serial_begin();
  float scale = 1.f / sqrtf((float)dh);

#pragma omp parallel
  {
    float *qkv = malloc(sizeof(float) * 3 * (size_t)M * dh + sizeof(float) * M); /* Q, K, V (M, dh); colsum (M) */
    float *Q = qkv, *K = Q + M * dh, *V = K + M * dh, *s = V + M * dh;
#pragma omp for schedule(dynamic)
    for (int bh = 0; bh < B * H; bh++) {
      int          b = bh / H, h = bh % H;
      int64_t      off = (int64_t)b * N * ld + h * dh;
      float       *wb = w + (int64_t)bh * N * M, *tb = tok + (int64_t)bh * M * dh;
      float       *ab = att + (int64_t)bh * M * M, *sb = st + (int64_t)bh * M * dh;
      float        inv_tau = 1.f / clampf(temp[h], TEMP_MIN, TEMP_MAX);
      /* slice weights w = softmax((x Ws^T + bs) / tau) */
      att_gemm(0, 1, N, M, dh, 1.f, x + off, ld, Ws, dh, 0.f, wb, M);
      for (int64_t n = 0; n < N; n++)
        for (int g = 0; g < M; g++) wb[n * M + g] = (wb[n * M + g] + bs[g]) * inv_tau;
      softmax_rows(N, M, wb);
      /* slice tokens: weighted averages of f */
      for (int g = 0; g < M; g++) s[g] = 0;
      for (int64_t n = 0; n < N; n++)
        for (int g = 0; g < M; g++) s[g] += wb[n * M + g];
      att_gemm(1, 0, M, dh, N, 1.f, wb, M, f + off, ld, 0.f, tb, dh);
      for (int g = 0; g < M; g++)
        for (int c = 0; c < dh; c++) tb[g * dh + c] /= s[g] + SLICE_EPS;
      /* softmax attention among the M slice tokens */
      att_gemm(0, 1, M, dh, dh, 1.f, tb, dh, Wq, dh, 0.f, Q, dh);
      att_gemm(0, 1, M, dh, dh, 1.f, tb, dh, Wk, dh, 0.f, K, dh);
      att_gemm(0, 1, M, dh, dh, 1.f, tb, dh, Wv, dh, 0.f, V, dh);
      att_gemm(0, 1, M, M, dh, scale, Q, dh, K, dh, 0.f, ab, M);
      softmax_rows(M, M, ab);
      att_gemm(0, 0, M, dh, M, 1.f, ab, M, V, dh, 0.f, sb, dh);
      /* back to the points */
      att_gemm(0, 0, N, dh, M, 1.f, wb, M, sb, dh, 0.f, y + off, ld);
    }
    free(qkv);
  }
  att_blas_serial_end(nb);
}

void neop_cpu_physics_backward(int B, int H, int N, int dh, int M, const float *x, const float *f, const float *Ws,
                               const float *bs, const float *temp, const float *Wq, const float *Wk, const float *Wv,
                               const float *w, const float *tok, const float *att, const float *st, const float *dy,
                               float *work, float *dx, float *df, float *dWs, float *dbs, float *dtemp, float *dWq,
                               float *dWk, float *dWv)
{
  int     ld = H * dh, nb = att_blas_serial_begin();
  float   scale = 1.f / sqrtf((float)dh);
  int64_t psz   = (int64_t)M * dh + M + 1 + 3 * (int64_t)dh * dh; /* per task: dWs, dbs, dtemp, dWq, dWk, dWv */
  float  *part  = calloc((size_t)B * H * psz, sizeof(float));

#pragma omp parallel
  {
    /* Q, K, V, dst, dQ, dK, dV, dtok (M, dh); datt (M, M); colsum (M) */
    float *buf = malloc(sizeof(float) * (8 * (size_t)M * dh + (size_t)M * M + M));
    float *Q = buf, *K = Q + M * dh, *V = K + M * dh, *dS = V + M * dh, *dQ = dS + M * dh, *dK = dQ + M * dh;
    float *dV = dK + M * dh, *dT = dV + M * dh, *dA = dT + M * dh, *s = dA + M * M;
#pragma omp for schedule(dynamic)
    for (int bh = 0; bh < B * H; bh++) {
      int          b = bh / H, h = bh % H;
      int64_t      off = (int64_t)b * N * ld + h * dh;
      const float *wb = w + (int64_t)bh * N * M, *tb = tok + (int64_t)bh * M * dh;
      const float *ab = att + (int64_t)bh * M * M, *sb = st + (int64_t)bh * M * dh;
      float       *dW = work + (int64_t)bh * N * M; /* (N, M) gradient of w, then of the logits */
      float       *p = part + bh * psz, *pWs = p, *pbs = pWs + M * dh, *ptemp = pbs + M, *pWq = ptemp + 1;
      float       *pWk = pWq + dh * dh, *pWv = pWk + dh * dh;
      float        tau = clampf(temp[h], TEMP_MIN, TEMP_MAX);
      /* y = w st */
      att_gemm(0, 1, N, M, dh, 1.f, dy + off, ld, sb, dh, 0.f, dW, M);
      att_gemm(1, 0, M, dh, N, 1.f, wb, M, dy + off, ld, 0.f, dS, dh);
      /* st = att V, att = softmax(scale Q K^T) */
      att_gemm(0, 1, M, dh, dh, 1.f, tb, dh, Wq, dh, 0.f, Q, dh);
      att_gemm(0, 1, M, dh, dh, 1.f, tb, dh, Wk, dh, 0.f, K, dh);
      att_gemm(0, 1, M, dh, dh, 1.f, tb, dh, Wv, dh, 0.f, V, dh);
      att_gemm(0, 1, M, M, dh, 1.f, dS, dh, V, dh, 0.f, dA, M);
      att_gemm(1, 0, M, dh, M, 1.f, ab, M, dS, dh, 0.f, dV, dh);
      for (int r = 0; r < M; r++) {
        float dot = 0;
        for (int c = 0; c < M; c++) dot += dA[r * M + c] * ab[r * M + c];
        for (int c = 0; c < M; c++) dA[r * M + c] = scale * ab[r * M + c] * (dA[r * M + c] - dot);
      }
      att_gemm(0, 0, M, dh, M, 1.f, dA, M, K, dh, 0.f, dQ, dh);
      att_gemm(1, 0, M, dh, M, 1.f, dA, M, Q, dh, 0.f, dK, dh);
      /* Q = tok Wq^T, ... */
      att_gemm(1, 0, dh, dh, M, 1.f, dQ, dh, tb, dh, 0.f, pWq, dh);
      att_gemm(1, 0, dh, dh, M, 1.f, dK, dh, tb, dh, 0.f, pWk, dh);
      att_gemm(1, 0, dh, dh, M, 1.f, dV, dh, tb, dh, 0.f, pWv, dh);
      att_gemm(0, 0, M, dh, dh, 1.f, dQ, dh, Wq, dh, 0.f, dT, dh);
      att_gemm(0, 0, M, dh, dh, 1.f, dK, dh, Wk, dh, 1.f, dT, dh);
      att_gemm(0, 0, M, dh, dh, 1.f, dV, dh, Wv, dh, 1.f, dT, dh);
      /* tok = (w^T f) / (s + eps), s = colsum(w): dT becomes d(w^T f), dS holds ds */
      for (int g = 0; g < M; g++) s[g] = 0;
      for (int64_t n = 0; n < N; n++)
        for (int g = 0; g < M; g++) s[g] += wb[n * M + g];
      for (int g = 0; g < M; g++) {
        float inv = 1.f / (s[g] + SLICE_EPS), ds = 0;
        for (int c = 0; c < dh; c++) {
          ds -= dT[g * dh + c] * tb[g * dh + c] * inv;
          dT[g * dh + c] *= inv;
        }
        s[g] = ds;
      }
      att_gemm(0, 1, N, M, dh, 1.f, f + off, ld, dT, dh, 1.f, dW, M);
      if (df) att_gemm(0, 0, N, dh, M, 1.f, wb, M, dT, dh, 1.f, df + off, ld);
      /* w = softmax(z), z = (x Ws^T + bs) / tau: dW becomes dz, then dlogits = dz / tau */
      double dtau = 0;
      for (int64_t n = 0; n < N; n++) {
        float       *d = dW + n * M;
        const float *wr = wb + n * M;
        float        dot = 0;
        for (int g = 0; g < M; g++) dot += (d[g] + s[g]) * wr[g];
        for (int g = 0; g < M; g++) {
          float dz = wr[g] * (d[g] + s[g] - dot);
          /* z = log w + const per row, and sum_g dz = 0, so sum dz z = sum dz log w */
          if (wr[g] > 0) dtau -= (double)dz * logf(wr[g]);
          d[g] = dz / tau;
        }
      }
      *ptemp = temp[h] >= TEMP_MIN && temp[h] <= TEMP_MAX ? (float)(dtau / tau) : 0.f;
      for (int64_t n = 0; n < N; n++)
        for (int g = 0; g < M; g++) pbs[g] += dW[n * M + g];
      att_gemm(1, 0, M, dh, N, 1.f, dW, M, x + off, ld, 0.f, pWs, dh);
      if (dx) att_gemm(0, 0, N, dh, M, 1.f, dW, M, Ws, dh, 1.f, dx + off, ld);
    }
    free(buf);
  }
  for (int bh = 0; bh < B * H; bh++) {
    const float *p = part + bh * psz, *pWs = p, *pbs = pWs + M * dh, *ptemp = pbs + M, *pWq = ptemp + 1;
    const float *pWk = pWq + dh * dh, *pWv = pWk + dh * dh;
    if (dWs)
      for (int i = 0; i < M * dh; i++) dWs[i] += pWs[i];
    if (dbs)
      for (int i = 0; i < M; i++) dbs[i] += pbs[i];
    if (dtemp) dtemp[bh % H] += *ptemp;
    if (dWq)
      for (int i = 0; i < dh * dh; i++) dWq[i] += pWq[i];
    if (dWk)
      for (int i = 0; i < dh * dh; i++) dWk[i] += pWk[i];
    if (dWv)
      for (int i = 0; i < dh * dh; i++) dWv[i] += pWv[i];
  }
  free(part);
  att_blas_serial_end(nb);
}
