/* The patch-matrix convolutions (src/backend/cpu/conv_patches.c): conv,
   conv_adjoint and conv_weight_grad against a direct loop in double
   precision and against the implicit GEMM (conv_implicit.c) on the same
   inputs, on the CNN encoders' geometries (MultiONet 29 -> 13 -> 5 -> 1 with
   5x5 kernels, the last a kernel over the whole image; DGNO 3x3), several
   chunks of samples, every padding mode with mixed strides, at 1 and 2
   threads and with z the output, NULL or another array; which geometries
   conv.c gives to this path; finite-difference gradients through NeopOpConv
   (which picks this path) for the encoders' convs. */
#include "testing.h"
#include "conv_reference.h"
#include <neop/nn/conv.h>
#include <math.h>
#include <omp.h>

/* y, dx, dw of one path; the outputs start as z (Z_OUTPUT) or as values that must be overwritten */
static PetscErrorCode run_path(const NeopConvGeom *g, PetscBool patches, ZKind zk, const float *x, const float *w, const float *dy, const float *zy,
                               const float *zx, float *y, float *dx, float *dw)
{
  const size_t nx = (size_t)g->n * g->cx * g->h * g->w, ny = (size_t)g->n * g->cy * g->ho * g->wo, nw = (size_t)g->cy * g->cx * g->kh * g->kw;
  float       *work;

  PetscFunctionBegin;
  if (zk == Z_OUTPUT) {
    PetscCall(PetscArraycpy(y, zy, ny));
    PetscCall(PetscArraycpy(dx, zx, nx));
  } else {
    NeopTestRandom(4, (int64_t)ny, -1, 1, y);
    NeopTestRandom(5, (int64_t)nx, -1, 1, dx);
  }
  NeopTestRandom(6, (int64_t)nw, -1, 1, dw);
  const float *zyp = zk == Z_OUTPUT ? y : zk == Z_NULL ? NULL : zy, *zxp = zk == Z_OUTPUT ? dx : zk == Z_NULL ? NULL : zx;
  if (patches) {
    PetscCall(PetscMalloc1(neop_cpu_conv_patches_workspace(g), &work));
    neop_cpu_conv_patches(g, 0.7f, x, w, zyp, y, work);
    neop_cpu_conv_patches_adjoint(g, 0.7f, dy, w, zxp, dx, work);
    neop_cpu_conv_patches_weight_grad(g, 0.7f, x, dy, dw, work);
  } else {
    PetscCall(PetscMalloc1(neop_cpu_conv_ig_workspace(g), &work));
    neop_cpu_conv_ig(g, 0.7f, x, w, zyp, y, work);
    neop_cpu_conv_ig_adjoint(g, 0.7f, dy, w, zxp, dx, work);
    neop_cpu_conv_ig_weight_grad(g, 0.7f, x, dy, dw, work);
  }
  PetscCall(PetscFree(work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode run(NeopConvGeom g, PetscBool fit)
{
  const size_t nx = (size_t)g.n * g.cx * g.h * g.w, ny = (size_t)g.n * g.cy * g.ho * g.wo, nw = (size_t)g.cy * g.cx * g.kh * g.kw;
  float       *x, *w, *dy, *zy, *zx, *y[2], *dx[2], *dw[2];
  double      *ry, *rdx, *rdw;
  char         name[200];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(name, sizeof(name), "n%d cx%d cy%d %dx%d -> %dx%d k%dx%d s%dx%d p%dx%d %s", g.n, g.cx, g.cy, g.h, g.w, g.ho, g.wo, g.kh, g.kw,
                          g.sh, g.sw, g.ph, g.pw, NeopPadModeName(g.mode)));
  NeopTestCheck(neop_cpu_conv_patches_fit(&g) == fit, "%s: conv.c %s the patch path", name, fit ? "picks" : "does not pick");
  PetscCall(PetscMalloc5(nx, &x, nw, &w, ny, &dy, ny, &zy, nx, &zx));
  PetscCall(PetscMalloc6(ny, &y[0], ny, &y[1], nx, &dx[0], nx, &dx[1], nw, &dw[0], nw, &dw[1]));
  PetscCall(PetscMalloc3(ny, &ry, nx, &rdx, nw, &rdw));
  NeopTestRandom(1, (int64_t)nx, -1, 1, x), NeopTestRandom(2, (int64_t)nw, -1, 1, w), NeopTestRandom(3, (int64_t)ny, -1, 1, dy);
  NeopTestRandom(7, (int64_t)ny, -1, 1, zy), NeopTestRandom(8, (int64_t)nx, -1, 1, zx);
  for (int threads = 1; threads <= 2; threads++)
    for (int zk = Z_OUTPUT; zk <= Z_OTHER; zk++) {
      char full[260];
      omp_set_num_threads(threads);
      PetscCall(PetscSNPrintf(full, sizeof(full), "%s, %d thread%s, %s", name, threads, threads > 1 ? "s" : "", znames[zk]));
      for (size_t i = 0; i < ny; i++) ry[i] = zk == Z_NULL ? 0 : zy[i];
      for (size_t i = 0; i < nx; i++) rdx[i] = zk == Z_NULL ? 0 : zx[i];
      NeopTestRandom(6, (int64_t)nw, -1, 1, dw[0]);
      for (size_t i = 0; i < nw; i++) rdw[i] = dw[0][i];
      neop_test_conv_reference(&g, 0.7, x, w, dy, ry, rdx, rdw);
      for (int p = 0; p < 2; p++) PetscCall(run_path(&g, p == 0, (ZKind)zk, x, w, dy, zy, zx, y[p], dx[p], dw[p]));
      neop_test_conv_check(full, "patches conv vs direct", ny, y[0], ry);
      neop_test_conv_check(full, "patches adjoint vs direct", nx, dx[0], rdx);
      neop_test_conv_check(full, "patches weight grad vs direct", nw, dw[0], rdw);
      /* the implicit GEMM on the same inputs: both paths give the conv to float rounding */
      PetscCall(PetscSNPrintf(full + strlen(full), sizeof(full) - strlen(full), ", patches vs implicit GEMM"));
      NeopTestClose(full, (int64_t)ny, y[0], y[1], 1e-5, 1e-5);
      NeopTestClose(full, (int64_t)nx, dx[0], dx[1], 1e-5, 1e-5);
      NeopTestClose(full, (int64_t)nw, dw[0], dw[1], 1e-5, 1e-4);
    }
  omp_set_num_threads(1);
  PetscCall(PetscFree5(x, w, dy, zy, zx));
  PetscCall(PetscFree6(y[0], y[1], dx[0], dx[1], dw[0], dw[1]));
  PetscCall(PetscFree3(ry, rdx, rdw));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static NeopConvGeom geom(int n, int cx, int cy, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, NeopPadMode mode)
{
  NeopConvGeom g = {n, cx, cy, h, w, (h + 2 * ph - kh) / sh + 1, (w + 2 * pw - kw) / sw + 1, kh, kw, sh, sw, ph, pw, mode};
  return g;
}

static PetscErrorCode conv_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpConv(t, in[0], in[1], in[2], (const NeopConvSpec *)ctx, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* finite differences through NeopOpConv: x (2, cin, S, S), W (cout, cin, k, k), b (cout), stride 2, no padding */
static PetscErrorCode gradcheck(int S, int k, int cin, int cout)
{
  NeopConvSpec spec = {.stride = {2, 2}, .mode = NEOP_PAD_ZERO};
  int          ndim[3] = {4, 4, 1}, shape[3][NEOP_MAX_DIMS] = {{2, cin, S, S}, {cout, cin, k, k}, {cout}};
  float       *data[3];
  char         name[96];

  PetscFunctionBegin;
  for (int i = 0; i < 3; i++) {
    int64_t n = 1;
    for (int d = 0; d < ndim[i]; d++) n *= shape[i][d];
    PetscCall(PetscMalloc1(n, &data[i]));
    NeopTestRandom(100 + i, n, -1, 1, data[i]);
  }
  PetscCall(PetscSNPrintf(name, sizeof(name), "conv2d %d -> %d channels, %dx%d -> %dx%d, k%d s2 (patch path)", cin, cout, S, S, (S - k) / 2 + 1,
                          (S - k) / 2 + 1, k));
  PetscCall(NeopTestGradCheck(name, conv_fn, &spec, 3, ndim, (const int(*)[NEOP_MAX_DIMS])shape, data, 1e-2, 1e-2, 1e-3));
  for (int i = 0; i < 3; i++) PetscCall(PetscFree(data[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  /* the MultiONet encoder's last two convs (the last: the kernel covers the image), batch 3 */
  PetscCall(run(geom(3, 32, 64, 13, 13, 5, 5, 2, 2, 0, 0, NEOP_PAD_ZERO), PETSC_TRUE));
  PetscCall(run(geom(3, 64, 128, 5, 5, 5, 5, 2, 2, 0, 0, NEOP_PAD_ZERO), PETSC_TRUE));
  /* one output position from a kernel smaller than the image (patches gathered, no reordering) */
  PetscCall(run(geom(3, 3, 4, 6, 7, 5, 5, 2, 2, 0, 0, NEOP_PAD_ZERO), PETSC_TRUE));
  /* DGNO's 3x3 convs 14 -> 6 and 6 -> 2 */
  PetscCall(run(geom(3, 64, 64, 14, 14, 3, 3, 2, 2, 0, 0, NEOP_PAD_ZERO), PETSC_TRUE));
  PetscCall(run(geom(3, 64, 64, 6, 6, 3, 3, 2, 2, 0, 0, NEOP_PAD_ZERO), PETSC_TRUE));
  /* the MultiONet encoder's first conv (one input channel, 29 -> 13: 225 positions computed for 169) */
  PetscCall(run(geom(2, 1, 32, 29, 29, 5, 5, 2, 2, 0, 0, NEOP_PAD_ZERO), PETSC_TRUE));
  /* three chunks of samples (patches of 25 x 800 floats per sample: 6 samples per chunk) */
  PetscCall(run(geom(14, 32, 4, 13, 13, 5, 5, 2, 2, 0, 0, NEOP_PAD_ZERO), PETSC_TRUE));
  /* padding of every mode, mixed strides and kernel sizes (rows and columns clipped or wrapped); stride 3 */
  for (int m = 0; m < NEOP_PAD_COUNT; m++) {
    PetscCall(run(geom(2, 5, 13, 11, 14, 3, 5, 2, 1, 1, 2, (NeopPadMode)m), PETSC_TRUE));
    PetscCall(run(geom(2, 5, 13, 9, 10, 3, 5, 2, 3, 1, 2, (NeopPadMode)m), PETSC_TRUE));
    PetscCall(run(geom(2, 7, 9, 19, 20, 3, 3, 3, 3, 0, 1, (NeopPadMode)m), PETSC_TRUE));
  }
  /* left to the implicit GEMM: DGNO's first conv (29 -> 14: 225 for 196) and MgNO's restrictions (3x3,
     stride 2, padding 1) down to 16 -> 8 (81 for 64) */
  PetscCall(run(geom(2, 1, 64, 29, 29, 3, 3, 2, 2, 0, 0, NEOP_PAD_ZERO), PETSC_FALSE));
  PetscCall(run(geom(2, 24, 24, 22, 22, 3, 3, 2, 2, 1, 1, NEOP_PAD_ZERO), PETSC_FALSE));
  PetscCall(run(geom(2, 24, 24, 16, 16, 3, 3, 2, 2, 1, 1, NEOP_PAD_ZERO), PETSC_FALSE));
  PetscCall(run(geom(2, 24, 24, 12, 12, 3, 3, 2, 2, 1, 1, NEOP_PAD_ZERO), PETSC_TRUE));
  /* gradients through the op */
  PetscCall(gradcheck(13, 5, 3, 4));
  PetscCall(gradcheck(5, 5, 4, 6));
  PetscCall(gradcheck(6, 3, 3, 5));
  return NeopTestFinalize();
}
