/* What the CPU conv kernel tests (test_conv_kernels.c, test_conv_patches.c)
   share: the direct convolution loop in double precision they compare
   against, the comparison, and the kinds of z (Y = z + alpha W * X). */
#pragma once
#include "testing.h"
#include "backend/cpu/conv_cpu.h"
#include <math.h>

/* z of the kernels: the output itself (accumulate), NULL (zeros) or another array */
typedef enum { Z_OUTPUT, Z_NULL, Z_OTHER } ZKind;
static const char *const znames[] = {"z = output", "z = NULL", "z separate"};

/* a (n) against the double reference, relative to its largest entry */
static inline void neop_test_conv_check(const char *name, const char *what, size_t n, const float *a, const double *ref)
{
  float *r;
  double m = 0;
  char   msg[200];

  PetscCallVoid(PetscMalloc1(n, &r));
  for (size_t i = 0; i < n; i++) r[i] = (float)ref[i], m = PetscMax(m, fabs(ref[i]));
  PetscCallVoid(PetscSNPrintf(msg, sizeof(msg), "%s: %s", name, what));
  NeopTestClose(msg, (int64_t)n, a, r, 1e-5, 1e-5 * m);
  PetscCallVoid(PetscFree(r));
}

/* y (n, cy, ho, wo) += alpha conv(x); dx (n, cx, h, w) += alpha adjoint(dy); dw (cy, cx, kh, kw) += alpha weight grad */
static inline void neop_test_conv_reference(const NeopConvGeom *g, double alpha, const float *x, const float *w, const float *dy, double *y,
                                            double *dx, double *dw)
{
  for (int s = 0; s < g->n; s++)
    for (int co = 0; co < g->cy; co++)
      for (int r = 0; r < g->ho; r++)
        for (int q = 0; q < g->wo; q++) {
          size_t iy  = (((size_t)s * g->cy + co) * g->ho + r) * g->wo + q;
          double acc = 0;
          for (int ci = 0; ci < g->cx; ci++)
            for (int i = 0; i < g->kh; i++) {
              int si = neop_cpu_pad_source(g->mode, r * g->sh + i - g->ph, g->h);
              if (si < 0) continue;
              for (int j = 0; j < g->kw; j++) {
                int sj = neop_cpu_pad_source(g->mode, q * g->sw + j - g->pw, g->w);
                if (sj < 0) continue;
                size_t ix = (((size_t)s * g->cx + ci) * g->h + si) * g->w + sj, iw = (((size_t)co * g->cx + ci) * g->kh + i) * g->kw + j;
                acc += (double)w[iw] * x[ix];
                dx[ix] += alpha * w[iw] * dy[iy];
                dw[iw] += alpha * (double)dy[iy] * x[ix];
              }
            }
          y[iy] += alpha * acc;
        }
}
