/* Gated linear units: y = act(a) * b with h = [a, b] along the last dim. */
#include "backend/cpu/attention.h"
#include "backend/cpu/cpu.h"
#include <stdlib.h>

void neop_cpu_glu_forward(NeopUnaryKind act, int64_t rows, int F, const float *h, float *y)
{
#pragma omp parallel if (rows * F > 65536)
  {
    float *fa = malloc(sizeof(float) * (size_t)F); /* act(a) of one row */
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float *a = h + r * 2 * F, *b = a + F;
      neop_cpu_unary_forward(act, F, a, fa);
      for (int i = 0; i < F; i++) y[r * F + i] = fa[i] * b[i];
    }
    free(fa);
  }
}

void neop_cpu_glu_backward(NeopUnaryKind act, int64_t rows, int F, const float *h, const float *dy, float *dh)
{
#pragma omp parallel if (rows * F > 65536)
  {
    float *fa = malloc(sizeof(float) * 2 * (size_t)F), *g = fa + F; /* act(a), dy * b of one row */
#pragma omp for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float *a = h + r * 2 * F, *b = a + F, *d = dy + r * F;
      float       *da = dh + r * 2 * F, *db = da + F;
      neop_cpu_unary_forward(act, F, a, fa);
      for (int i = 0; i < F; i++) {
        g[i] = d[i] * b[i];
        db[i] += d[i] * fa[i];
      }
      neop_cpu_unary_backward(act, F, a, fa, g, da);
    }
    free(fa);
  }
}
