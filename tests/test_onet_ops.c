/* The operator-network ops and the coordinate-derivative path:
   - finite-difference gradient checks of NeopOpUnaryDeriv (every activation),
     NeopOpGridInterp (multilinear and nearest), NeopOpTopKSum and the weak-form
     quadrature (flux and source);
   - f'(x) against central differences of f;
   - du/dx of MultiONet and DeepONet against central differences in x;
   - gradients with respect to every parameter of a loss that contains du/dx. */
#include "testing.h"
#include <neop/nn/onet.h>
#include <neop/nn/weak_form.h>
#include <math.h>

typedef struct {
  NeopUnaryKind kind;
} UCtx;

static PetscErrorCode fn_deriv(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpUnaryDeriv(t, ((UCtx *)ctx)->kind, in[0], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  PetscBool nearest;
  float     pts[12]; /* (6, 2) */
} ICtx;

static PetscErrorCode const_tensor(NeopTape *t, int ndim, const int *shape, const float *v, NeopTensor **x)
{
  PetscFunctionBegin;
  PetscCall(NeopTapeTensor(t, ndim, shape, x));
  PetscCall(PetscArraycpy((*x)->data, v, (*x)->size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode fn_interp(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  ICtx       *c        = ctx;
  NeopTensor *p;
  int         shape[2] = {6, 2};

  PetscFunctionBegin;
  PetscCall(const_tensor(t, 2, shape, c->pts, &p));
  PetscCall(NeopOpGridInterp(t, in[0], p, c->nearest, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode fn_topk(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpTopKSum(t, in[0], *(int *)ctx, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode fn_weak(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  NeopWeakForm wf = ctx;
  NeopTensor  *a, *b;

  PetscFunctionBegin;
  PetscCall(NeopWeakFormFlux(wf, t, in[0], &a));
  PetscCall(NeopWeakFormSource(wf, t, in[1], &b));
  PetscCall(NeopOpAdd(t, a, b, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a tiny operator network whose parameters are the leaf inputs */
typedef struct {
  NeopONet net;
  int      N, P;
  float    x[8], beta[6]; /* (P = 4, 2), (N = 2, 3) */
  int      which;         /* 0: u, 1: du */
} NCtx;

static int onet_nparams(NeopONet *n) { return 4 * n->layers + (n->deeponet ? 0 : n->sum_layers) + 1; }

static void onet_shapes(NeopONet *n, int *ndim, int (*shape)[NEOP_MAX_DIMS])
{
  int k = 0, H = n->width;
  for (int i = 0; i < n->layers; i++) {
    ndim[k] = 2, shape[k][0] = H, shape[k][1] = i ? H : n->in_trunk, k++;
    ndim[k] = 1, shape[k][0] = H, k++;
    ndim[k] = 2, shape[k][0] = H, shape[k][1] = i ? H : n->in_branch, k++;
    ndim[k] = 1, shape[k][0] = H, k++;
  }
  for (int i = 0; i < (n->deeponet ? 0 : n->sum_layers); i++) ndim[k] = 1, shape[k][0] = 1, k++;
  ndim[k] = 1, shape[k][0] = 1;
}

static void onet_bind(NeopONet *n, NeopTensor **in)
{
  int k = 0;
  for (int i = 0; i < n->layers; i++) {
    n->Wt[i] = in[k++];
    n->bt[i] = in[k++];
    n->Wb[i] = in[k++];
    n->bb[i] = in[k++];
  }
  for (int i = 0; i < (n->deeponet ? 0 : n->sum_layers); i++) n->w[i] = in[k++];
  n->bias = in[k];
}

static PetscErrorCode fn_onet(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  NCtx       *c = ctx;
  NeopTensor *x, *b, *u, *du;
  int         sx[2] = {c->P, 2}, sb[2] = {c->N, 3};

  PetscFunctionBegin;
  onet_bind(&c->net, in);
  PetscCall(const_tensor(t, 2, sx, c->x, &x));
  PetscCall(const_tensor(t, 2, sb, c->beta, &b));
  PetscCall(NeopONetEvaluate(&c->net, t, x, b, &u, c->which ? &du : NULL));
  *out = c->which ? du : u;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_onet(PetscBool deeponet)
{
  NCtx  c;
  int   np, ndim[16], shape[16][NEOP_MAX_DIMS];
  float *data[16];
  const char *name = deeponet ? "deeponet" : "multionet";

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&c, sizeof(c)));
  c.net.deeponet   = deeponet;
  c.net.width      = 5;
  c.net.layers     = 3;
  c.net.sum_layers = deeponet ? 1 : 2;
  c.net.act_trunk  = NEOP_UNARY_TANH_SIN;
  c.net.act_branch = NEOP_UNARY_SILU;
  c.net.in_trunk   = 2;
  c.net.in_branch  = 3;
  c.N              = 2;
  c.P              = 4;
  NeopTestRandom(11, 8, 0, 1, c.x);
  NeopTestRandom(12, 6, -1, 1, c.beta);
  np = onet_nparams(&c.net);
  onet_shapes(&c.net, ndim, shape);
  for (int i = 0; i < np; i++) {
    NeopTensor tmp;
    PetscCall(NeopTensorSetShape(&tmp, ndim[i], shape[i]));
    PetscCall(PetscMalloc1(tmp.size, &data[i]));
    NeopTestRandom(100 + i, tmp.size, -0.8f, 0.8f, data[i]); /* w_k != 0 so that every parameter matters */
  }
  /* du/dx against central differences of u in x */
  {
    NeopTape   *t;
    NeopTensor *in[16], *x, *b, *u, *du;
    int         sx[2] = {c.P, 2}, sb[2] = {c.N, 3};
    float       fd[16], an[16];
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeSetRecording(t, PETSC_FALSE));
    for (int i = 0; i < np; i++) PetscCall(const_tensor(t, ndim[i], shape[i], data[i], &in[i]));
    onet_bind(&c.net, in);
    PetscCall(const_tensor(t, 2, sb, c.beta, &b));
    PetscCall(const_tensor(t, 2, sx, c.x, &x));
    PetscCall(NeopONetEvaluate(&c.net, t, x, b, &u, &du));
    PetscCall(PetscArraycpy(an, du->data, 16)); /* (N, d, P) */
    for (int p = 0; p < c.P; p++)
      for (int j = 0; j < 2; j++) {
        /* Richardson extrapolation of central differences with steps h and h/2: error O(h^4) */
        double D[2][2];
        for (int r = 0; r < 2; r++) {
          double h = r ? 5e-3 : 1e-2, up[2], um[2];
          float  xs[8];
          for (int s = 0; s < 2; s++) {
            PetscCall(PetscArraycpy(xs, c.x, 8));
            xs[p * 2 + j] += (float)(s ? -h : h);
            PetscCall(const_tensor(t, 2, sx, xs, &x));
            PetscCall(NeopONetEvaluate(&c.net, t, x, b, &u, NULL));
            for (int n = 0; n < c.N; n++) (s ? um : up)[n] = u->data[n * c.P + p];
          }
          for (int n = 0; n < c.N; n++) D[r][n] = (up[n] - um[n]) / (2 * h);
        }
        for (int n = 0; n < c.N; n++) fd[(n * 2 + j) * c.P + p] = (float)((4 * D[1][n] - D[0][n]) / 3);
      }
    NeopTestClose(deeponet ? "deeponet du/dx vs finite differences" : "multionet du/dx vs finite differences", 16, an, fd, 2e-3, 2e-3);
    PetscCall(NeopTapeDestroy(&t));
  }
  for (c.which = 0; c.which < 2; c.which++) {
    char what[96];
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s %s: gradients of every parameter", name, c.which ? "du/dx" : "u"));
    PetscCall(NeopTestGradCheck(what, fn_onet, &c, np, ndim, shape, data, 3e-3, 2e-2, 2e-3));
  }
  for (int i = 0; i < np; i++) PetscCall(PetscFree(data[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  /* activation derivatives: values and gradients */
  for (int k = 0; k < NEOP_UNARY_COUNT; k++) {
    UCtx   c = {(NeopUnaryKind)k};
    int    ndim = 1, shape[1][NEOP_MAX_DIMS] = {{24}};
    float  x[24], *data[1] = {x}, fd[24];
    char   what[96];
    NeopTape   *t;
    NeopTensor *xt, *yp, *ym, *d;

    NeopTestRandom(7 + k, 24, -2.5f, 2.5f, x);
    for (int i = 0; i < 24; i++)
      if (fabsf(x[i]) < 0.05f) x[i] += 0.1f; /* keep relu's kink out of the differences */
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeSetRecording(t, PETSC_FALSE));
    for (int s = 0; s < 2; s++) {
      float xs[24];
      for (int i = 0; i < 24; i++) xs[i] = x[i] + (s ? -1e-2f : 1e-2f);
      PetscCall(const_tensor(t, 1, shape[0], xs, &xt));
      PetscCall(NeopOpUnary(t, (NeopUnaryKind)k, xt, s ? &ym : &yp));
    }
    for (int i = 0; i < 24; i++) fd[i] = (yp->data[i] - ym->data[i]) / 2e-2f;
    PetscCall(const_tensor(t, 1, shape[0], x, &xt));
    PetscCall(NeopOpUnaryDeriv(t, (NeopUnaryKind)k, xt, &d));
    PetscCall(PetscSNPrintf(what, sizeof(what), "f' of %s vs differences of f", NeopUnaryKindName((NeopUnaryKind)k)));
    NeopTestClose(what, 24, d->data, fd, 1e-2, 2e-3);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(PetscSNPrintf(what, sizeof(what), "gradient of f' (%s)", NeopUnaryKindName((NeopUnaryKind)k)));
    PetscCall(NeopTestGradCheck(what, fn_deriv, &c, 1, &ndim, shape, data, 1e-3, 1e-2, 1e-3));
  }
  /* grid interpolation: gradient to the node values; exact on linear fields */
  for (int nearest = 0; nearest < 2; nearest++) {
    ICtx  c;
    int   ndim = 4, shape[1][NEOP_MAX_DIMS] = {{2, 1, 4, 5}};
    float g[40], *data[1] = {g};
    c.nearest = nearest ? PETSC_TRUE : PETSC_FALSE;
    NeopTestRandom(21, 12, 0, 1, c.pts);
    c.pts[0] = 0, c.pts[1] = 1; /* corner node */
    NeopTestRandom(22, 40, -1, 1, g);
    PetscCall(NeopTestGradCheck(nearest ? "grid_interp nearest gradient" : "grid_interp gradient", fn_interp, &c, 1, &ndim, shape, data, 1e-3, 1e-2, 1e-3));
    if (!nearest) {
      NeopTape   *t;
      NeopTensor *gt, *pt, *y;
      float       lin[40], ex[12];
      int         ps[2] = {6, 2};
      for (int n = 0; n < 2; n++)
        for (int i = 0; i < 4; i++)
          for (int j = 0; j < 5; j++) lin[n * 20 + i * 5 + j] = (float)(1 + n + 2.0 * i / 3 - 3.0 * j / 4);
      for (int n = 0; n < 2; n++)
        for (int p = 0; p < 6; p++) ex[n * 6 + p] = (float)(1 + n + 2.0 * c.pts[2 * p] - 3.0 * c.pts[2 * p + 1]);
      PetscCall(NeopTapeCreate(&t));
      PetscCall(const_tensor(t, 4, shape[0], lin, &gt));
      PetscCall(const_tensor(t, 2, ps, c.pts, &pt));
      PetscCall(NeopOpGridInterp(t, gt, pt, PETSC_FALSE, &y));
      NeopTestClose("grid_interp reproduces a linear field", 12, y->data, ex, 1e-5, 1e-5);
      PetscCall(NeopTapeDestroy(&t));
    }
  }
  /* top-k row sums */
  {
    int   k = 3, ndim = 2, shape[1][NEOP_MAX_DIMS] = {{3, 7}};
    float x[21], *data[1] = {x};
    for (int i = 0; i < 21; i++) x[i] = (float)((i * 5) % 21) * 0.1f - 1.f; /* distinct, 0.1 apart */
    PetscCall(NeopTestGradCheck("topk_sum gradient", fn_topk, &k, 1, &ndim, shape, data, 1e-3, 1e-2, 1e-3));
  }
  /* weak-form quadrature sums */
  {
    NeopWeakForm wf;
    int          Q, ndim[2] = {3, 2}, shape[2][NEOP_MAX_DIMS];
    float       *F, *s, *data[2];
    PetscCall(NeopWeakFormCreate(2, 0.1, 3, 5, &wf));
    PetscCall(NeopWeakFormDraw(wf, 1, 0));
    PetscCall(NeopWeakFormGetPoints(wf, NULL, &Q, NULL, NULL));
    shape[0][0] = 2, shape[0][1] = 2, shape[0][2] = 3 * Q;
    shape[1][0] = 2, shape[1][1] = 3 * Q;
    PetscCall(PetscMalloc2(12 * Q, &F, 6 * Q, &s));
    NeopTestRandom(31, 12 * Q, -1, 1, F);
    NeopTestRandom(32, 6 * Q, -1, 1, s);
    data[0] = F, data[1] = s;
    PetscCall(NeopTestGradCheck("weak-form flux and source gradients", fn_weak, wf, 2, ndim, shape, data, 1e-3, 1e-2, 1e-3));
    PetscCall(PetscFree2(F, s));
    PetscCall(NeopWeakFormDestroy(&wf));
  }
  PetscCall(check_onet(PETSC_FALSE));
  PetscCall(check_onet(PETSC_TRUE));
  return NeopTestFinalize();
}
