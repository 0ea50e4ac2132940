/* Micro-benchmark of the 2-D spectral convolution, forward + backward (input
   and weight gradients), at FNO's Darcy shape: batch 20, width 32, modes 12,
   85 x 85 grid (plus -pad points, 9 in the scripts). Prints the time per
   step, the nominal GFLOP/s and, for scale, the sgemm rate measured in the
   same run.

     bench_spectral [-n 20] [-s 85] [-pad 0] [-width 32] [-modes 12] [-reps 10] [-threads 1]

     -method auto|fft|dft picks the transforms (neop/nn/spectral_conv.h).

   Nominal flops, the same count for both methods (the work of a two-stage
   rfftn that transforms only the kept columns along the leading dim):
     real FFT of length n: 2.5 n log2 n, complex: 5 n log2 n;
     forward: r2c of N cin S0 rows + c2c of N cin m2 columns, 8 N cin cout K
              for the mode mixing, then the same transforms for cout channels;
     backward: the transforms again (dy in, dx out) and two mixings (dW, dx). */
#include <neop/nn/spectral_conv.h>
#include <neop/params.h>
#include "core/runtime.h"
#include <cblas.h>
#include <math.h>

static double nominal_flops(int N, int cin, int cout, int S0, int S1, int m1, int m2)
{
  double K = 2.0 * m1 * m2, r2c = 2.5 * S1 * log2(S1), c2c = 5.0 * S0 * log2(S0);
  double fft_in = (double)N * cin * (S0 * r2c + m2 * c2c), fft_out = (double)N * cout * (S0 * r2c + m2 * c2c);
  double mix = 8.0 * N * cin * cout * K;
  return 2 * (fft_in + fft_out) + 3 * mix;
}

static double sgemm_gflops(void)
{
  int    n = 512, reps = 4;
  float *A, *B, *C;
  double t0, t1;
  PetscMalloc3(n * n, &A, n * n, &B, n * n, &C);
  for (int i = 0; i < n * n; i++) A[i] = B[i] = 1e-3f * (float)(i % 97);
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, A, n, B, n, 0, C, n);
  t0 = MPI_Wtime();
  for (int r = 0; r < reps; r++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, A, n, B, n, 0, C, n);
  t1 = MPI_Wtime();
  PetscFree3(A, B, C);
  return 2.0 * n * n * n * reps / (t1 - t0) * 1e-9;
}

int main(int argc, char **argv)
{
  PetscInt    N = 20, s = 85, pad = 0, width = 32, modes = 12, reps = 10;
  PetscEnum   method = (PetscEnum)NEOP_SPECTRAL_AUTO;
  NeopSpectralShape shp;
  NeopParams *p;
  NeopTensor *w[2];
  double      best = 1e30, total = 0, flops, gemm;
  int         m[2], S;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "spectral convolution benchmark"));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "bench_spectral", NULL);
  PetscCall(PetscOptionsInt("-n", "batch", NULL, N, &N, NULL));
  PetscCall(PetscOptionsInt("-s", "grid points per dim", NULL, s, &s, NULL));
  PetscCall(PetscOptionsInt("-pad", "padding points per dim", NULL, pad, &pad, NULL));
  PetscCall(PetscOptionsInt("-width", "channels in and out", NULL, width, &width, NULL));
  PetscCall(PetscOptionsInt("-modes", "modes per dim", NULL, modes, &modes, NULL));
  PetscCall(PetscOptionsInt("-reps", "timed repetitions", NULL, reps, &reps, NULL));
  PetscCall(PetscOptionsEnum("-method", "transforms: auto, fft, dft", NULL, NeopSpectralMethods, method, &method, NULL));
  PetscOptionsEnd();
  S    = (int)(s + pad);
  m[0] = m[1] = (int)modes;

  PetscCall(NeopParamsCreate(&p));
  PetscCall(NeopSpectralConvAddParams(p, "conv", 2, (int)width, (int)width, m, w));
  PetscCall(NeopParamsFinalize(p, 1));
  for (PetscInt r = -1; r < reps; r++) { /* r = -1: warm-up (plans, scratch, arena) */
    NeopTape   *t;
    NeopTensor *x, *y;
    int         xs[4] = {(int)N, (int)width, S, S};
    double      t0, t1;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, xs, &x));
    for (int64_t i = 0; i < x->size; i++) x->data[i] = (float)sin(0.001 * (double)i);
    x->requires_grad = PETSC_TRUE;
    PetscCall(NeopParamsZeroGrad(p));
    t0 = MPI_Wtime();
    PetscCall(NeopOpSpectralConv(t, (NeopSpectralMethod)method, x, 2, w, &y));
    PetscCall(NeopTapeGrad(t, y, &y->grad));
    for (int64_t i = 0; i < y->size; i++) y->grad[i] = 1e-3f;
    PetscCall(t->nodes[0].backward(t, &t->nodes[0]));
    t1 = MPI_Wtime();
    if (r >= 0) {
      best = fmin(best, t1 - t0);
      total += t1 - t0;
    }
    PetscCall(NeopTapeDestroy(&t));
  }
  PetscCall(PetscMemzero(&shp, sizeof(shp)));
  shp.dim = 2, shp.N = (int)N, shp.cin = shp.cout = (int)width, shp.S[0] = shp.S[1] = S, shp.modes[0] = m[0], shp.modes[1] = m[1];
  if (method == (PetscEnum)NEOP_SPECTRAL_AUTO) method = (PetscEnum)NeopSpectralChooseMethod(&shp);
  flops = nominal_flops((int)N, (int)width, (int)width, S, S, m[0], m[1]);
  gemm  = sgemm_gflops();
  PetscCall(PetscPrintf(PETSC_COMM_WORLD,
                        "spectral conv 2-D fwd+bwd (%s): batch %d, width %d, modes %d, grid %d x %d, %d thread(s)\n"
                        "  best %.2f ms, mean %.2f ms over %d; %.2f GFLOP/s nominal (%.3g GFLOP); sgemm %.2f GFLOP/s (%.0f%%)\n",
                        NeopSpectralMethods[method], (int)N, (int)width, (int)modes, S, S, NeopRuntimeThreads(), 1e3 * best, 1e3 * total / (double)reps, (int)reps,
                        flops / best * 1e-9, flops * 1e-9, gemm, 100.0 * flops / best * 1e-9 / gemm));
  PetscCall(NeopParamsDestroy(&p));
  NeopRuntimeTearDown();
  PetscCall(PetscFinalize());
  return 0;
}
