/* The convolution kernels of an MgNO V-cycle, one at a time, straight on the
   CPU backend's table (NeopConvKernelsCPU): the 3x3 stride-1 smoothing conv,
   the 3x3 stride-2 restriction and the 4x4 stride-2 prolongation (a
   transposed conv: its forward is the table's conv_adjoint, its input
   gradient the table's conv), batch 8, 24 channels, zero padding. For each:
   conv, conv_adjoint and conv_weight_grad, best of -reps, in ms and GFLOP/s
   (2 n cy cx kh kw ho wo per call). With one thread the clock is the
   process's CPU time, so that other jobs preempting it on a shared machine
   do not count; with more, wall time.
   Usage: bench_mgno_convs [-grid 128] [-reps 10] [-batch 8] [-channels 24] [-threads T] */
#include "core/runtime.h"
#include <neop/nn/conv.h>
#include <time.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(NeopRuntimeThreads() == 1 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static PetscErrorCode bench(const char *name, NeopConvGeom g, int reps)
{
  const NeopConvKernels *k = &NeopConvKernelsCPU;
  size_t                 nx = (size_t)g.n * g.cx * g.h * g.w, ny = (size_t)g.n * g.cy * g.ho * g.wo, nw = (size_t)g.cy * g.cx * g.kh * g.kw;
  float                 *x, *y, *w, *work;
  double                 best[3] = {1e30, 1e30, 1e30}, flop = 2.0 * g.n * g.cy * g.cx * g.kh * g.kw * g.ho * g.wo;

  PetscFunctionBegin;
  PetscCall(PetscMalloc4(nx, &x, ny, &y, nw, &w, k->workspace(&g), &work));
  for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
  for (size_t i = 0; i < ny; i++) y[i] = (float)((i * 6007) % 1000) * 1e-3f - 0.5f;
  for (size_t i = 0; i < nw; i++) w[i] = (float)((i * 104729) % 1000) * 1e-4f - 0.05f;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    k->conv(&g, 1.f, x, w, y, y, work);
    best[0] = PetscMin(best[0], now() - t0);
    t0      = now();
    k->conv_adjoint(&g, 1.f, y, w, x, x, work);
    best[1] = PetscMin(best[1], now() - t0);
    t0      = now();
    k->conv_weight_grad(&g, 1e-6f, x, y, w, work);
    best[2] = PetscMin(best[2], now() - t0);
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-22s %4dx%-4d -> %4dx%-4d  conv %7.2f ms %6.1f GF/s | adjoint %7.2f ms %6.1f GF/s | weight grad %7.2f ms %6.1f GF/s\n",
                        name, g.h, g.w, g.ho, g.wo, 1e3 * best[0], flop / best[0] * 1e-9, 1e3 * best[1], flop / best[1] * 1e-9,
                        1e3 * best[2], flop / best[2] * 1e-9));
  PetscCall(PetscFree4(x, y, w, work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscInt grid = 128, reps = 10, n = 8, c = 24;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-grid", &grid, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &n, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-channels", &c, NULL));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "threads %d (%s time), batch %d, %d channels\n", NeopRuntimeThreads(), NeopRuntimeThreads() == 1 ? "CPU" : "wall", (int)n, (int)c));
  for (int S = (int)grid; S >= 32; S /= 2) {
    int H = (S + 1) / 2;
    PetscCall(bench("smooth 3x3 s1", (NeopConvGeom){(int)n, (int)c, (int)c, S, S, S, S, 3, 3, 1, 1, 1, 1, NEOP_PAD_ZERO}, (int)reps));
    PetscCall(bench("restrict 3x3 s2", (NeopConvGeom){(int)n, (int)c, (int)c, S, S, H, H, 3, 3, 2, 2, 1, 1, NEOP_PAD_ZERO}, (int)reps));
    PetscCall(bench("prolong 4x4 s2 (T)", (NeopConvGeom){(int)n, (int)c, (int)c, S, S, H, H, 4, 4, 2, 2, 1, 1, NEOP_PAD_ZERO}, (int)reps));
  }
  NeopRuntimeTearDown();
  PetscCall(PetscFinalize());
  return 0;
}
