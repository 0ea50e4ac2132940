/* The strided convolutions of the MultiONet and DGNO CNN encoders (29 x 29
   input, no padding, batch 50) and MgNO's coarse restrictions (near the
   threshold of conv.c's choice), on both CPU paths that can run them: the
   patch matrix of conv_patches.c (what conv.c picks for them) and the
   implicit GEMM of conv_implicit.c. For each: conv, conv_adjoint and
   conv_weight_grad, best of -reps, in ms and GFLOP/s (2 n cy cx kh kw ho wo
   per call). With one thread the clock is the process's CPU time, so that
   other jobs on a shared machine do not count; with more, wall time.
   Usage: bench_encoder_convs [-reps 20] [-batch 50] [-threads T] */
#include "core/runtime.h"
#include "backend/cpu/conv_cpu.h"
#include <time.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(NeopRuntimeThreads() == 1 ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

typedef struct {
  const char *name;
  size_t (*workspace)(const NeopConvGeom *g);
  void (*conv)(const NeopConvGeom *g, float alpha, const float *x, const float *w, const float *z, float *y, float *work);
  void (*adjoint)(const NeopConvGeom *g, float alpha, const float *y, const float *w, const float *z, float *x, float *work);
  void (*wgrad)(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work);
} Path;

static const Path paths[2] = {
  {"patches", neop_cpu_conv_patches_workspace, neop_cpu_conv_patches, neop_cpu_conv_patches_adjoint, neop_cpu_conv_patches_weight_grad},
  {"implicit", neop_cpu_conv_ig_workspace, neop_cpu_conv_ig, neop_cpu_conv_ig_adjoint, neop_cpu_conv_ig_weight_grad},
};

static PetscErrorCode bench(const char *name, NeopConvGeom g, int reps)
{
  size_t nx = (size_t)g.n * g.cx * g.h * g.w, ny = (size_t)g.n * g.cy * g.ho * g.wo, nw = (size_t)g.cy * g.cx * g.kh * g.kw;
  float *x, *y, *w, *work;
  double flop = 2.0 * g.n * g.cy * g.cx * g.kh * g.kw * g.ho * g.wo;

  PetscFunctionBegin;
  for (int p = 0; p < 2; p++) {
    double best[3] = {1e30, 1e30, 1e30};
    PetscCall(PetscMalloc4(nx, &x, ny, &y, nw, &w, paths[p].workspace(&g), &work));
    for (size_t i = 0; i < nx; i++) x[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    for (size_t i = 0; i < ny; i++) y[i] = (float)((i * 6007) % 1000) * 1e-3f - 0.5f;
    for (size_t i = 0; i < nw; i++) w[i] = (float)((i * 104729) % 1000) * 1e-4f - 0.05f;
    for (int r = 0; r < reps; r++) {
      double t0 = now();
      paths[p].conv(&g, 1.f, x, w, NULL, y, work);
      best[0] = PetscMin(best[0], now() - t0);
      t0      = now();
      paths[p].adjoint(&g, 1.f, y, w, NULL, x, work);
      best[1] = PetscMin(best[1], now() - t0);
      t0      = now();
      paths[p].wgrad(&g, 1e-6f, x, y, w, work);
      best[2] = PetscMin(best[2], now() - t0);
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-18s %-8s %2dx%-2d -> %2dx%-2d  conv %6.3f ms %5.1f GF/s | adjoint %6.3f ms %5.1f GF/s | weight grad %6.3f ms %5.1f GF/s\n",
                          name, paths[p].name, g.h, g.w, g.ho, g.wo, 1e3 * best[0], flop / best[0] * 1e-9, 1e3 * best[1], flop / best[1] * 1e-9,
                          1e3 * best[2], flop / best[2] * 1e-9));
    PetscCall(PetscFree4(x, y, w, work));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a valid (unpadded) conv of kernel k, stride 2 */
static NeopConvGeom enc(int n, int cx, int cy, int S, int k)
{
  int So = (S - k) / 2 + 1;
  return (NeopConvGeom){n, cx, cy, S, S, So, So, k, k, 2, 2, 0, 0, NEOP_PAD_ZERO};
}

int main(int argc, char **argv)
{
  PetscInt reps = 20, n = 50;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &n, NULL));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "threads %d (%s time), batch %d\n", NeopRuntimeThreads(), NeopRuntimeThreads() == 1 ? "CPU" : "wall", (int)n));
  PetscCall(bench("multionet 1-32 k5", enc((int)n, 1, 32, 29, 5), (int)reps));
  PetscCall(bench("multionet 32-64 k5", enc((int)n, 32, 64, 13, 5), (int)reps));
  PetscCall(bench("multionet 64-128 k5", enc((int)n, 64, 128, 5, 5), (int)reps));
  PetscCall(bench("dgno 1-64 k3", enc((int)n, 1, 64, 29, 3), (int)reps));
  PetscCall(bench("dgno 64-64 k3", enc((int)n, 64, 64, 14, 3), (int)reps));
  PetscCall(bench("dgno 64-64 k3", enc((int)n, 64, 64, 6, 3), (int)reps));
  /* near the threshold of conv.c's choice: MgNO's restrictions (24 channels, padding 1, batch 8) on coarse levels */
  for (int k = 0; k < 5; k++) {
    int          S = (int[]){22, 16, 12, 11, 8}[k];
    NeopConvGeom g = {8, 24, 24, S, S, (S - 1) / 2 + 1, (S - 1) / 2 + 1, 3, 3, 2, 2, 1, 1, NEOP_PAD_ZERO};
    PetscCall(bench("mgno restrict 24", g, (int)reps));
  }
  NeopRuntimeTearDown();
  PetscCall(PetscFinalize());
  return 0;
}
