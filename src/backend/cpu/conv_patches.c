/* Convolutions with small output grids (the CNN encoders of MultiONet and
   DGNO: 5x5 or 3x3 kernels, stride 2, no padding, 29 -> 13 -> 5 -> 1) as one
   sgemm over a chunk of samples:

     Pm (n ho wo, cx kh kw)  the patches, one row per output position
     Yc (cy, n ho wo)        = alpha W Pm^T,  W (cy, cx kh kw)

   then Yc's runs of ho wo values are copied into Y (n, cy, ho, wo). The implicit GEMM of
   conv_implicit.c computes these convs over whole phase planes, Hq Wq
   positions per sample for ho wo valid ones (3 x 3 for the 1 x 1 output of
   the last encoder conv), and with cx = 1 its tap kernel runs a reduction of
   length 1; here every product is one sgemm with M = n ho wo rows. A patch
   row is cx kh runs of kw consecutive input values (the kernel's j is the
   fastest index of both W and the input's rows), so the gather copies short
   runs instead of strided values. A conv whose kernel covers the whole
   unpadded image (1 x 1 output) reads the input itself as Pm.

   Adjoint: dPm = dYc^T W, scattered back (the adjoint of the gather, padding
   included); weight gradient dW += alpha dYc Pm. */
#include "backend/cpu/conv_cpu.h"
#include <string.h>

#define NEOP_PATCH_MAX_KH 32 /* kernel rows */

/* floats of the patch matrix of one chunk of samples (512 KB: it stays in L2 between the gather and
   the sgemm's packing; 2.5% less CPU time of a MultiONet epoch than 4 MB chunks) */
#define PATCH_FLOATS (1 << 17)

/* the output positions of a sample are Pm's rows: the kernel covers the whole unpadded image */
static PetscBool whole_image(const NeopConvGeom *g) { return g->kh == g->h && g->kw == g->w && g->ph == 0 && g->pw == 0; }

static int64_t patch_cols(const NeopConvGeom *g) { return (int64_t)g->cx * g->kh * g->kw; }

/* samples per chunk */
static int chunk(const NeopConvGeom *g)
{
  int64_t per = (int64_t)g->ho * g->wo * patch_cols(g), c = PATCH_FLOATS / per;
  return (int)(c < 1 ? 1 : c > g->n ? g->n : c);
}

PetscBool neop_cpu_conv_patches_fit(const NeopConvGeom *g)
{
  /* positions the implicit GEMM computes per sample: its phase planes of Hq x Wq */
  int64_t Hq = (g->h + 2 * g->ph + g->sh - 1) / g->sh, Wq = (g->w + 2 * g->pw + g->sw - 1) / g->sw;
  /* strided, and the implicit GEMM would compute 1.3 times the positions kept or more
     (bench/bench_encoder_convs.c: MgNO's 24-channel restrictions 16 -> 8, 1.27 times, are faster
     there, 12 -> 6 and 11 -> 6, 1.36 times, about even, 8 -> 4, 1.56 times, faster here; the
     encoders' 29 -> 13 and 14 -> 6, 1.33 and 1.36 times, faster here) */
  return (g->sh > 1 || g->sw > 1) && g->kh <= NEOP_PATCH_MAX_KH && 10 * Hq * Wq >= 13 * (int64_t)g->ho * g->wo;
}

/* floats of the patch matrix pm (chunk P, K) at the start of the workspace; none for a whole-image kernel */
static size_t patch_floats(const NeopConvGeom *g) { return whole_image(g) ? 0 : (size_t)chunk(g) * g->ho * g->wo * (size_t)patch_cols(g); }

/* the workspace: pm, then the channel-major chunk output yc (cy, chunk P) */
size_t neop_cpu_conv_patches_workspace(const NeopConvGeom *g)
{
  return patch_floats(g) + (size_t)chunk(g) * g->ho * g->wo * (size_t)g->cy + 16;
}

/* d[0, n) = s[0, n), and d[0, n) += s[0, n): the encoders' kernel widths as constant sizes (inlined moves) */
static inline void copy_run(int n, const float *s, float *d)
{
  switch (n) {
  case 3: memcpy(d, s, 3 * sizeof(float)); break;
  case 5: memcpy(d, s, 5 * sizeof(float)); break;
  case 7: memcpy(d, s, 7 * sizeof(float)); break;
  default: memcpy(d, s, (size_t)n * sizeof(float)); break;
  }
}

static inline void add_run(int n, const float *s, float *d)
{
#define ADD_RUN(m) \
  for (int j = 0; j < (m); j++) d[j] += s[j]
  switch (n) {
  case 3: ADD_RUN(3); break;
  case 5: ADD_RUN(5); break;
  case 7: ADD_RUN(7); break;
  default: ADD_RUN(n); break;
  }
#undef ADD_RUN
}

