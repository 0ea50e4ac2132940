/* Forward + backward time and peak memory of softmax attention (tiled) and
   Transolver's physics attention at several token counts, with the sgemm
   rate of this machine measured in the same run for scale.

     bench_attention [-tokens 1024,4096,16384] [-heads 4] [-dh 16] [-slices 64] [-reps 1] [-threads 1]

   Peak memory: the step arena's peak (every activation, saved tensor and
   workspace of the op) and the process's maximum resident set. */
#include <neop/nn/transformer.h>
#include <neop/rng.h>
#include "core/runtime.h"
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void fill(NeopTensor *t, uint64_t seed, float a)
{
  NeopRng r;
  NeopRngInit(&r, seed, NEOP_RNG_NOISE, 0);
  for (int64_t i = 0; i < t->size; i++) t->data[i] = (float)(a * (2 * NeopRngUniform(&r) - 1));
}

/* one forward + backward of attention kind 'phys' (0 softmax, 1 physics); times in seconds */
static PetscErrorCode step(int phys, int n, int H, int dh, int M, double *tf, double *tb, size_t *peak)
{
  NeopTape   *t;
  NeopTensor *x, *k, *v, *Ws, *bs, *temp, *W, *y;
  int         s3[3] = {1, n, H * dh}, sw[2] = {M, dh}, s1 = M, sh = H, sq[3] = {3, dh, dh};
  float      *g;
  double      t0;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, 3, s3, &x));
  PetscCall(NeopTapeTensor(t, 3, s3, &k));
  PetscCall(NeopTapeTensor(t, 3, s3, &v));
  fill(x, 1, 1), fill(k, 2, 1), fill(v, 3, 1);
  x->requires_grad = k->requires_grad = v->requires_grad = PETSC_TRUE;
  if (phys) {
    PetscCall(NeopTapeTensor(t, 2, sw, &Ws));
    PetscCall(NeopTapeTensor(t, 1, &s1, &bs));
    PetscCall(NeopTapeTensor(t, 1, &sh, &temp));
    PetscCall(NeopTapeTensor(t, 3, sq, &W));
    fill(Ws, 4, 0.5f), fill(bs, 5, 0.1f), fill(W, 6, 0.5f);
    for (int h = 0; h < H; h++) temp->data[h] = 0.5f;
    Ws->requires_grad = bs->requires_grad = temp->requires_grad = W->requires_grad = PETSC_TRUE;
  }
  t0 = now();
  if (phys) PetscCall(NeopOpPhysicsAttention(t, x, k, Ws, bs, temp, W, H, &y));
  else PetscCall(NeopOpAttention(t, x, k, v, H, &y));
  *tf = now() - t0;
  PetscCall(NeopTapeGrad(t, y, &g));
  for (int64_t i = 0; i < y->size; i++) g[i] = 1e-3f;
  t0 = now();
  PetscCall(t->nodes[0].backward(t, &t->nodes[0]));
  *tb   = now() - t0;
  *peak = t->arena->peak;
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscInt tokens[8] = {1024, 4096, 16384}, nt = 8, H = 4, dh = 16, M = 64, reps = 1;
  double   gflops_sgemm;
  PetscBool set;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscOptionsBegin(PETSC_COMM_WORLD, NULL, "Attention benchmark", NULL);
  PetscCall(PetscOptionsIntArray("-tokens", "token counts", NULL, tokens, &nt, &set));
  PetscCall(PetscOptionsInt("-heads", "heads", NULL, H, &H, NULL));
  PetscCall(PetscOptionsInt("-dh", "features per head", NULL, dh, &dh, NULL));
  PetscCall(PetscOptionsInt("-slices", "physics attention slices", NULL, M, &M, NULL));
  PetscCall(PetscOptionsInt("-reps", "repetitions (the best is reported)", NULL, reps, &reps, NULL));
  PetscOptionsEnd();
  if (!set) nt = 3;
  {
    /* the machine's sgemm rate, 512^3, same thread count */
    int    s = 512;
    float *a, *b, *c;
    double best = 1e30;
    PetscCall(PetscMalloc3(s * s, &a, s * s, &b, s * s, &c));
    for (int i = 0; i < s * s; i++) a[i] = b[i] = 1e-3f * (i % 97);
    for (int r = 0; r < 3; r++) {
      double t0 = now();
      NeopBackendGet()->sgemm(PETSC_FALSE, PETSC_FALSE, s, s, s, 1.f, a, s, b, s, 0.f, c, s);
      best = PetscMin(best, now() - t0);
    }
    gflops_sgemm = 2.0 * s * s * s / best * 1e-9;
    PetscCall(PetscFree3(a, b, c));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "threads %d, heads %d, dh %d, slices %d; sgemm 512^3: %.1f GFLOP/s\n", NeopRuntimeThreads(),
                        (int)H, (int)dh, (int)M, gflops_sgemm));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-9s %7s %10s %10s %9s %12s %11s\n", "kind", "tokens", "fwd (s)", "bwd (s)", "GFLOP/s",
                        "of sgemm", "arena MiB"));
  for (int phys = 0; phys < 2; phys++)
    for (int i = 0; i < nt; i++) {
      int    n = (int)tokens[i];
      double bf = 1e30, bb = 1e30, tf = 0, tb = 0, flops;
      size_t peak = 0;
      for (int r = 0; r < reps; r++) {
        PetscCall(step(phys, n, (int)H, (int)dh, (int)M, &tf, &tb, &peak));
        bf = PetscMin(bf, tf), bb = PetscMin(bb, tb);
      }
      /* matrix products only: softmax 2 forward + 7 backward (recomputing) products of 2 n^2 dh per head;
         physics 3 forward + 5 backward products of 2 n M dh per head (the M x M parts are negligible) */
      flops = phys ? (3.0 + 5.0) * 2.0 * n * M * dh * H : (2.0 + 7.0) * 2.0 * (double)n * n * dh * H;
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-9s %7d %10.4f %10.4f %9.1f %11.0f%% %11.1f\n", phys ? "physics" : "softmax", n, bf, bb,
                            flops / (bf + bb) * 1e-9, 100 * flops / (bf + bb) * 1e-9 / gflops_sgemm, peak / 1048576.0));
    }
  {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "process peak resident set: %.1f MiB\n", ru.ru_maxrss / 1024.0));
  }
  NeopRuntimeTearDown();
  PetscCall(PetscFinalize());
  return 0;
}
