/* Transolver's physics attention, per (batch, head) task; see the kernel
   table in neop/nn/transformer.h for the forward formulas. Cost O(N M dh +
   M^2 dh); the only O(N) array is the slice weights w, saved by the forward.
   Both passes walk the tokens in chunks, so each block of w is produced (or
   its gradient formed) and consumed while it is in cache. Parameter
   gradients are summed per task, then over the tasks in order: the result
   does not depend on the thread count. */
#include "backend/cpu/attention.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_EPS 1e-5f
#define TEMP_MIN  0.1f
#define TEMP_MAX  5.f
#define CHUNK     256 /* tokens per chunk: a (256, M) block of slice weights stays in L2 */

static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }
static inline int   imin(int a, int b) { return a < b ? a : b; }

/* w (n, M) holds x Ws^T / tau: add bias (M) (= bs / tau), softmax each row in
   place, colsum (M) += the rows */
NEOP_ATT_CLONES static void slice_softmax(int n, int M, const float *bias, float *w, float *colsum)
{
  for (int r = 0; r < n; r++) {
    float *z = w + (int64_t)r * M, mx = -INFINITY, s = 0;
#pragma omp simd reduction(max : mx)
    for (int g = 0; g < M; g++) {
      z[g] += bias[g];
      mx = z[g] > mx ? z[g] : mx;
    }
#pragma omp simd reduction(+ : s)
    for (int g = 0; g < M; g++) {
      z[g] = att_exp(z[g] - mx);
      s += z[g];
    }
    float inv = 1.f / s;
#pragma omp simd
    for (int g = 0; g < M; g++) {
      z[g] *= inv;
      colsum[g] += z[g];
    }
  }
}

/* softmax backward of the slice weights w (n, M): d (n, M) holds dL/dw minus
   the per-slice term ds (M); d becomes dL/dlogits = w (d + ds - <d + ds, w>) / tau,
   dbs (M) += its rows */
NEOP_ATT_CLONES static void slice_softmax_backward(int n, int M, const float *w, const float *ds, float inv_tau, float *d,
                                                   float *dbs)
{
  for (int r = 0; r < n; r++) {
    float       *dr = d + (int64_t)r * M, dot = 0;
    const float *wr = w + (int64_t)r * M;
#pragma omp simd reduction(+ : dot)
    for (int g = 0; g < M; g++) {
      dr[g] += ds[g];
      dot += dr[g] * wr[g];
    }
#pragma omp simd
    for (int g = 0; g < M; g++) {
      dr[g] = wr[g] * (dr[g] - dot) * inv_tau;
      dbs[g] += dr[g];
    }
  }
}