/* source rows of output row r, ir[i] for i < kh (-1: a zero of the padding) */
static void source_rows(const NeopConvGeom *g, int r, int *ir)
{
  for (int i = 0; i < g->kh; i++) ir[i] = neop_cpu_pad_source(g->mode, r * g->sh + i - g->ph, g->h);
}

/* Pm rows of samples [s0, s0 + ns) of x (n, cx, h, w), padding of g->mode */
static void gather(const NeopConvGeom *g, const float *x, int s0, int ns, float *pm)
{
  const int64_t K = patch_cols(g), P = (int64_t)g->ho * g->wo;

#pragma omp parallel for collapse(2) if (ns * P * K > 65536)
  for (int s = 0; s < ns; s++)
    for (int r = 0; r < g->ho; r++) {
      const float *xs = x + (int64_t)(s0 + s) * g->cx * g->h * g->w;
      int          ir[NEOP_PATCH_MAX_KH];
      source_rows(g, r, ir);
      for (int q = 0; q < g->wo; q++) {
        float    *row = pm + ((int64_t)s * P + (int64_t)r * g->wo + q) * K;
        const int c0 = q * g->sw - g->pw, inside = c0 >= 0 && c0 + g->kw <= g->w;
        for (int c = 0; c < g->cx; c++)
          for (int i = 0; i < g->kh; i++) {
            float       *d   = row + ((int64_t)c * g->kh + i) * g->kw;
            const float *src = xs + ((int64_t)c * g->h + ir[i]) * g->w;
            if (ir[i] < 0) memset(d, 0, sizeof(float) * (size_t)g->kw);
            else if (inside) copy_run(g->kw, src + c0, d);
            else
              for (int j = 0; j < g->kw; j++) {
                int iq = neop_cpu_pad_source(g->mode, c0 + j, g->w);
                d[j]   = iq < 0 ? 0.f : src[iq];
              }
          }
      }
    }
}

/* x (samples [s0, s0 + ns)) += the adjoint of gather applied to pm */
static void scatter(const NeopConvGeom *g, const float *pm, int s0, int ns, float *x)
{
  const int64_t K = patch_cols(g), P = (int64_t)g->ho * g->wo;

  /* samples write disjoint images */
#pragma omp parallel for if (ns * P * K > 65536)
  for (int s = 0; s < ns; s++)
    for (int r = 0; r < g->ho; r++) {
      float *xs = x + (int64_t)(s0 + s) * g->cx * g->h * g->w;
      int    ir[NEOP_PATCH_MAX_KH];
      source_rows(g, r, ir);
      for (int q = 0; q < g->wo; q++) {
        const float *row = pm + ((int64_t)s * P + (int64_t)r * g->wo + q) * K;
        const int    c0 = q * g->sw - g->pw, inside = c0 >= 0 && c0 + g->kw <= g->w;
        for (int c = 0; c < g->cx; c++)
          for (int i = 0; i < g->kh; i++) {
            const float *d   = row + ((int64_t)c * g->kh + i) * g->kw;
            float       *dst = xs + ((int64_t)c * g->h + ir[i]) * g->w;
            if (ir[i] < 0) continue;
            if (inside) add_run(g->kw, d, dst + c0);
            else
              for (int j = 0; j < g->kw; j++) {
                int iq = neop_cpu_pad_source(g->mode, c0 + j, g->w);
                if (iq >= 0) dst[iq] += d[j];
              }
          }
      }
    }
}

/* y (ns, cy, P) = (z ? z : 0) + yc (cy, ns P) (z may be y): runs of P values */
static void from_channel_major(const NeopConvGeom *g, int ns, const float *z, const float *yc, float *y)
{
  const int64_t P = (int64_t)g->ho * g->wo, cy = g->cy;

#pragma omp parallel for if (ns * P * cy > 65536)
  for (int s = 0; s < ns; s++)
    for (int64_t co = 0; co < cy; co++) {
      float       *ys = y + ((int64_t)s * cy + co) * P;
      const float *zs = z ? z + ((int64_t)s * cy + co) * P : NULL, *cs = yc + (co * ns + s) * P;
      if (zs)
        for (int64_t p = 0; p < P; p++) ys[p] = zs[p] + cs[p];
      else memcpy(ys, cs, sizeof(float) * (size_t)P);
    }
}

/* yc (cy, ns P) = y (ns, cy, P) */
static void to_channel_major(const NeopConvGeom *g, int ns, const float *y, float *yc)
{
  const int64_t P = (int64_t)g->ho * g->wo, cy = g->cy;

#pragma omp parallel for if (ns * P * cy > 65536)
  for (int s = 0; s < ns; s++)
    for (int64_t co = 0; co < cy; co++) memcpy(yc + (co * ns + s) * P, y + ((int64_t)s * cy + co) * P, sizeof(float) * (size_t)P);
}

