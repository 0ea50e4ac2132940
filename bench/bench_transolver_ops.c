/* The hot kernels of a Transolver training step at the published Darcy size
   (batch 4, 85 x 85 tokens, width 128, 8 heads of 16, 64 slices), timed by
   CPU time (the development machine is shared; CPU time moves less than wall
   time under load), best of -reps runs:
     - a layer's two 3x3 conv projections (x and fx, 128 -> 2 x 128) in the
       token layout (NeopOpTokenConvPair's kernels: one pass, Winograd),
       forward and backward (dx, dW, db), against the field path it replaced
       (tokens -> field, two NeopOpConv's, fields -> tokens);
     - physics attention forward and backward;
     - sgemm at 1024^3 on the same threads, for the efficiency.
   Usage: bench_transolver_ops [-threads N] [-reps R] [-batch B] [-grid S] [-field false: skip the field path] */
#include "core/runtime.h"
#include <neop/nn/transformer.h>
#include <neop/nn/conv.h>
#include <time.h>

static double cpu_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void fill(int64_t n, float scale, float *v)
{
  for (int64_t i = 0; i < n; i++) v[i] = scale * ((float)((i * 7919) % 1000) * 1e-3f - 0.5f);
}

int main(int argc, char **argv)
{
  const NeopBackend           *be = NeopBackendGet();
  const NeopAttentionKernels  *ak = be->attention;
  PetscInt                     reps = 3, B = 4, S = 85;
  PetscBool                    field = PETSC_TRUE;
  const int                    C = 128, H = 8, dh = 16, M = 64;
  float                       *x, *f, *y, *y2, *dx, *W, *b, *dW, *db, *fld, *fld2, *Ws, *bs, *tmp, *Wqkv, *dWs, *dbs, *dtmp, *dWqkv;
  float                       *sw, *snorm, *stok, *satt, *sst, *A, *Bm, *Cm;
  double                       best[7], flop_conv, flop_phys, rate;
  NeopConvGeom                 g;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &B, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-grid", &S, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-field", &field, NULL));
  {
    int64_t n = B * S * S * (int64_t)C, nw = (int64_t)C * C * 9, nsw = (int64_t)B * H * S * S * M;
    PetscCall(PetscMalloc5(n, &x, 2 * n, &f, 2 * n, &y, n, &y2, n, &dx));
    PetscCall(PetscMalloc5(2 * nw, &W, 2 * C, &b, 2 * nw, &dW, 2 * C, &db, n, &fld));
    PetscCall(PetscMalloc5(n, &fld2, nsw, &sw, (int64_t)B * H * M * dh, &stok, (int64_t)B * H * M * M, &satt, (int64_t)B * H * M * dh, &sst));
    PetscCall(PetscMalloc5(M * dh, &Ws, M, &bs, H, &tmp, 3 * dh * dh, &Wqkv, M * dh, &dWs));
    PetscCall(PetscMalloc4(M, &dbs, H, &dtmp, 3 * dh * dh, &dWqkv, (int64_t)B * H * M, &snorm));
    fill(n, 1.f, x);
    fill(2 * n, 0.7f, f);
    fill(2 * nw, 0.05f, W);
    fill(2 * C, 0.1f, b);
    fill(M * dh, 0.5f, Ws);
    fill(M, 0.1f, bs);
    fill(3 * dh * dh, 0.4f, Wqkv);
    for (int h = 0; h < H; h++) tmp[h] = 0.5f;
  }
  g = (NeopConvGeom){.n = (int)B, .cx = C, .cy = C, .h = (int)S, .w = (int)S, .ho = (int)S, .wo = (int)S, .kh = 3, .kw = 3,
                     .sh = 1, .sw = 1, .ph = 1, .pw = 1, .mode = NEOP_PAD_ZERO};
  PetscCall(PetscMalloc1(be->conv->workspace(&g), &A));
  for (int i = 0; i < 7; i++) best[i] = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = cpu_now();
    ak->token_conv_forward((int)B, (int)S, (int)S, C, 2 * C, 3, x, W, b, y);
    double t1 = cpu_now();
    PetscCall(PetscArrayzero(dx, B * S * S * C));
    PetscCall(PetscArrayzero(dW, 2 * C * C * 9));
    ak->token_conv_backward((int)B, (int)S, (int)S, C, 2 * C, 3, x, W, f, dx, dW, db);
    double t2 = cpu_now();
    /* the field path: tokens -> field, conv, bias, field -> tokens */
    if (field) {
      ak->to_fields((int)B, C, (int)(S * S), C, 0, x, fld);
      for (int i = 0; i < 2; i++) {
        PetscCall(PetscArrayzero(fld2, B * S * S * C));
        be->conv->conv(&g, 1.f, fld, W + i * C * C * 9, fld2, fld2, A);
        be->bias_add(B, C, S * S, b + i * C, 1.f, fld2);
        ak->to_tokens((int)B, C, (int)(S * S), 0, 0, fld2, NULL, y2);
      }
    }
    double t3 = cpu_now();
    if (field) {
      PetscCall(PetscArrayzero(fld, B * S * S * C));
      for (int i = 0; i < 2; i++) {
        ak->to_fields((int)B, C, (int)(S * S), C, 0, f + i * B * S * S * C, fld2);
        be->conv->conv_adjoint(&g, 1.f, fld2, W + i * C * C * 9, fld, fld, A);
        ak->to_fields((int)B, C, (int)(S * S), C, 0, x, y2);
        be->conv->conv_weight_grad(&g, 1.f, y2, fld2, dW + i * C * C * 9, A);
        be->bias_grad(B, C, S * S, fld2, db + i * C);
      }
      ak->to_tokens((int)B, C, (int)(S * S), 0, 1, fld, NULL, dx);
    }
    double t4 = cpu_now();
    ak->physics_forward((int)B, H, (int)(S * S), dh, M, C, x, f, Ws, bs, tmp, Wqkv, Wqkv + dh * dh, Wqkv + 2 * dh * dh, y, sw, snorm,
                        stok, satt, sst);
    double t5 = cpu_now();
    ak->physics_backward((int)B, H, (int)(S * S), dh, M, C, x, f, Ws, bs, tmp, Wqkv, Wqkv + dh * dh, Wqkv + 2 * dh * dh, sw, snorm,
                         stok, satt, sst, y2, dx, fld, dWs, dbs, dtmp, dWqkv, dWqkv + dh * dh, dWqkv + 2 * dh * dh);
    double t6 = cpu_now();
    best[0] = PetscMin(best[0], t1 - t0);
    best[1] = PetscMin(best[1], t2 - t1);
    best[2] = PetscMin(best[2], t3 - t2);
    best[3] = PetscMin(best[3], t4 - t3);
    best[4] = PetscMin(best[4], t5 - t4);
    best[5] = PetscMin(best[5], t6 - t5);
  }
  PetscCall(PetscFree(A));
  PetscCall(PetscMalloc3(1024 * 1024, &A, 1024 * 1024, &Bm, 1024 * 1024, &Cm));
  fill(1024 * 1024, 1.f, A);
  fill(1024 * 1024, 1.f, Bm);
  for (int r = 0; r < 3; r++) {
    double t0 = cpu_now();
    be->sgemm(PETSC_FALSE, PETSC_FALSE, 1024, 1024, 1024, 1.f, A, 1024, Bm, 1024, 0.f, Cm, 1024);
    best[6] = PetscMin(best[6], cpu_now() - t0);
  }
  rate      = 2.0 * 1024 * 1024 * 1024 / best[6] * 1e-9;
  flop_conv = 2.0 * B * S * S * C * 2 * C * 9; /* the direct sum's */
  flop_phys = 2.0 * B * H * (double)S * S * M * dh * 3;
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "batch %d, %d x %d tokens, width %d, %d heads, %d slices; %d threads; CPU seconds, best of %d\n",
                        (int)B, (int)S, (int)S, C, H, M, NeopRuntimeThreads(), (int)reps));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "sgemm 1024^3: %.1f GFLOP/s\n", rate));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "conv pair 3x3 forward   %.3f s  %.1f GFLOP/s (%.2f of sgemm)\n", best[0], flop_conv / best[0] * 1e-9,
                        flop_conv / best[0] * 1e-9 / rate));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "conv pair 3x3 backward  %.3f s  %.1f GFLOP/s (%.2f of sgemm)\n", best[1], 2 * flop_conv / best[1] * 1e-9,
                        2 * flop_conv / best[1] * 1e-9 / rate));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "field convs 3x3 forward   %.3f s (two, with the transposes)\n", best[2]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "field convs 3x3 backward  %.3f s (two, with the transposes)\n", best[3]));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "physics attention forward   %.3f s  %.1f GFLOP/s (the three N x M x dh products)\n", best[4],
                        flop_phys / best[4] * 1e-9));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "physics attention backward  %.3f s\n", best[5]));
  PetscCall(PetscFree3(A, Bm, Cm));
  PetscCall(PetscFree5(x, f, y, y2, dx));
  PetscCall(PetscFree5(W, b, dW, db, fld));
  PetscCall(PetscFree5(fld2, sw, stok, satt, sst));
  PetscCall(PetscFree5(Ws, bs, tmp, Wqkv, dWs));
  PetscCall(PetscFree4(dbs, dtmp, dWqkv, snorm));
  PetscCall(PetscFinalize());
  return 0;
}