/* row-wise softmax of a (rows, n) array in place */
static void softmax_rows(int rows, int n, float *a)
{
  for (int r = 0; r < rows; r++) {
    float *x = a + (int64_t)r * n, mx = -INFINITY, s = 0;
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

void neop_cpu_physics_forward(int B, int H, int N, int dh, int M, int ldx, const float *x, const float *f, const float *Ws,
                              const float *bs, const float *temp, const float *Wq, const float *Wk, const float *Wv,
                              float *y, float *w, float *norm, float *tok, float *att, float *st)
{
  int   ld = H * dh, nb = att_blas_serial_begin();
  float scale = 1.f / sqrtf((float)dh);

#pragma omp parallel
  {
    float *buf = malloc(sizeof(float) * (3 * (size_t)M * dh + M)); /* Q, K, V (M, dh); bs / tau (M) */
    float *Q = buf, *K = Q + M * dh, *V = K + M * dh, *bt = V + M * dh;
#pragma omp for schedule(dynamic)
    for (int bh = 0; bh < B * H; bh++) {
      int          b = bh / H, h = bh % H;
      int64_t      off = (int64_t)b * N * ldx + h * dh, offy = (int64_t)b * N * ld + h * dh;
      float       *wb = w + (int64_t)bh * N * M, *tb = tok + (int64_t)bh * M * dh, *s = norm + (int64_t)bh * M;
      float       *ab = att + (int64_t)bh * M * M, *sb = st + (int64_t)bh * M * dh;
      float        inv_tau = 1.f / clampf(temp[h], TEMP_MIN, TEMP_MAX);
      for (int g = 0; g < M; g++) bt[g] = bs[g] * inv_tau, s[g] = 0;
      /* per chunk of tokens: slice weights w = softmax((x Ws^T + bs) / tau), and
         the slice tokens' sums w^T f while the chunk of w is in cache */
      for (int n0 = 0; n0 < N; n0 += CHUNK) {
        int    nc = imin(CHUNK, N - n0);
        float *wc = wb + (int64_t)n0 * M;
        att_gemm(0, 1, nc, M, dh, inv_tau, x + off + (int64_t)n0 * ldx, ldx, Ws, dh, 0.f, wc, M);
        slice_softmax(nc, M, bt, wc, s);
        att_gemm(1, 0, M, dh, nc, 1.f, wc, M, f + off + (int64_t)n0 * ldx, ldx, n0 ? 1.f : 0.f, tb, dh);
      }
      /* slice tokens: weighted averages of f */
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
      att_gemm(0, 0, N, dh, M, 1.f, wb, M, sb, dh, 0.f, y + offy, ld);
    }
    free(buf);
  }
  att_blas_serial_end(nb);
}

void neop_cpu_physics_backward(int B, int H, int N, int dh, int M, int ldx, const float *x, const float *f, const float *Ws,
                               const float *bs, const float *temp, const float *Wq, const float *Wk, const float *Wv,
                               const float *w, const float *norm, const float *tok, const float *att, const float *st,
                               const float *dy, float *dx, float *df, float *dWs, float *dbs, float *dtemp, float *dWq,
                               float *dWk, float *dWv)
{
  int     ld = H * dh, nb = att_blas_serial_begin();
  float   scale = 1.f / sqrtf((float)dh);
  int64_t psz   = (int64_t)M * dh + M + 1 + 3 * (int64_t)dh * dh; /* per task: dWs, dbs, dtemp, dWq, dWk, dWv */
  float  *part  = calloc((size_t)B * H * psz, sizeof(float));

#pragma omp parallel
  {
    /* Q, K, V, dst, dQ, dK, dV, dtok (M, dh); datt (M, M); ds (M); a chunk's gradient of w (CHUNK, M) */
    float *buf = malloc(sizeof(float) * (8 * (size_t)M * dh + (size_t)M * M + M + (size_t)CHUNK * M));
    float *Q = buf, *K = Q + M * dh, *V = K + M * dh, *dS = V + M * dh, *dQ = dS + M * dh, *dK = dQ + M * dh;
    float *dV = dK + M * dh, *dT = dV + M * dh, *dA = dT + M * dh, *ds = dA + M * M, *dW = ds + M;
#pragma omp for schedule(dynamic)
    for (int bh = 0; bh < B * H; bh++) {
      int          b = bh / H, h = bh % H;
      int64_t      off = (int64_t)b * N * ldx + h * dh, offy = (int64_t)b * N * ld + h * dh;
      const float *wb = w + (int64_t)bh * N * M, *tb = tok + (int64_t)bh * M * dh, *s = norm + (int64_t)bh * M;
      const float *ab = att + (int64_t)bh * M * M, *sb = st + (int64_t)bh * M * dh;
      float       *p = part + bh * psz, *pWs = p, *pbs = pWs + M * dh, *ptemp = pbs + M, *pWq = ptemp + 1;
      float       *pWk = pWq + dh * dh, *pWv = pWk + dh * dh;
      float        tau = clampf(temp[h], TEMP_MIN, TEMP_MAX);
      /* y = w st */
      att_gemm(1, 0, M, dh, N, 1.f, wb, M, dy + offy, ld, 0.f, dS, dh);
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
      /* tok = (w^T f) / (s + eps), s = colsum(w): dT becomes d(w^T f), ds the gradient of s */
      for (int g = 0; g < M; g++) {
        float inv = 1.f / (s[g] + SLICE_EPS), d = 0;
        for (int c = 0; c < dh; c++) {
          d -= dT[g * dh + c] * tb[g * dh + c] * inv;
          dT[g * dh + c] *= inv;
        }
        ds[g] = d;
      }
      /* per chunk of tokens: the gradient of w from y = w st and from w^T f, through
         the softmax to the logits (x Ws^T + bs) / tau, then to Ws, bs, x */
      for (int n0 = 0; n0 < N; n0 += CHUNK) {
        int          nc = imin(CHUNK, N - n0);
        const float *wc = wb + (int64_t)n0 * M;
        int64_t      o = off + (int64_t)n0 * ldx, oy = offy + (int64_t)n0 * ld;
        att_gemm(0, 1, nc, M, dh, 1.f, dy + oy, ld, sb, dh, 0.f, dW, M);
        att_gemm(0, 1, nc, M, dh, 1.f, f + o, ldx, dT, dh, 1.f, dW, M);
        if (df) att_gemm(0, 0, nc, dh, M, 1.f, wc, M, dT, dh, 1.f, df + o, ldx);
        slice_softmax_backward(nc, M, wc, ds, 1.f / tau, dW, pbs);
        att_gemm(1, 0, M, dh, nc, 1.f, dW, M, x + o, ldx, 1.f, pWs, dh);
        if (dx) att_gemm(0, 0, nc, dh, M, 1.f, dW, M, Ws, dh, 1.f, dx + o, ldx);
      }
      /* the logits are l = x Ws^T + bs, z = l / tau: dL/dtau = -sum(dL/dl * l) / tau,
         and sum(dL/dl * l) = <Ws, dWs> + <bs, dbs> of this task */
      double dl = 0;
      for (int i = 0; i < M * dh; i++) dl += (double)Ws[i] * pWs[i];
      for (int g = 0; g < M; g++) dl += (double)bs[g] * pbs[g];
      *ptemp = temp[h] >= TEMP_MIN && temp[h] <= TEMP_MAX ? (float)(-dl / tau) : 0.f;
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
