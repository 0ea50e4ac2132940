/* sum / mean / sum over dims / per-sample Lp norms: values against loops
   written here, gradients against finite differences; a large case runs the
   multithreaded kernel paths (2 OpenMP threads) against the same loops. */
#include "testing.h"
#include <math.h>
#include <omp.h>

typedef struct {
  int       which; /* 0 sum, 1 mean, 2 sum over dims, 3 Lp norm */
  int       ndims, dims[NEOP_MAX_DIMS];
  PetscBool keepdim;
  double    p;
} RedCtx;

static PetscErrorCode reduce_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  RedCtx *c = (RedCtx *)ctx;

  PetscFunctionBegin;
  switch (c->which) {
  case 0: PetscCall(NeopOpSum(t, in[0], out)); break;
  case 1: PetscCall(NeopOpMean(t, in[0], out)); break;
  case 2: PetscCall(NeopOpSumDims(t, in[0], c->ndims, c->dims, c->keepdim, out)); break;
  default: PetscCall(NeopOpNormLp(t, in[0], c->p, out)); break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* sum of x (shape) over the dims in mask, in double, into ref (kept dims in order) */
static void naive_sum_dims(int ndim, const int *shape, const float *x, int mask, double *ref, int64_t nref)
{
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  for (int64_t j = 0; j < nref; j++) ref[j] = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t r = i, j = 0, mul = 1;
    for (int d = ndim - 1; d >= 0; d--) {
      int id = (int)(r % shape[d]);
      r /= shape[d];
      if (!(mask >> d & 1)) {
        j += id * mul;
        mul *= shape[d];
      }
    }
    ref[j] += x[i];
  }
}

