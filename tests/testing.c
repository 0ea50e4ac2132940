#include "testing.h"
#include "core/runtime.h"
#include <neop/rng.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>

static int npass, nfail;
static PetscBool verbose;

PetscErrorCode NeopTestInitialize(int *argc, char ***argv)
{
  PetscFunctionBegin;
  PetscCall(PetscInitialize(argc, argv, NULL, NULL));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-v", &verbose, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int NeopTestFinalize(void)
{
  PetscMPIInt rank;
  int         fails = nfail;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Allreduce(MPI_IN_PLACE, &fails, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
  if (!rank) printf("%d passed, %d failed\n", npass, nfail);
  NeopRuntimeTearDown();
  PetscFinalize();
  return fails ? 1 : 0;
}

void NeopTestCheck(PetscBool ok, const char *fmt, ...)
{
  va_list ap;
  char    msg[512];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  if (ok) npass++;
  else nfail++;
  if (!ok || verbose) printf("%s: %s\n", ok ? "ok" : "FAIL", msg);
}

static double close_ratio(int64_t n, const float *a, const float *b, double rtol, double atol, int64_t *worst)
{
  double r = 0;
  *worst = 0;
  for (int64_t i = 0; i < n; i++) {
    double e = fabs((double)a[i] - (double)b[i]) / (atol + rtol * fabs((double)b[i]));
    if (!(e <= r)) { /* NaN counts as the worst */
      r = isnan(e) ? INFINITY : e;
      *worst = i;
    }
  }
  return r;
}

void NeopTestClose(const char *what, int64_t n, const float *a, const float *b, double rtol, double atol)
{
  int64_t w;
  double  r = close_ratio(n, a, b, rtol, atol, &w);
  NeopTestCheck(r <= 1, "%s: %lld values, worst ratio %.3g at %lld (%.8g vs %.8g)", what, (long long)n, r,
                (long long)w, n ? a[w] : 0.f, n ? b[w] : 0.f);
}

void NeopTestRandom(uint64_t seed, int64_t n, float lo, float hi, float *v)
{
  NeopRng r;
  NeopRngInit(&r, seed, NEOP_RNG_NOISE, 0);
  for (int64_t i = 0; i < n; i++) v[i] = (float)(lo + (hi - lo) * NeopRngUniform(&r));
}

/* loss = sum(out * w), w a fixed random tensor, so every output entry matters. */
static PetscErrorCode eval_loss(NeopTestFn fn, void *ctx, int nin, const int *ndim, const int (*shape)[NEOP_MAX_DIMS],
                                float **data, PetscBool grad, float **grads, double *loss)
{
  NeopTape   *t;
  NeopTensor *in[16], *out, *wt;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  for (int i = 0; i < nin; i++) {
    PetscCall(NeopTapeTensor(t, ndim[i], shape[i], &in[i]));
    PetscCall(PetscArraycpy(in[i]->data, data[i], in[i]->size));
    in[i]->requires_grad = grad;
  }
  PetscCall(fn(t, in, ctx, &out));
  PetscCall(NeopTapeTensorLike(t, out, &wt));
  NeopTestRandom(977, wt->size, -1, 1, wt->data);
  /* the contraction is computed here, not with ops, so that the check depends only on fn */
  double s = 0;
  for (int64_t k = 0; k < out->size; k++) s += (double)out->data[k] * wt->data[k];
  *loss = s;
  if (grad) {
    PetscCheck(out->requires_grad, PETSC_COMM_SELF, PETSC_ERR_PLIB, "gradcheck: output does not require grad");
    PetscCall(NeopTapeGrad(t, out, &out->grad));
    PetscCall(PetscArraycpy(out->grad, wt->data, out->size));
    /* run the tape from the output, seeded with w */
    for (int i = t->nnodes - 1; i >= 0; i--)
      if (t->nodes[i].out->grad) PetscCall(t->nodes[i].backward(t, &t->nodes[i]));
    for (int i = 0; i < nin; i++) {
      if (in[i]->grad) PetscCall(PetscArraycpy(grads[i], in[i]->grad, in[i]->size));
      else PetscCall(PetscArrayzero(grads[i], in[i]->size));
    }
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTestGradCheckRatio(NeopTestFn fn, void *ctx, int nin, const int *ndim, const int (*shape)[NEOP_MAX_DIMS],
                                      float **data, double eps, double rtol, double atol, int maxcheck, double *ratio)
{
  float *grads[16];
  double worst = 0, lp, lm;

  PetscFunctionBegin;
  PetscCheck(nin <= 16, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "gradcheck: too many inputs");
  for (int i = 0; i < nin; i++) {
    NeopTensor tmp;
    PetscCall(NeopTensorSetShape(&tmp, ndim[i], shape[i]));
    PetscCall(PetscMalloc1(tmp.size + 1, &grads[i]));
  }
  PetscCall(eval_loss(fn, ctx, nin, ndim, shape, data, PETSC_TRUE, grads, &lp));
  for (int i = 0; i < nin; i++) {
    NeopTensor tmp;
    PetscCall(NeopTensorSetShape(&tmp, ndim[i], shape[i]));
    int64_t step = tmp.size > maxcheck ? tmp.size / maxcheck : 1;
    for (int64_t k = 0; k < tmp.size; k += step) {
      float  x0 = data[i][k];
      double h  = eps * (1.0 + fabs(x0));
      data[i][k] = (float)(x0 + h);
      double hp = (double)data[i][k] - x0;
      PetscCall(eval_loss(fn, ctx, nin, ndim, shape, data, PETSC_FALSE, NULL, &lp));
      data[i][k] = (float)(x0 - h);
      double hm = x0 - (double)data[i][k];
      PetscCall(eval_loss(fn, ctx, nin, ndim, shape, data, PETSC_FALSE, NULL, &lm));
      data[i][k] = x0;
      double fd  = (lp - lm) / (hp + hm);
      double e   = fabs(fd - grads[i][k]) / (atol + rtol * fabs(fd));
      if (!(e <= worst)) worst = isnan(e) ? INFINITY : e;
    }
  }
  for (int i = 0; i < nin; i++) PetscCall(PetscFree(grads[i]));
  *ratio = worst;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTestGradCheck(const char *name, NeopTestFn fn, void *ctx, int nin, const int *ndim,
                                 const int (*shape)[NEOP_MAX_DIMS], float **data, double eps, double rtol, double atol)
{
  double r;

  PetscFunctionBegin;
  PetscCall(NeopTestGradCheckRatio(fn, ctx, nin, ndim, shape, data, eps, rtol, atol, 64, &r));
  NeopTestCheck(r <= 1, "gradient of %s vs finite differences: worst ratio %.3g", name, r);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTestReadFixture(const char *file, const char *dataset, float **v, int64_t *n)
{
  const char *dir = getenv("NEOP_FIXTURES");
  char        path[PETSC_MAX_PATH_LEN];
  hid_t       f, d, s;
  hsize_t     dims[8];
  int         nd;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures", file));
  f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open fixture %s", path);
  d = H5Dopen2(f, dataset, H5P_DEFAULT);
  PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s has no dataset %s", path, dataset);
  s  = H5Dget_space(d);
  nd = H5Sget_simple_extent_dims(s, dims, NULL);
  *n = 1;
  for (int i = 0; i < nd; i++) *n *= (int64_t)dims[i];
  PetscCall(PetscMalloc1(*n + 1, v));
  PetscCheck(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ,
             "cannot read %s:%s", path, dataset);
  H5Sclose(s);
  H5Dclose(d);
  H5Fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The shared PyTorch comparison of testing.h (NeopTestTorchCase). */
static double max_abs(int64_t n, const float *v)
{
  double mx = 0;
  for (int64_t i = 0; i < n; i++) mx = fmax(mx, fabs(v[i]));
  return mx;
}

static void compare_scaled(const char *what, int64_t n, const float *a, const float *ref, double floor)
{
  NeopTestClose(what, n, a, ref, 1e-4, fmax(1e-4 * max_abs(n, ref), floor));
}

PetscErrorCode NeopTestTorchCase(const char *fixture, const char *cs, NeopParams *p, int xdim, const int *xshape, NeopTestForwardFn fn,
                                 void *ctx)
{
  NeopTape   *t;
  NeopTensor *x, *y;
  float      *v, *g;
  int64_t     n, nfix = 0;
  double      gmax;
  char        name[160];

  PetscFunctionBegin;
  for (int i = 0; i < p->n; i++) {
    NeopParam *q = p->list[i];
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/p/%s", cs, q->name));
    PetscCall(NeopTestReadFixture(fixture, name, &v, &n));
    PetscCheck(n == q->tensor.size, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: %lld values in the fixture, %lld in neop", name, (long long)n,
               (long long)q->tensor.size);
    PetscCall(PetscArraycpy(q->tensor.data, v, n));
    PetscCall(PetscFree(v));
    nfix += n;
  }
  PetscCall(NeopParamsZeroGrad(p));
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, xdim, xshape, &x));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/x", cs));
  PetscCall(NeopTestReadFixture(fixture, name, &v, &n));
  PetscCheck(n == x->size, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: %lld values, expected %lld", name, (long long)n, (long long)x->size);
  PetscCall(PetscArraycpy(x->data, v, n));
  PetscCall(PetscFree(v));
  x->requires_grad = PETSC_TRUE;
  PetscCall(fn(ctx, t, x, &y));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/y", cs));
  PetscCall(NeopTestReadFixture(fixture, name, &v, &n));
  PetscCheck(n == y->size, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: %lld values, neop gives %lld", name, (long long)n, (long long)y->size);
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s: output", cs));
  compare_scaled(name, n, y->data, v, 0);
  PetscCall(PetscFree(v));
  /* backward seeded with w */
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/w", cs));
  PetscCall(NeopTestReadFixture(fixture, name, &v, &n));
  PetscCall(NeopTapeGrad(t, y, &g));
  PetscCall(PetscArraycpy(g, v, n));
  PetscCall(PetscFree(v));
  for (int i = t->nnodes - 1; i >= 0; i--)
    if (t->nodes[i].out->grad) PetscCall(t->nodes[i].backward(t, &t->nodes[i]));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/dx", cs));
  PetscCall(NeopTestReadFixture(fixture, name, &v, &n));
  gmax = max_abs(n, v);
  for (int i = 0; i < p->n; i++) {
    float *gr;
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/g/%s", cs, p->list[i]->name));
    PetscCall(NeopTestReadFixture(fixture, name, &gr, &n));
    gmax = fmax(gmax, max_abs(n, gr));
    PetscCall(PetscFree(gr));
  }
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s: input gradient", cs));
  compare_scaled(name, x->size, x->grad, v, 1e-6 * gmax);
  PetscCall(PetscFree(v));
  for (int i = 0; i < p->n; i++) {
    NeopParam *q = p->list[i];
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/g/%s", cs, q->name));
    PetscCall(NeopTestReadFixture(fixture, name, &v, &n));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s: gradient of %s", cs, q->name));
    compare_scaled(name, n, q->tensor.grad, v, 1e-6 * gmax);
    PetscCall(PetscFree(v));
  }
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/nparams", cs));
  PetscCall(NeopTestReadFixture(fixture, name, &v, &n));
  NeopTestCheck(nfix == (int64_t)v[0], "%s: neop has %lld parameter values, PyTorch %lld", cs, (long long)nfix, (long long)v[0]);
  PetscCall(PetscFree(v));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}
