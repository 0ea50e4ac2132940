/* Padding of planes (torch's F.pad modes) and its adjoint. */
#include "backend/cpu/conv_cpu.h"
#include <string.h>

void neop_cpu_pad(NeopPadMode mode, int nc, int h, int w, int ph, int pw, const float *x, float *xp)
{
  const int hp = h + 2 * ph, wp = w + 2 * pw;

#pragma omp parallel for if ((int64_t)nc * hp * wp > 262144)
  for (int p = 0; p < nc; p++)
    for (int r = 0; r < hp; r++) {
      float *d  = xp + ((int64_t)p * hp + r) * wp;
      int    si = neop_cpu_pad_source(mode, r - ph, h);
      if (si < 0) {
        memset(d, 0, sizeof(float) * (size_t)wp);
        continue;
      }
      const float *s = x + ((int64_t)p * h + si) * w;
      for (int q = 0; q < pw; q++) {
        int sq = neop_cpu_pad_source(mode, q - pw, w);
        d[q]   = sq < 0 ? 0.f : s[sq];
      }
      memcpy(d + pw, s, sizeof(float) * (size_t)w);
      for (int q = pw + w; q < wp; q++) {
        int sq = neop_cpu_pad_source(mode, q - pw, w);
        d[q]   = sq < 0 ? 0.f : s[sq];
      }
    }
}

void neop_cpu_pad_adjoint(NeopPadMode mode, int nc, int h, int w, int ph, int pw, const float *dxp, float *dx)
{
  const int hp = h + 2 * ph, wp = w + 2 * pw;

#pragma omp parallel for if ((int64_t)nc * hp * wp > 262144)
  for (int p = 0; p < nc; p++)
    for (int r = 0; r < hp; r++) {
      int si = neop_cpu_pad_source(mode, r - ph, h);
      if (si < 0) continue;
      const float *s = dxp + ((int64_t)p * hp + r) * wp;
      float       *d = dx + ((int64_t)p * h + si) * w;
      for (int q = 0; q < pw; q++) {
        int sq = neop_cpu_pad_source(mode, q - pw, w);
        if (sq >= 0) d[sq] += s[q];
      }
#pragma omp simd
      for (int q = 0; q < w; q++) d[q] += s[q + pw];
      for (int q = pw + w; q < wp; q++) {
        int sq = neop_cpu_pad_source(mode, q - pw, w);
        if (sq >= 0) d[sq] += s[q];
      }
    }
}
