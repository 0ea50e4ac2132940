/* The per-sample products of FNO's fused ops (include/neop/nn/field_kernels.h):
   1x1 convolutions with bias and activation, the channel MLP, and their
   adjoints.

   Threads: the samples are handed out to the threads one at a time (dynamic:
   a thread the machine preempts holds up the others less), each running a
   single-threaded BLAS: one fork per op instead of one per (small) product,
   and a sample stays in its core's cache. With fewer samples than threads the
   products are threaded instead.
   Cache: a sample's points are taken in chunks of about 128 K floats over all
   the rows a chunk touches, so that the product's output is still in cache
   when the activation (or its derivative) reads it.
   Weight gradients are summed per sample, then over the samples in order:
   the same bits for any number of threads. */
#include "backend/cpu/field.h"
#include <cblas.h>
#include <omp.h>
#include <string.h>

#define CHUNK_FLOATS 131072

/* threads for a loop over N samples: all of them, or 1 when there are fewer samples */
static int sample_threads(int N)
{
  int nt = omp_get_max_threads();
  return N >= nt ? nt : 1;
}

/* points per chunk for 'rows' rows of floats in cache; all of P when the
   samples are not split over threads (the activation is then channel-parallel) */
static int64_t chunk_points(int64_t P, int rows, int nt)
{
  int64_t c = (CHUNK_FLOATS / rows) / 64 * 64;
  if (nt == 1 && omp_get_max_threads() > 1) return P;
  c = c < 256 ? 256 : c;
  return c < P ? c : P;
}

static void gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int M, int N, int K, const float *A, int64_t lda, const float *B, int64_t ldb,
                 float beta, float *C, int64_t ldc)
{
  cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, 1.f, A, (int)lda, B, (int)ldb, beta, C, (int)ldc);
}

/* dst (rows, cols) += sum over n of part (n, rows, cols), in order of n */
static void sum_parts(int n, int64_t size, const float *part, float *dst)
{
  for (int s = 0; s < n; s++)
#pragma omp simd
    for (int64_t i = 0; i < size; i++) dst[i] += part[s * size + i];
}

/* z[s] = W x[s] + (z0 ? z0[s] : beta z[s]), then the bias and activation rows, a chunk at a time */
static void linear_act(int N, int cin, int cout, int64_t P, const float *W, const float *x, const float *z0, float beta, const float *b,
                       NeopUnaryKind act, float *z, float *y, float *dact)
{
  int     nt = sample_threads(N), ob = neop_cpu_blas_single(nt);
  int64_t ch = chunk_points(P, cin + 2 * cout + (z0 ? cout : 0), nt);

#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
  for (int s = 0; s < N; s++)
    for (int64_t p0 = 0; p0 < P; p0 += ch) {
      int     m = (int)(P - p0 < ch ? P - p0 : ch);
      int64_t o = (int64_t)s * cout * P + p0;
      if (z0)
        for (int c = 0; c < cout; c++) memcpy(z + o + c * P, z0 + o + c * P, sizeof(float) * (size_t)m);
      gemm(CblasNoTrans, CblasNoTrans, cout, m, cin, W, cin, x + (int64_t)s * cin * P + p0, P, z0 ? 1.f : beta, z + o, P);
      neop_cpu_field_act_rows(cout, m, P, b, act, z + o, y + o, dact ? dact + o : NULL);
    }
  neop_cpu_blas_restore(nt, ob);
}