/* the patch matrix (ns P, K) of samples [s0, s0 + ns): the input itself for a whole-image kernel, else gathered into pm */
static const float *chunk_patches(const NeopConvGeom *g, const float *x, int s0, int ns, float *pm)
{
  if (whole_image(g)) return x + (int64_t)s0 * patch_cols(g);
  gather(g, x, s0, ns, pm);
  return pm;
}

void neop_cpu_conv_patches(const NeopConvGeom *g, float alpha, const float *x, const float *w, const float *z, float *y, float *work)
{
  const int     K = (int)patch_cols(g), P = g->ho * g->wo, cs = chunk(g);
  const int64_t ny = (int64_t)g->cy * P;
  float        *pm = work, *yc = work + patch_floats(g);

  for (int s0 = 0; s0 < g->n; s0 += cs) {
    const int    ns = s0 + cs < g->n ? cs : g->n - s0;
    const float *a  = chunk_patches(g, x, s0, ns, pm);
    const float *zs = z ? z + s0 * ny : NULL;
    float       *ys = y + s0 * ny;
    if (P == 1) { /* Y (ns, cy) = alpha Pm (ns, K) W^T (K, cy) */
      if (zs && zs != ys) memcpy(ys, zs, sizeof(float) * (size_t)(ns * ny));
      neop_cpu_sgemm(PETSC_FALSE, PETSC_TRUE, ns, g->cy, K, alpha, a, K, w, K, zs ? 1.f : 0.f, ys, g->cy);
    } else {
      /* Yc (cy, ns P) = alpha W (cy, K) Pm^T (K, ns P), then runs of P into Y */
      neop_cpu_sgemm(PETSC_FALSE, PETSC_TRUE, g->cy, ns * P, K, alpha, w, K, a, K, 0.f, yc, ns * P);
      from_channel_major(g, ns, zs, yc, ys);
    }
  }
}

void neop_cpu_conv_patches_adjoint(const NeopConvGeom *g, float alpha, const float *y, const float *w, const float *z, float *x,
                                   float *work)
{
  const int     K = (int)patch_cols(g), P = g->ho * g->wo, cs = chunk(g);
  const int64_t ny = (int64_t)g->cy * P, nx = (int64_t)g->cx * g->h * g->w;
  float        *pm = work, *yc = work + patch_floats(g);

  if (z != x) {
    if (z) memcpy(x, z, sizeof(float) * (size_t)(g->n * nx));
    else memset(x, 0, sizeof(float) * (size_t)(g->n * nx));
  }
  for (int s0 = 0; s0 < g->n; s0 += cs) {
    const int ns = s0 + cs < g->n ? cs : g->n - s0;
    if (whole_image(g)) { /* X (ns, K) += alpha dY (ns, cy) W (cy, K) */
      neop_cpu_sgemm(PETSC_FALSE, PETSC_FALSE, ns, K, g->cy, alpha, y + s0 * ny, g->cy, w, K, 1.f, x + s0 * nx, K);
      continue;
    }
    /* dPm (ns P, K) = alpha dYc^T (ns P, cy) W (cy, K), scattered back; P = 1 needs no reordering */
    if (P > 1) to_channel_major(g, ns, y + s0 * ny, yc);
    if (P > 1) neop_cpu_sgemm(PETSC_TRUE, PETSC_FALSE, ns * P, K, g->cy, alpha, yc, ns * P, w, K, 0.f, pm, K);
    else neop_cpu_sgemm(PETSC_FALSE, PETSC_FALSE, ns, K, g->cy, alpha, y + s0 * ny, g->cy, w, K, 0.f, pm, K);
    scatter(g, pm, s0, ns, x);
  }
}

void neop_cpu_conv_patches_weight_grad(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work)
{
  const int     K = (int)patch_cols(g), P = g->ho * g->wo, cs = chunk(g);
  const int64_t ny = (int64_t)g->cy * P;
  float        *pm = work, *yc = work + patch_floats(g);

  for (int s0 = 0; s0 < g->n; s0 += cs) {
    const int    ns = s0 + cs < g->n ? cs : g->n - s0;
    const float *a  = chunk_patches(g, x, s0, ns, pm);
    if (P == 1) /* dW (cy, K) += alpha dY^T (cy, ns) Pm (ns, K) */
      neop_cpu_sgemm(PETSC_TRUE, PETSC_FALSE, g->cy, K, ns, alpha, dy + s0 * ny, g->cy, a, K, 1.f, dw, K);
    else { /* dW (cy, K) += alpha dYc (cy, ns P) Pm (ns P, K) */
      to_channel_major(g, ns, dy + s0 * ny, yc);
      neop_cpu_sgemm(PETSC_FALSE, PETSC_FALSE, g->cy, K, ns * P, alpha, yc, ns * P, a, K, 1.f, dw, K);
    }
  }
}
