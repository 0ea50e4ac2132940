/* H1 loss: finite-difference gradients (prediction and target, 1-D and 2-D,
   even and odd grids), torch values and gradients (tests/reference/loss_h1.py),
   and the global-batch reduction: two halves of a batch averaged over the
   global count add up to the whole batch (what data-parallel ranks do). */
#include "testing.h"
#include <neop/nn/loss_h1.h>
#include <math.h>

typedef struct {
  PetscBool mean;
  int       nglobal;
} H1Case;

static PetscErrorCode h1_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  H1Case *c = (H1Case *)ctx;
  PetscFunctionBegin;
  PetscCall(NeopOpLossH1(t, in[0], in[1], c->mean ? NEOP_REDUCTION_MEAN : NEOP_REDUCTION_SUM, c->nglobal, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode gradcheck(const char *name, int ndim, const int *shape, PetscBool mean, int nglobal)
{
  int     nd[2] = {ndim, ndim}, shp[2][NEOP_MAX_DIMS];
  int64_t n = 1;
  float  *p, *u, *d[2];
  H1Case  c = {mean, nglobal};

  PetscFunctionBegin;
  for (int i = 0; i < ndim; i++) shp[0][i] = shp[1][i] = shape[i], n *= shape[i];
  PetscCall(PetscMalloc2(n, &p, n, &u));
  NeopTestRandom(11, n, -1, 1, u);
  NeopTestRandom(12, n, -1, 1, p);
  for (int64_t i = 0; i < n; i++) p[i] = u[i] + 0.3f * p[i];
  d[0] = p, d[1] = u;
  PetscCall(NeopTestGradCheck(name, h1_fn, &c, 2, nd, (const int(*)[NEOP_MAX_DIMS])shp, d, 1e-3, 1e-2, 1e-3));
  PetscCall(PetscFree2(p, u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static double max_abs(int64_t n, const float *v)
{
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = PetscMax(m, fabs((double)v[i]));
  return m;
}

static PetscErrorCode torch_case(int icase)
{
  char        ds[64], name[96];
  float      *cfg, *data;
  int64_t     ncfg, ndata, P = 1;
  int         shape[4], dim;
  NeopTape   *t;
  NeopTensor *p, *u, *loss;
  double     *err, sum = 0;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "case%d/config", icase));
  PetscCall(NeopTestReadFixture("loss_h1.h5", ds, &cfg, &ncfg));
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "case%d/data", icase));
  PetscCall(NeopTestReadFixture("loss_h1.h5", ds, &data, &ndata));
  dim      = (int)cfg[0];
  shape[0] = (int)cfg[1], shape[1] = (int)cfg[2], shape[2] = (int)cfg[3], shape[3] = (int)cfg[4];
  for (int i = 0; i < dim + 2; i++) P *= shape[i];
  PetscCheck(ndata == 4 * P + 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "loss_h1.h5 case %d: %lld values", icase,
             (long long)ndata);
  PetscCall(PetscSNPrintf(name, sizeof(name), "H1 %dd %dx%dx%dx%d %s", dim, shape[0], shape[1], shape[2], dim == 2 ? shape[3] : 1,
                          cfg[5] != 0 ? "mean" : "sum"));
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, dim + 2, shape, &p));
  PetscCall(NeopTapeTensor(t, dim + 2, shape, &u));
  PetscCall(PetscArraycpy(p->data, data, P));
  PetscCall(PetscArraycpy(u->data, data + P, P));
  p->requires_grad = u->requires_grad = PETSC_TRUE;
  PetscCall(NeopOpLossH1(t, p, u, cfg[5] != 0 ? NEOP_REDUCTION_MEAN : NEOP_REDUCTION_SUM, (int)cfg[6], &loss));
  PetscCall(NeopTapeBackward(t, loss));
  {
    char msg[128];
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s loss vs torch", name));
    NeopTestClose(msg, 1, loss->data, data + 2 * P, 1e-5, 0);
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s dpred vs torch", name));
    NeopTestClose(msg, P, p->grad, data + 2 * P + 1, 1e-5, 1e-5 * max_abs(P, data + 2 * P + 1));
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s dtarget vs torch", name));
    NeopTestClose(msg, P, u->grad, data + 3 * P + 1, 1e-5, 1e-5 * max_abs(P, data + 3 * P + 1));
  }
  /* the per-sample metric adds up to the loss */
  PetscCall(PetscMalloc1(shape[0], &err));
  PetscCall(NeopLossH1PerSample(p, u, err));
  for (int i = 0; i < shape[0]; i++) sum += err[i];
  if (cfg[5] != 0) sum /= cfg[6];
  NeopTestCheck(fabs(sum - loss->data[0]) <= 1e-6 * fabs(sum), "%s: per-sample errors sum to the loss (%.8g vs %.8g)", name,
                sum, (double)loss->data[0]);
  PetscCall(PetscFree(err));
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(PetscFree(cfg));
  PetscCall(PetscFree(data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Two "ranks" with 2 and 1 samples of a global batch of 3, mean reduction:
   their losses and gradients add up to those of the whole batch. */
static PetscErrorCode global_batch(void)
{
  int         shape[4] = {3, 1, 12, 10}, part[2] = {2, 1};
  int64_t     P        = 120, off = 0;
  NeopTape   *t;
  NeopTensor *p, *u, *loss, *pp, *uu, *lp;
  float       sum = 0, *grad;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, 4, shape, &p));
  PetscCall(NeopTapeTensor(t, 4, shape, &u));
  NeopTestRandom(3, 3 * P, -1, 1, p->data);
  NeopTestRandom(4, 3 * P, -1, 1, u->data);
  p->requires_grad = PETSC_TRUE;
  PetscCall(NeopOpLossH1(t, p, u, NEOP_REDUCTION_MEAN, 3, &loss));
  PetscCall(NeopTapeBackward(t, loss));
  PetscCall(PetscMalloc1(3 * P, &grad));
  for (int r = 0; r < 2; r++) {
    NeopTape *tr;
    int       s[4] = {part[r], 1, 12, 10};
    PetscCall(NeopTapeCreate(&tr));
    PetscCall(NeopTapeTensor(tr, 4, s, &pp));
    PetscCall(NeopTapeTensor(tr, 4, s, &uu));
    PetscCall(PetscArraycpy(pp->data, p->data + off, part[r] * P));
    PetscCall(PetscArraycpy(uu->data, u->data + off, part[r] * P));
    pp->requires_grad = PETSC_TRUE;
    PetscCall(NeopOpLossH1(tr, pp, uu, NEOP_REDUCTION_MEAN, 3, &lp));
    PetscCall(NeopTapeBackward(tr, lp));
    sum += lp->data[0];
    PetscCall(PetscArraycpy(grad + off, pp->grad, part[r] * P));
    off += part[r] * P;
    PetscCall(NeopTapeDestroy(&tr));
  }
  NeopTestClose("H1 mean over a global batch: rank losses add up", 1, &sum, loss->data, 1e-6, 0);
  NeopTestClose("H1 mean over a global batch: rank gradients match", 3 * P, grad, p->grad, 1e-6, 1e-9);
  PetscCall(PetscFree(grad));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCall(gradcheck("H1 2-D 8x8 sum", 4, (int[]){2, 1, 8, 8}, PETSC_FALSE, 2));
  PetscCall(gradcheck("H1 2-D 7x9, 2 channels, mean", 4, (int[]){2, 2, 7, 9}, PETSC_TRUE, 4));
  PetscCall(gradcheck("H1 2-D 44x42 (cut-off at 20)", 4, (int[]){1, 1, 44, 42}, PETSC_FALSE, 1));
  PetscCall(gradcheck("H1 1-D 16 sum", 3, (int[]){3, 1, 16}, PETSC_FALSE, 3));
  PetscCall(gradcheck("H1 1-D 45 mean", 3, (int[]){2, 1, 45}, PETSC_TRUE, 2));
  {
    float  *n;
    int64_t one;
    PetscCall(NeopTestReadFixture("loss_h1.h5", "cases", &n, &one));
    for (int i = 0; i < (int)n[0]; i++) PetscCall(torch_case(i));
    PetscCall(PetscFree(n));
  }
  PetscCall(global_batch());
  return NeopTestFinalize();
}