PetscErrorCode neop_cpu_field_linear_act(int N, int cin, int cout, int64_t P, const float *W, const float *x, float beta, const float *b,
                                   NeopUnaryKind act, float *z, float *y, float *dact)
{
  PetscFunctionBegin;
  linear_act(N, cin, cout, P, W, x, NULL, beta, b, act, z, y, dact);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_cpu_field_add_linear_act(int N, int cin, int cout, int64_t P, const float *W, const float *x, const float *z0,
                                             const float *b, NeopUnaryKind act, float *z, float *y, float *dact)
{
  PetscFunctionBegin;
  linear_act(N, cin, cout, P, W, x, z0, 1.f, b, act, z, y, dact);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* g rows (C, m) at stride ldg *= dact rows at stride ldd (when given); sums[c] += each row's sum (when given) */
static void scale_rows(int C, int m, int64_t ldg, int64_t ldd, const float *dact, float *g, double *sums)
{
  for (int c = 0; c < C; c++) {
    float       *gr = g + c * ldg;
    const float *ar = dact ? dact + c * ldd : NULL;
    double       sum = 0;
    if (ar) {
#pragma omp simd reduction(+ : sum)
      for (int i = 0; i < m; i++) {
        gr[i] *= ar[i];
        sum += gr[i];
      }
    } else if (sums) {
#pragma omp simd reduction(+ : sum)
      for (int i = 0; i < m; i++) sum += gr[i];
    }
    if (sums) sums[c] += sum;
  }
}

/* db[c] += sum over the n samples of part (n, C), in order */
static void sum_bias_parts(int n, int C, const double *part, float *db)
{
  for (int c = 0; c < C; c++) {
    double acc = 0;
    for (int s = 0; s < n; s++) acc += part[(int64_t)s * C + c];
    db[c] += (float)acc;
  }
}

PetscErrorCode neop_cpu_field_linear_backward(int N, int cin, int cout, int64_t P, const float *W, const float *x, const float *dact, float *g,
                                              float beta_dx, float *dx, float *dW, float *db)
{
  int     nt = sample_threads(N), ob;
  int64_t ch = chunk_points(P, 2 * cin + 2 * cout, nt);
  float  *part = NULL; /* (N, cout, cin) per-sample dW */
  double *pb   = NULL; /* (N, cout) per-sample db */

  PetscFunctionBegin;
  if (dW) PetscCall(PetscMalloc1((size_t)N * cout * cin, &part));
  if (db) PetscCall(PetscCalloc1((size_t)N * cout, &pb));
  ob = neop_cpu_blas_single(nt);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
  for (int s = 0; s < N; s++)
    for (int64_t p0 = 0; p0 < P; p0 += ch) {
      int     m  = (int)(P - p0 < ch ? P - p0 : ch);
      int64_t og = (int64_t)s * cout * P + p0, ox = (int64_t)s * cin * P + p0;
      /* dz = dy act'(z) in place, db[s] += row sums; dx[s] (Cin, m) (+)= W^T dz;  dW[s] (Cout, Cin) += dz x[s]^T */
      scale_rows(cout, m, P, P, dact ? dact + og : NULL, g + og, pb ? pb + (int64_t)s * cout : NULL);
      if (dx) gemm(CblasTrans, CblasNoTrans, cin, m, cout, W, cin, g + og, P, beta_dx, dx + ox, P);
      if (dW) gemm(CblasNoTrans, CblasTrans, cout, cin, m, g + og, P, x + ox, P, p0 ? 1.f : 0.f, part + (int64_t)s * cout * cin, cin);
    }
  neop_cpu_blas_restore(nt, ob);
  if (dW) sum_parts(N, (int64_t)cout * cin, part, dW);
  if (db) sum_bias_parts(N, cout, pb, db);
  PetscCall(PetscFree(part));
  PetscCall(PetscFree(pb));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* y rows (cout, m) at stride P = b (or 0) */
static void fill_bias(int cout, int m, int64_t P, const float *b, float *y)
{
  for (int o = 0; o < cout; o++)
    for (int i = 0; i < m; i++) y[o * P + i] = b ? b[o] : 0.f;
}

PetscErrorCode neop_cpu_field_mlp_forward(int N, int cin, int cmid, int cout, int64_t P, const float *W1, const float *b1, NeopUnaryKind act,
                                    const float *W2, const float *b2, const float *x, float *h, float *dact, float *y)
{
  int     nt = sample_threads(N), ob;
  int64_t ch = chunk_points(P, cin + 2 * cmid + cout, nt);
  float  *scratch = NULL; /* without h: (nt, cmid, ch) hidden chunks */

  PetscFunctionBegin;
  if (!h) PetscCall(PetscMalloc1((size_t)nt * cmid * ch, &scratch));
  ob = neop_cpu_blas_single(nt);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
  for (int s = 0; s < N; s++)
    for (int64_t p0 = 0; p0 < P; p0 += ch) {
      int     m  = (int)(P - p0 < ch ? P - p0 : ch);
      int64_t o  = (int64_t)s * cmid * P + p0, ld = h ? P : m;
      float  *hc = h ? h + o : scratch + (int64_t)omp_get_thread_num() * cmid * ch, *zc = h ? dact + o : hc; /* (cmid, m) at stride ld */
      float  *yc = y + (int64_t)s * cout * P + p0;
      /* z = W1 x, h = act(z + b1) (and act' over z), y = W2 h + b2 */
      gemm(CblasNoTrans, CblasNoTrans, cmid, m, cin, W1, cin, x + (int64_t)s * cin * P + p0, P, 0.f, zc, ld);
      neop_cpu_field_act_rows(cmid, m, ld, b1, act, zc, hc, h ? zc : NULL);
      if (b2) fill_bias(cout, m, P, b2, yc);
      gemm(CblasNoTrans, CblasNoTrans, cout, m, cmid, W2, cmid, hc, ld, b2 ? 1.f : 0.f, yc, P);
    }
  neop_cpu_blas_restore(nt, ob);
  PetscCall(PetscFree(scratch));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_cpu_field_mlp_backward(int N, int cin, int cmid, int cout, int64_t P, const float *W1, const float *W2, const float *x,
                                     const float *h, const float *dact, const float *dy, float beta_dx, float *dx, float *dW1, float *db1,
                                           float *dW2)
{
  int     nt = sample_threads(N), ob;
  int64_t ch = chunk_points(P, cin + 3 * cmid + cout, nt);
  float  *dh, *p1 = NULL, *p2 = NULL; /* dh (nt, cmid, ch); per-sample dW1 (N, cmid, cin), dW2 (N, cout, cmid) */
  double *pb = NULL;                  /* per-sample db1 (N, cmid) */

  PetscFunctionBegin;
  PetscCall(PetscMalloc1((size_t)nt * cmid * ch, &dh));
  if (dW1) PetscCall(PetscMalloc1((size_t)N * cmid * cin, &p1));
  if (dW2) PetscCall(PetscMalloc1((size_t)N * cout * cmid, &p2));
  if (db1) PetscCall(PetscCalloc1((size_t)N * cmid, &pb));
  ob = neop_cpu_blas_single(nt);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1)
  for (int s = 0; s < N; s++)
    for (int64_t p0 = 0; p0 < P; p0 += ch) {
      int          m   = (int)(P - p0 < ch ? P - p0 : ch);
      float        acc = p0 ? 1.f : 0.f, *d = dh + (int64_t)omp_get_thread_num() * cmid * ch; /* (cmid, m) */
      int64_t      o   = (int64_t)s * cmid * P + p0;
      const float *dys = dy + (int64_t)s * cout * P + p0, *xs = x + (int64_t)s * cin * P + p0;
      /* dh = W2^T dy; dW2 += dy h^T; dz = dh act'(z), db1 += its row sums; dW1 += dz x^T; dx (+)= W1^T dz */
      gemm(CblasTrans, CblasNoTrans, cmid, m, cout, W2, cmid, dys, P, 0.f, d, m);
      if (dW2) gemm(CblasNoTrans, CblasTrans, cout, cmid, m, dys, P, h + o, P, acc, p2 + (int64_t)s * cout * cmid, cmid);
      scale_rows(cmid, m, m, P, dact + o, d, pb ? pb + (int64_t)s * cmid : NULL);
      if (dW1) gemm(CblasNoTrans, CblasTrans, cmid, cin, m, d, m, xs, P, acc, p1 + (int64_t)s * cmid * cin, cin);
      if (dx) gemm(CblasTrans, CblasNoTrans, cin, m, cmid, W1, cin, d, m, beta_dx, dx + (int64_t)s * cin * P + p0, P);
    }
  neop_cpu_blas_restore(nt, ob);
  if (dW1) sum_parts(N, (int64_t)cmid * cin, p1, dW1);
  if (dW2) sum_parts(N, (int64_t)cout * cmid, p2, dW2);
  if (db1) sum_bias_parts(N, cmid, pb, db1);
  PetscCall(PetscFree(dh));
  PetscCall(PetscFree(p1));
  PetscCall(PetscFree(p2));
  PetscCall(PetscFree(pb));
  PetscFunctionReturn(PETSC_SUCCESS);
}
