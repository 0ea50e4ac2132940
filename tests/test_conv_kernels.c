/* The CPU conv kernels (NeopConvKernelsCPU: conv, conv_adjoint,
   conv_weight_grad) against a direct loop in double precision, on
   geometries that the op tests (tiny, few channels) do not reach: MgNO's 24
   channels (the AVX-512 register blocks and their remainders), more than 32
   output channels (the weight gradient's sgemm path), several tiles and
   several samples per tile, strides 1, 2, 3 and mixed (phase planes, planes
   without taps), every padding mode, 1-D; each at 1 and 2 threads (2 threads
   take whole tiles), and with z (Y = z + alpha W * X) the output itself, NULL
   and another array. */
#include "testing.h"
#include "conv_reference.h"
#include <math.h>
#include <omp.h>

static void fill(unsigned seed, size_t n, float *v)
{
  NeopTestRandom(seed, (int64_t)n, -1, 1, v);
}

static PetscErrorCode run(NeopConvGeom g)
{
  const NeopConvKernels *k  = &NeopConvKernelsCPU;
  const size_t           nx = (size_t)g.n * g.cx * g.h * g.w, ny = (size_t)g.n * g.cy * g.ho * g.wo, nw = (size_t)g.cy * g.cx * g.kh * g.kw;
  const float            alpha = 0.7f;
  float                 *x, *w, *dy, *y, *dx, *dw, *zy, *zx, *work;
  double                *ry, *rdx, *rdw;
  char                   name[200];

  PetscFunctionBegin;
  PetscCall(PetscMalloc6(nx, &x, nw, &w, ny, &dy, ny, &y, nx, &dx, nw, &dw));
  PetscCall(PetscMalloc5(ny, &ry, nx, &rdx, nw, &rdw, ny, &zy, nx, &zx));
  fill(1, nx, x), fill(2, nw, w), fill(3, ny, dy);
  for (int threads = 1; threads <= 2; threads++)
    for (int zk = Z_OUTPUT; zk <= Z_OTHER; zk++) {
      const float *zyp = zk == Z_OUTPUT ? y : zk == Z_NULL ? NULL : zy, *zxp = zk == Z_OUTPUT ? dx : zk == Z_NULL ? NULL : zx;
      omp_set_num_threads(threads);
      PetscCall(PetscSNPrintf(name, sizeof(name), "n%d cx%d cy%d %dx%d -> %dx%d k%dx%d s%dx%d p%dx%d %s, %d thread%s, %s", g.n, g.cx,
                              g.cy, g.h, g.w, g.ho, g.wo, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, NeopPadModeName(g.mode), threads,
                              threads > 1 ? "s" : "", znames[zk]));
      /* the outputs start as z (Z_OUTPUT) or as values that must be overwritten */
      fill(4, ny, y), fill(5, nx, dx), fill(6, nw, dw), fill(7, ny, zy), fill(8, nx, zx);
      for (size_t i = 0; i < ny; i++) ry[i] = zyp ? zyp[i] : 0;
      for (size_t i = 0; i < nx; i++) rdx[i] = zxp ? zxp[i] : 0;
      for (size_t i = 0; i < nw; i++) rdw[i] = dw[i];
      neop_test_conv_reference(&g, alpha, x, w, dy, ry, rdx, rdw);
      PetscCall(PetscMalloc1(k->workspace(&g), &work));
      k->conv(&g, alpha, x, w, zyp, y, work);
      k->conv_adjoint(&g, alpha, dy, w, zxp, dx, work);
      k->conv_weight_grad(&g, alpha, x, dy, dw, work);
      PetscCall(PetscFree(work));
      neop_test_conv_check(name, "conv", ny, y, ry);
      neop_test_conv_check(name, "adjoint", nx, dx, rdx);
      neop_test_conv_check(name, "weight grad", nw, dw, rdw);
    }
  omp_set_num_threads(1);
  PetscCall(PetscFree6(x, w, dy, y, dx, dw));
  PetscCall(PetscFree5(ry, rdx, rdw, zy, zx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* conv-direction geometry with the output extents of a conv */
static NeopConvGeom geom(int n, int cx, int cy, int h, int w, int kh, int kw, int sh, int sw, int ph, int pw, NeopPadMode mode)
{
  NeopConvGeom g = {n, cx, cy, h, w, (h + 2 * ph - kh) / sh + 1, (w + 2 * pw - kw) / sw + 1, kh, kw, sh, sw, ph, pw, mode};
  return g;
}

/* The runtime's -flush_denormals (on by default): a product below the smallest normal float and a
   subnormal operand give zero in every OpenMP thread, also in threads started after the set-up. */
static void check_flush(void)
{
  int threads = 0, flushed = 0;

  omp_set_num_threads(2);
#pragma omp parallel reduction(+ : threads, flushed)
  {
    volatile float a = 1e-20f, b = 1e-25f, sub = 1e-39f; /* a b = 1e-45 and sub are subnormal without flushing */
    threads++;
    flushed += a * b == 0.f;
    flushed += sub * 1.f == 0.f;
  }
  omp_set_num_threads(1);
  NeopTestCheck(flushed == 2 * threads, "subnormals flushed in %d of %d checks over %d threads", flushed, 2 * threads, threads);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  check_flush();
  for (int m = 0; m < NEOP_PAD_COUNT; m++) {
    NeopPadMode mode = (NeopPadMode)m;
    /* MgNO's smoothing conv and restriction, 24 channels, two tiles, three samples */
    PetscCall(run(geom(3, 24, 24, 40, 45, 3, 3, 1, 1, 1, 1, mode)));
    PetscCall(run(geom(3, 24, 24, 40, 45, 3, 3, 2, 2, 1, 1, mode)));
    /* mixed strides and kernel, 1-D */
    PetscCall(run(geom(2, 5, 13, 11, 14, 3, 5, 2, 1, 1, 2, mode)));
    PetscCall(run(geom(2, 13, 5, 1, 50, 1, 3, 1, 2, 0, 1, mode)));
    /* column stride 2 with even padding and an odd width (the stride-2 window's phase split) */
    PetscCall(run(geom(2, 5, 6, 13, 17, 5, 5, 2, 2, 2, 2, mode)));
    PetscCall(run(geom(2, 4, 3, 1, 23, 1, 7, 1, 2, 0, 3, mode)));
  }
  /* the prolongations (transposed convs: conv direction from the fine grid), kernel 4 and 3 */
  PetscCall(run(geom(3, 24, 24, 40, 46, 4, 4, 2, 2, 1, 1, NEOP_PAD_ZERO)));
  PetscCall(run(geom(3, 24, 24, 39, 45, 3, 3, 2, 2, 1, 1, NEOP_PAD_ZERO)));
  /* MgNO's first layer: 1 -> 24 and 24 -> 1 channels */
  PetscCall(run(geom(4, 1, 24, 33, 30, 3, 3, 1, 1, 1, 1, NEOP_PAD_REFLECT)));
  PetscCall(run(geom(4, 24, 1, 33, 30, 3, 3, 1, 1, 1, 1, NEOP_PAD_CIRCULAR)));
  /* more than 32 output channels (weight gradient through sgemm); stride 3 (9 planes); a 1x1 stride-2 kernel
     (planes without taps) */
  PetscCall(run(geom(2, 13, 40, 20, 21, 3, 3, 1, 1, 1, 1, NEOP_PAD_ZERO)));
  PetscCall(run(geom(2, 7, 9, 19, 20, 3, 3, 3, 3, 0, 1, NEOP_PAD_CIRCULAR)));
  PetscCall(run(geom(2, 6, 7, 9, 10, 1, 1, 2, 2, 0, 0, NEOP_PAD_ZERO)));
  return NeopTestFinalize();
}
