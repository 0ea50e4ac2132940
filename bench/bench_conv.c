/* Convolution benchmark: a 3x3 conv with 24 -> 24 channels, zero padding,
   batch 8 (MgNO's smoothing step), at 128^2 and 256^2:
     - forward and forward + backward (input and weight gradients) through the
       ops and the tape, best of -reps runs, with GFLOP/s;
     - the same forward as a direct loop (no im2col), to justify the choice;
     - the machine: sgemm at the shape the conv hands to OpenBLAS and at
       1024^3, measured in the same run (efficiency = conv rate / sgemm rate).
   Usage: bench_conv [-threads N] [-reps R] [-batch B] [-channels C] */
#include "core/runtime.h"
#include <neop/nn/conv.h>
#include <time.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* y (n, c, h, w) = 3x3 conv of x with zero padding 1: rows of w at a time */
static void direct_conv3x3(int n, int c, int h, int w, const float *x, const float *wt, float *y)
{
  for (int s = 0; s < n; s++)
    for (int o = 0; o < c; o++) {
      float *yo = y + ((size_t)s * c + o) * h * w;
      for (int64_t i = 0; i < (int64_t)h * w; i++) yo[i] = 0;
      for (int ci = 0; ci < c; ci++) {
        const float *xi = x + ((size_t)s * c + ci) * h * w;
        for (int di = 0; di < 3; di++)
          for (int dj = 0; dj < 3; dj++) {
            float a  = wt[((o * c + ci) * 3 + di) * 3 + dj];
            int   q0 = dj == 0 ? 1 : 0, q1 = dj == 2 ? w - 1 : w;
            for (int r = 0; r < h; r++) {
              int ir = r + di - 1;
              if (ir < 0 || ir >= h) continue;
              const float *src = xi + (size_t)ir * w + dj - 1;
              float       *dst = yo + (size_t)r * w;
#pragma omp simd
              for (int q = q0; q < q1; q++) dst[q] += a * src[q];
            }
          }
      }
    }
}

static PetscErrorCode sgemm_rate(int M, int N, int K, double *gflops)
{
  float *A, *B, *C;
  double best = 1e30;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3((size_t)M * K, &A, (size_t)K * N, &B, (size_t)M * N, &C));
  for (size_t i = 0; i < (size_t)M * K; i++) A[i] = 1e-3f * (float)(i % 7);
  for (size_t i = 0; i < (size_t)K * N; i++) B[i] = 1e-3f * (float)(i % 5);
  for (int r = 0; r < 4; r++) {
    double t0 = now();
    NeopBackendGet()->sgemm(PETSC_FALSE, PETSC_FALSE, M, N, K, 1.f, A, K, B, N, 0.f, C, N);
    best = PetscMin(best, now() - t0);
  }
  *gflops = 2.0 * M * N * K / best * 1e-9;
  PetscCall(PetscFree3(A, B, C));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode bench(int n, int c, int S, int reps, double sgemm_peak)
{
  NeopTape    *t;
  NeopTensor  *x, *W, *y;
  NeopConvSpec spec = {{1, 1}, {1, 1}, {0, 0}, NEOP_PAD_ZERO};
  double       tf = 1e30, tfb = 1e30, td = 1e30, flop = 2.0 * n * c * c * 9 * (double)S * S, shape_rate;
  float       *yd;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  for (int r = 0; r < reps; r++) {
    double t0, t1, t2;
    PetscCall(NeopTapeReset(t));
    PetscCall(NeopTapeTensor(t, 4, (int[]){n, c, S, S}, &x));
    PetscCall(NeopTapeTensor(t, 4, (int[]){c, c, 3, 3}, &W));
    for (int64_t i = 0; i < x->size; i++) x->data[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    for (int64_t i = 0; i < W->size; i++) W->data[i] = (float)((i * 104729) % 1000) * 1e-4f - 0.05f;
    x->requires_grad = W->requires_grad = PETSC_TRUE;
    t0 = now();
    PetscCall(NeopOpConv(t, x, W, NULL, &spec, &y));
    t1 = now();
    PetscCall(NeopTapeGrad(t, y, &y->grad));
    for (int64_t i = 0; i < y->size; i++) y->grad[i] = 1e-3f;
    PetscCall(t->nodes[t->nnodes - 1].backward(t, &t->nodes[t->nnodes - 1]));
    t2 = now();
    tf  = PetscMin(tf, t1 - t0);
    tfb = PetscMin(tfb, t2 - t0);
  }
  PetscCall(PetscMalloc1(y->size, &yd));
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    direct_conv3x3(n, c, S, S, x->data, W->data, yd);
    td = PetscMin(td, now() - t0);
  }
  {
    double err = 0, ref = 0;
    for (int64_t i = 0; i < y->size; i++) err = PetscMax(err, PetscAbsReal(yd[i] - y->data[i])), ref = PetscMax(ref, PetscAbsReal(yd[i]));
    PetscCheck(err <= 1e-4 * ref, PETSC_COMM_SELF, PETSC_ERR_PLIB, "direct and im2col convs differ by %g (max %g)", err, ref);
  }
  PetscCall(sgemm_rate(c, (int)PetscMin(S * S, 4096), c * 9, &shape_rate));
  PetscCall(PetscPrintf(PETSC_COMM_SELF,
                        "%4d^2 batch %d, %d ch: forward %8.2f ms %6.1f GFLOP/s | fwd+bwd %8.2f ms %6.1f GFLOP/s "
                        "(%.0f%% of sgemm 1024^3, %.0f%% of sgemm %dx%dx%d) | direct loop forward %8.2f ms %6.1f GFLOP/s "
                        "(im2col+sgemm %.2fx faster)\n",
                        S, n, c, 1e3 * tf, flop / tf * 1e-9, 1e3 * tfb, 3 * flop / tfb * 1e-9,
                        100 * 3 * flop / tfb * 1e-9 / sgemm_peak, 100 * 3 * flop / tfb * 1e-9 / shape_rate, c,
                        (int)PetscMin(S * S, 4096), 9 * c, 1e3 * td, flop / td * 1e-9, td / tf));
  PetscCall(PetscFree(yd));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscInt reps = 3, batch = 8, channels = 24;
  double   peak;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &batch, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-channels", &channels, NULL));
  PetscCall(sgemm_rate(1024, 1024, 1024, &peak));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "threads %d, sgemm 1024^3: %.1f GFLOP/s\n", NeopRuntimeThreads(), peak));
  PetscCall(bench((int)batch, (int)channels, 128, (int)reps, peak));
  PetscCall(bench((int)batch, (int)channels, 256, (int)reps, peak));
  NeopRuntimeTearDown();
  PetscCall(PetscFinalize());
  return 0;
}
