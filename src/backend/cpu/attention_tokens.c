/* Fields (N, C, P) <-> tokens (N, P, [Cp +] C): a transpose per sample. */
#include "backend/cpu/attention.h"

void neop_cpu_to_tokens(int N, int C, int P, int Cp, int add, const float *x, const float *pos, float *y)
{
  int W = C + Cp;
#pragma omp parallel for collapse(2) schedule(static) if ((int64_t)N * P * W > 65536)
  for (int n = 0; n < N; n++)
    for (int p = 0; p < P; p++) {
      float *yr = y + ((int64_t)n * P + p) * W;
      if (add) {
        for (int c = 0; c < C; c++) yr[Cp + c] += x[((int64_t)n * C + c) * P + p];
      } else {
        for (int c = 0; c < Cp; c++) yr[c] = pos[(int64_t)p * Cp + c];
        for (int c = 0; c < C; c++) yr[Cp + c] = x[((int64_t)n * C + c) * P + p];
      }
    }
}

void neop_cpu_to_fields(int N, int C, int P, int ldy, int add, const float *y, float *x)
{
#pragma omp parallel for collapse(2) schedule(static) if ((int64_t)N * P * C > 65536)
  for (int n = 0; n < N; n++)
    for (int c = 0; c < C; c++) {
      float       *xr = x + ((int64_t)n * C + c) * P;
      const float *yr = y + (int64_t)n * P * ldy + c;
      if (add)
        for (int p = 0; p < P; p++) xr[p] += yr[(int64_t)p * ldy];
      else
        for (int p = 0; p < P; p++) xr[p] = yr[(int64_t)p * ldy];
    }
}
