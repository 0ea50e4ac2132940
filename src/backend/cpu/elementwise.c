/* Contiguous element-wise kernels: scaled sums and per-channel bias. */
#include "backend/cpu/cpu.h"

/* loops below this many elements stay on one thread: forking costs more */
#define PAR_MIN 65536

void neop_cpu_axpby(int64_t n, float alpha, const float *x, float beta, float *y)
{
  if (beta == 0.f) {
#pragma omp parallel for simd if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = alpha * x[i];
  } else {
#pragma omp parallel for simd if (n > PAR_MIN)
    for (int64_t i = 0; i < n; i++) y[i] = alpha * x[i] + beta * y[i];
  }
}

void neop_cpu_bias_add(int64_t outer, int C, int64_t inner, const float *b, float beta, float *y)
{
  int64_t rows = outer * C; /* one row (inner) per (sample, channel) */
  if (inner == 1) {
    /* (outer, C), a Linear layer's output: no index division per element */
#pragma omp parallel for if (rows > PAR_MIN)
    for (int64_t o = 0; o < outer; o++) {
      float *yr = y + o * C; /* (C) */
      if (beta == 0.f)
        for (int c = 0; c < C; c++) yr[c] = b[c];
      else
        for (int c = 0; c < C; c++) yr[c] = b[c] + beta * yr[c];
    }
    return;
  }
#pragma omp parallel for if (rows * inner > PAR_MIN)
  for (int64_t r = 0; r < rows; r++) {
    float  v  = b[r % C];
    float *yr = y + r * inner; /* (inner) */
    if (beta == 0.f) {
#pragma omp simd
      for (int64_t i = 0; i < inner; i++) yr[i] = v;
    } else {
#pragma omp simd
      for (int64_t i = 0; i < inner; i++) yr[i] = v + beta * yr[i];
    }
  }
}

void neop_cpu_bias_grad(int64_t outer, int C, int64_t inner, const float *dy, float *db)
{
  if (inner == 1) {
    /* (rows, C) column sums: rows outer so that the inner loop runs along memory */
#pragma omp parallel if (outer * C > PAR_MIN)
    {
#pragma omp for
      for (int c0 = 0; c0 < C; c0 += 64) {
        int   c1 = c0 + 64 < C ? c0 + 64 : C;
        float acc[64] = {0};
        for (int64_t r = 0; r < outer; r++) {
          const float *row = dy + r * C; /* (C) */
#pragma omp simd
          for (int c = c0; c < c1; c++) acc[c - c0] += row[c];
        }
        for (int c = c0; c < c1; c++) db[c] += acc[c - c0];
      }
    }
    return;
  }
#pragma omp parallel for if (outer * C * inner > PAR_MIN)
  for (int c = 0; c < C; c++) {
    double acc = 0;
    for (int64_t o = 0; o < outer; o++) {
      const float *row = dy + (o * C + c) * inner; /* (inner) */
      double       s   = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t i = 0; i < inner; i++) s += row[i];
      acc += s;
    }
    db[c] += (float)acc;
  }
}