static PetscErrorCode check_sum_dims(const char *name, int ndim, const int *shape, int ndims, const int *dims,
                                     PetscBool keepdim, uint64_t seed, double rtol)
{
  RedCtx      c = {2, ndims, {0}, keepdim, 0};
  int         nd[1] = {ndim}, sh[1][NEOP_MAX_DIMS] = {{0}}, mask = 0, outnd = 0;
  int64_t     n = 1, nout = 1;
  float      *x, *ref, *d[1];
  double     *refd;
  NeopTape   *t;
  NeopTensor *tx, *y;
  char        what[160];

  PetscFunctionBegin;
  for (int k = 0; k < ndim; k++) n *= (sh[0][k] = shape[k]);
  for (int k = 0; k < ndims; k++) {
    c.dims[k] = dims[k];
    mask |= 1 << (dims[k] < 0 ? dims[k] + ndim : dims[k]);
  }
  for (int k = 0; k < ndim; k++) {
    if (!(mask >> k & 1)) nout *= shape[k];
    if (!(mask >> k & 1) || keepdim) outnd++;
  }
  PetscCall(PetscMalloc3(n, &x, nout, &ref, nout, &refd));
  NeopTestRandom(seed, n, -1, 1, x);
  naive_sum_dims(ndim, shape, x, mask, refd, nout);
  for (int64_t j = 0; j < nout; j++) ref[j] = (float)refd[j];
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, ndim, shape, &tx));
  PetscCall(PetscArraycpy(tx->data, x, n));
  PetscCall(NeopOpSumDims(t, tx, ndims, dims, keepdim, &y));
  NeopTestCheck(y->ndim == outnd && y->size == nout, "%s: result has %d dims and %lld values", name, y->ndim,
                (long long)y->size);
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s values", name));
  NeopTestClose(what, nout, y->data, ref, rtol, 1e-5);
  PetscCall(NeopTapeDestroy(&t));
  d[0] = x;
  if (n <= 4096) PetscCall(NeopTestGradCheck(name, reduce_fn, &c, 1, nd, sh, d, 1e-2, 1e-2, 1e-3));
  PetscCall(PetscFree3(x, ref, refd));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    int         nd = 3, sh[1][NEOP_MAX_DIMS] = {{2, 3, 4}};
    float       x[24], *d[1] = {x};
    double      s = 0;
    NeopTape   *t;
    NeopTensor *tx, *y;
    RedCtx      csum = {.which = 0}, cmean = {.which = 1};
    NeopTestRandom(1, 24, -1, 1, x);
    for (int i = 0; i < 24; i++) s += x[i];
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 3, sh[0], &tx));
    PetscCall(PetscArraycpy(tx->data, x, 24));
    PetscCall(NeopOpSum(t, tx, &y));
    NeopTestCheck(y->ndim == 0 && y->size == 1 && fabs(y->data[0] - s) < 1e-5, "sum = %g (loops: %g)", (double)y->data[0], s);
    PetscCall(NeopOpMean(t, tx, &y));
    NeopTestCheck(fabs(y->data[0] - s / 24) < 1e-6, "mean = %g (loops: %g)", (double)y->data[0], s / 24);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(NeopTestGradCheck("sum", reduce_fn, &csum, 1, &nd, sh, d, 1e-2, 1e-2, 1e-3));
    PetscCall(NeopTestGradCheck("mean", reduce_fn, &cmean, 1, &nd, sh, d, 1e-2, 1e-2, 1e-3));
  }
  PetscCall(check_sum_dims("sum over dim 0 of (4,3,5)", 3, (int[]){4, 3, 5}, 1, (int[]){0}, PETSC_FALSE, 2, 1e-6));
  PetscCall(check_sum_dims("sum over dim -1 of (4,3,5), keepdim", 3, (int[]){4, 3, 5}, 1, (int[]){-1}, PETSC_TRUE, 3, 1e-6));
  PetscCall(check_sum_dims("sum over dims 0,2 of (4,3,5)", 3, (int[]){4, 3, 5}, 2, (int[]){0, 2}, PETSC_FALSE, 4, 1e-6));
  PetscCall(check_sum_dims("sum over dims 1,3 of (2,3,2,4,3)", 5, (int[]){2, 3, 2, 4, 3}, 2, (int[]){1, 3}, PETSC_TRUE, 5, 1e-6));
  PetscCall(check_sum_dims("sum over dims 2,3 of (2,3,4,5)", 4, (int[]){2, 3, 4, 5}, 2, (int[]){2, 3}, PETSC_FALSE, 6, 1e-6));
  for (int k = 0; k < 3; k++) {
    double      p  = k == 0 ? 2 : k == 1 ? 1 : 3;
    RedCtx      c  = {3, 0, {0}, PETSC_FALSE, p};
    int         nd = 3, sh[1][NEOP_MAX_DIMS] = {{3, 2, 5}};
    float       x[30], ref[3], *d[1] = {x};
    NeopTape   *t;
    NeopTensor *tx, *y;
    char        what[64];
    NeopTestRandom(30 + k, 30, -1, 1, x);
    for (int n = 0; n < 3; n++) {
      double s = 0;
      for (int m = 0; m < 10; m++) s += pow(fabs(x[n * 10 + m]), p);
      ref[n] = (float)pow(s, 1 / p);
    }
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 3, sh[0], &tx));
    PetscCall(PetscArraycpy(tx->data, x, 30));
    PetscCall(NeopOpNormLp(t, tx, p, &y));
    PetscCall(PetscSNPrintf(what, sizeof(what), "L%d norms", (int)p));
    NeopTestClose(what, 3, y->data, ref, 1e-6, 1e-7);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(PetscSNPrintf(what, sizeof(what), "L%d norm", (int)p));
    PetscCall(NeopTestGradCheck(what, reduce_fn, &c, 1, &nd, sh, d, 1e-3, 1e-2, 1e-3));
  }
  /* large cases on 2 threads: every path of the backend's reduce kernel */
  omp_set_num_threads(2);
  PetscCall(check_sum_dims("2 threads: sum over dim 0 of (8,40000)", 2, (int[]){8, 40000}, 1, (int[]){0}, PETSC_FALSE, 7, 1e-5));
  PetscCall(check_sum_dims("2 threads: sum over dim 1 of (3,100000)", 2, (int[]){3, 100000}, 1, (int[]){1}, PETSC_FALSE, 8, 1e-5));
  PetscCall(check_sum_dims("2 threads: sum over dims 0,1 of (3,100000)", 2, (int[]){3, 100000}, 2, (int[]){0, 1}, PETSC_FALSE, 9, 1e-5));
  PetscCall(check_sum_dims("2 threads: sum over dims 0,2 of (4,5,20000)", 3, (int[]){4, 5, 20000}, 2, (int[]){0, 2}, PETSC_FALSE, 10, 1e-5));
  PetscCall(check_sum_dims("2 threads: sum over dims 1,3 of (4,10,30,100)", 4, (int[]){4, 10, 30, 100}, 2, (int[]){1, 3}, PETSC_FALSE, 11, 1e-5));
  return NeopTestFinalize();
}
