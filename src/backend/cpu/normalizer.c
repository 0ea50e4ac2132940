/* CPU kernels of the normalisers: a per-(channel, point) or per-channel affine map. */
#include "backend/cpu/cpu.h"
#include <neop/data.h>

static void affine_forward(int nsamples, int channels, int64_t points, PetscBool pointwise, const float *scale,
                           const float *shift, const float *x, float *y)
{
  int64_t per = (int64_t)channels * points;
#pragma omp parallel for collapse(2) if (nsamples * per > 65536)
  for (int s = 0; s < nsamples; s++)
    for (int c = 0; c < channels; c++) {
      const float *xs = x + s * per + c * points;
      float       *ys = y + s * per + c * points;
      if (pointwise) {
        const float *a = scale + c * points, *b = shift + c * points;
        for (int64_t p = 0; p < points; p++) ys[p] = xs[p] * a[p] + b[p];
      } else {
        float a = scale[c], b = shift[c];
        for (int64_t p = 0; p < points; p++) ys[p] = xs[p] * a + b;
      }
    }
}

static void affine_backward(int nsamples, int channels, int64_t points, PetscBool pointwise, const float *scale,
                            const float *dy, float *dx)
{
  int64_t per = (int64_t)channels * points;
#pragma omp parallel for collapse(2) if (nsamples * per > 65536)
  for (int s = 0; s < nsamples; s++)
    for (int c = 0; c < channels; c++) {
      const float *g = dy + s * per + c * points;
      float       *d = dx + s * per + c * points;
      if (pointwise) {
        const float *a = scale + c * points;
        for (int64_t p = 0; p < points; p++) d[p] += g[p] * a[p];
      } else {
        float a = scale[c];
        for (int64_t p = 0; p < points; p++) d[p] += g[p] * a;
      }
    }
}

const NeopNormalizerKernels neop_cpu_normalizer = {affine_forward, affine_backward};
