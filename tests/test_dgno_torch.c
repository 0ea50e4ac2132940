/* MultiONet and DeepONet values, coordinate derivatives and parameter gradients
   of a loss containing du/dx, the weak-form residuals and losses (Darcy primal
   and mixed, Burgers with test functions in x or in (x, t), Poisson with a
   varying source), and the supervised
   MultiONet and DGNO models with the CNN encoder, against PyTorch
   (tests/reference/dgno.py -> tests/fixtures/dgno.h5; du/dx there comes from
   torch.autograd). Tolerance: 1e-4 relative. */
#include "testing.h"
#include <math.h>
#include <neop/nn/onet.h>
#include <neop/nn/weak_form.h>
#include <neop/models.h>

#define RTOL 1e-4
#define ATOL 1e-5

static PetscErrorCode load(NeopTape *t, const char *name, int ndim, const int *shape, PetscBool grad, NeopTensor **x)
{
  float  *v;
  int64_t n;

  PetscFunctionBegin;
  PetscCall(NeopTapeTensor(t, ndim, shape, x));
  PetscCall(NeopTestReadFixture("dgno.h5", name, &v, &n));
  PetscCheck(n == (*x)->size, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "dgno.h5:%s has %lld values, expected %lld", name, (long long)n,
             (long long)(*x)->size);
  PetscCall(PetscArraycpy((*x)->data, v, n));
  PetscCall(PetscFree(v));
  (*x)->requires_grad = grad;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode compare(const char *name, int64_t n, const float *v)
{
  float  *ref;
  int64_t nref;

  PetscFunctionBegin;
  PetscCall(NeopTestReadFixture("dgno.h5", name, &ref, &nref));
  NeopTestCheck(v && nref == n, "%s: %lld values computed, %lld in the fixture", name, (long long)n, (long long)nref);
  if (v && nref == n) NeopTestClose(name, n, v, ref, RTOL, ATOL);
  PetscCall(PetscFree(ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the network's parameters from group g as leaf tensors */
static PetscErrorCode load_net(NeopTape *t, NeopONet *net, const char *g)
{
  char name[64];
  int  H = net->width, one = 1;

  PetscFunctionBegin;
  for (int i = 0; i < net->layers; i++) {
    int st[2] = {H, i ? H : net->in_trunk}, sb[2] = {H, i ? H : net->in_branch};
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/Wt%d", g, i));
    PetscCall(load(t, name, 2, st, PETSC_TRUE, &net->Wt[i]));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/bt%d", g, i));
    PetscCall(load(t, name, 1, &H, PETSC_TRUE, &net->bt[i]));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/Wb%d", g, i));
    PetscCall(load(t, name, 2, sb, PETSC_TRUE, &net->Wb[i]));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/bb%d", g, i));
    PetscCall(load(t, name, 1, &H, PETSC_TRUE, &net->bb[i]));
  }
  if (!net->deeponet)
    for (int k = 0; k < net->sum_layers; k++) {
      PetscCall(PetscSNPrintf(name, sizeof(name), "%s/w%d", g, k));
      PetscCall(load(t, name, 1, &one, PETSC_TRUE, &net->w[k]));
    }
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/bias", g));
  PetscCall(load(t, name, 1, &one, PETSC_TRUE, &net->bias));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode compare_grads(NeopONet *net, const char *g, PetscBool wjoined)
{
  char name[64];

  PetscFunctionBegin;
  for (int i = 0; i < net->layers; i++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/Wt%d_grad", g, i));
    PetscCall(compare(name, net->Wt[i]->size, net->Wt[i]->grad));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/bt%d_grad", g, i));
    PetscCall(compare(name, net->bt[i]->size, net->bt[i]->grad));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/Wb%d_grad", g, i));
    PetscCall(compare(name, net->Wb[i]->size, net->Wb[i]->grad));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/bb%d_grad", g, i));
    PetscCall(compare(name, net->bb[i]->size, net->bb[i]->grad));
  }
  if (!net->deeponet) {
    float w[NEOP_ONET_MAX_LAYERS];
    for (int k = 0; k < net->sum_layers; k++) w[k] = net->w[k]->grad ? net->w[k]->grad[0] : 0.f;
    if (wjoined) PetscCall(compare("weak/w_grad", net->sum_layers, w));
    else
      for (int k = 0; k < net->sum_layers; k++) {
        PetscCall(PetscSNPrintf(name, sizeof(name), "%s/w%d_grad", g, k));
        PetscCall(compare(name, 1, &w[k]));
      }
  }
  {
    float b = net->bias->grad ? net->bias->grad[0] : 0.f;
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/bias_grad", g));
    PetscCall(compare(name, 1, &b));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode small_net(NeopONet *net, NeopUnaryKind at, NeopUnaryKind ab)
{
  PetscFunctionBegin;
  PetscCall(PetscMemzero(net, sizeof(*net)));
  net->width      = 6;
  net->layers     = 4;
  net->sum_layers = 3;
  net->act_trunk  = at;
  net->act_branch = ab;
  net->in_trunk   = 2;
  net->in_branch  = 3;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode set_centres(NeopWeakForm wf, const char *name, int n)
{
  float  *c;
  double  cd[8];
  int64_t m;

  PetscFunctionBegin;
  PetscCall(NeopTestReadFixture("dgno.h5", name, &c, &m));
  PetscCheck(m == n, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "dgno.h5:%s has %lld values, expected %d", name, (long long)m, n);
  for (int i = 0; i < n; i++) cd[i] = c[i]; /* exactly representable in float32 */
  PetscCall(PetscFree(c));
  PetscCall(NeopWeakFormSetCentres(wf, cd));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Darcy mixed form: nets u, s1, s2, a = 1 + x y, f = 2 */
static PetscErrorCode check_mixed(int N)
{
  NeopONet     net[3];
  const char  *g[3] = {"mixed/u", "mixed/s1", "mixed/s2"};
  NeopTape    *t;
  NeopWeakForm wf;
  NeopTensor  *x, *beta, *u, *du, *a, *sj[2], *s, *r1, *r2, *loss;
  int          sb[2] = {N, 3}, P, sa[2], s3[3];

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  for (int k = 0; k < 3; k++) {
    PetscCall(small_net(&net[k], NEOP_UNARY_TANH_SIN, NEOP_UNARY_TANH_SIN));
    PetscCall(load_net(t, &net[k], g[k]));
  }
  PetscCall(load(t, "ext/beta", 2, sb, PETSC_FALSE, &beta));
  PetscCall(NeopWeakFormCreate(2, 0.05, 3, 5, &wf));
  PetscCall(set_centres(wf, "mixed/centres", 6));
  PetscCall(NeopWeakFormGetPoints(wf, NULL, NULL, &x, NULL));
  P     = x->shape[0];
  sa[0] = N, sa[1] = P;
  s3[0] = N, s3[1] = 1, s3[2] = P;
  PetscCall(NeopTapeTensor(t, 2, sa, &a));
  for (int n = 0; n < N; n++)
    for (int p = 0; p < P; p++) a->data[n * P + p] = 1.f + x->data[2 * p] * x->data[2 * p + 1];
  PetscCall(NeopONetEvaluate(&net[0], t, x, beta, &u, &du));
  for (int j = 0; j < 2; j++) {
    NeopTensor *q;
    PetscCall(NeopONetEvaluate(&net[1 + j], t, x, beta, &q, NULL));
    PetscCall(NeopOpReshape(t, q, 3, s3, &sj[j]));
  }
  PetscCall(NeopOpConcat(t, 2, sj, 1, &s));
  PetscCall(NeopWeakFormDarcyMixedResidual(wf, t, a, du, s, 2.0, &r1, &r2));
  PetscCall(NeopWeakFormMixedLoss(wf, t, r1, r2, N, &loss));
  PetscCall(NeopTapeBackward(t, loss));
  PetscCall(compare("mixed/r1", r1->size, r1->data));
  PetscCall(compare("mixed/r2", r2->size, r2->data));
  PetscCall(compare("mixed/loss", 1, loss->data));
  for (int k = 0; k < 3; k++) PetscCall(compare_grads(&net[k], g[k], PETSC_FALSE));
  PetscCall(NeopWeakFormDestroy(&wf));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Burgers, nu = 0.3, top 2: test functions in x at the time slices linspace(0, 1, 3) (dim 1) or in (x, t) */
static PetscErrorCode check_burgers(int N, int dim)
{
  const char  *g = dim == 1 ? "burgers_space" : "burgers_spacetime";
  NeopONet     net;
  NeopTape    *t;
  NeopWeakForm wf;
  NeopTensor  *x, *xt, *beta, *u, *du, *r, *loss;
  int          sb[2] = {N, 3}, nc, Q;
  char         name[64];

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(small_net(&net, NEOP_UNARY_TANH_SIN, NEOP_UNARY_SILU_ID));
  PetscCall(load_net(t, &net, g));
  PetscCall(load(t, "ext/beta", 2, sb, PETSC_FALSE, &beta));
  PetscCall(NeopWeakFormCreate(dim, 0.05, 3, dim == 1 ? 6 : 5, &wf));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/centres", g));
  PetscCall(set_centres(wf, name, 3 * dim));
  PetscCall(NeopWeakFormGetPoints(wf, &nc, &Q, &x, NULL));
  xt = x;
  if (dim == 1) {
    int sx[2] = {nc * Q, 2};
    PetscCall(NeopTapeTensor(t, 2, sx, &xt));
    for (int c = 0; c < nc; c++)
      for (int q = 0; q < Q; q++) {
        xt->data[2 * (c * Q + q)]     = x->data[c * Q + q];
        xt->data[2 * (c * Q + q) + 1] = (float)c / (nc - 1);
      }
  }
  PetscCall(NeopONetEvaluate(&net, t, xt, beta, &u, &du));
  PetscCall(NeopWeakFormBurgersResidual(wf, t, u, du, 0.3, &r));
  PetscCall(NeopWeakFormLoss(wf, t, r, 2, N, &loss));
  PetscCall(NeopTapeBackward(t, loss));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/res", g));
  PetscCall(compare(name, r->size, r->data));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/loss", g));
  PetscCall(compare(name, 1, loss->data));
  PetscCall(compare_grads(&net, g, PETSC_FALSE));
  PetscCall(NeopWeakFormDestroy(&wf));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Poisson, f = 1 + x0 sin(pi x1) at the points, top 2 */
static PetscErrorCode check_poisson(int N)
{
  NeopONet     net;
  NeopTape    *t;
  NeopWeakForm wf;
  NeopTensor  *x, *beta, *u, *du, *f, *r, *loss;
  int          sb[2] = {N, 3}, sf[2], P;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(small_net(&net, NEOP_UNARY_TANH_SIN, NEOP_UNARY_TANH_SIN));
  PetscCall(load_net(t, &net, "poisson/u"));
  PetscCall(load(t, "ext/beta", 2, sb, PETSC_FALSE, &beta));
  PetscCall(NeopWeakFormCreate(2, 0.05, 3, 5, &wf));
  PetscCall(set_centres(wf, "poisson/centres", 6));
  PetscCall(NeopWeakFormGetPoints(wf, NULL, NULL, &x, NULL));
  P     = x->shape[0];
  sf[0] = N, sf[1] = P;
  PetscCall(NeopTapeTensor(t, 2, sf, &f));
  for (int n = 0; n < N; n++)
    for (int p = 0; p < P; p++) f->data[n * P + p] = (float)(1.0 + x->data[2 * p] * sin(PETSC_PI * x->data[2 * p + 1]));
  PetscCall(NeopONetEvaluate(&net, t, x, beta, &u, &du));
  PetscCall(NeopWeakFormPoissonResidual(wf, t, f, du, &r));
  PetscCall(NeopWeakFormLoss(wf, t, r, 2, N, &loss));
  PetscCall(NeopTapeBackward(t, loss));
  PetscCall(compare("poisson/res", r->size, r->data));
  PetscCall(compare("poisson/loss", 1, loss->data));
  PetscCall(compare_grads(&net, "poisson/u", PETSC_FALSE));
  PetscCall(NeopWeakFormDestroy(&wf));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode model_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopModelForward((NeopModel)ctx, t, x, y); }

/* a model built from options, against its PyTorch case */
static PetscErrorCode check_model(const char *cs, int n, const char *const *kv, int S)
{
  NeopModel m;
  int       xs[4] = {2, 1, S, S};

  PetscFunctionBegin;
  for (int i = 0; i < n; i++) PetscCall(PetscOptionsSetValue(NULL, kv[2 * i], kv[2 * i + 1]));
  PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(NeopModelSetShape(m, 2, 1, 1));
  PetscCall(NeopModelSetFromOptions(m));
  PetscCall(NeopModelSetUp(m));
  PetscCall(NeopTestTorchCase("dgno.h5", cs, m->params, 4, xs, model_fn, m));
  PetscCall(NeopModelDestroy(&m));
  for (int i = 0; i < n; i++) PetscCall(PetscOptionsClearValue(NULL, kv[2 * i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  int N = 2, P = 5;

  PetscCall(NeopTestInitialize(&argc, &argv));
  for (int dn = 0; dn < 2; dn++) {
    const char *g = dn ? "deeponet" : "multionet";
    NeopONet    net;
    NeopTape   *t;
    NeopTensor *x, *beta, *u, *du, *gu, *gdu, *a, *b, *s1, *s2, *loss;
    int         sx[2] = {P, 2}, sb[2] = {N, 3}, su[2] = {N, P}, sd[3] = {N, 2, P};
    char        name[64];

    PetscCall(PetscMemzero(&net, sizeof(net)));
    net.deeponet   = dn ? PETSC_TRUE : PETSC_FALSE;
    net.width      = 6;
    net.layers     = 4;
    net.sum_layers = dn ? 1 : 3;
    net.act_trunk  = dn ? NEOP_UNARY_TANH : NEOP_UNARY_TANH_SIN;
    net.act_branch = dn ? NEOP_UNARY_TANH : NEOP_UNARY_SILU;
    net.in_trunk   = 2;
    net.in_branch  = 3;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(load_net(t, &net, g));
    PetscCall(load(t, "x", 2, sx, PETSC_FALSE, &x));
    PetscCall(load(t, "beta", 2, sb, PETSC_FALSE, &beta));
    PetscCall(NeopONetEvaluate(&net, t, x, beta, &u, &du));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/gu", g));
    PetscCall(load(t, name, 2, su, PETSC_FALSE, &gu));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/gdu", g));
    PetscCall(load(t, name, 3, sd, PETSC_FALSE, &gdu));
    PetscCall(NeopOpMul(t, u, gu, &a));
    PetscCall(NeopOpSum(t, a, &s1));
    PetscCall(NeopOpMul(t, du, gdu, &b));
    PetscCall(NeopOpSum(t, b, &s2));
    PetscCall(NeopOpAdd(t, s1, s2, &loss));
    PetscCall(NeopTapeBackward(t, loss));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/u", g));
    PetscCall(compare(name, u->size, u->data));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/du", g));
    PetscCall(compare(name, du->size, du->data));
    PetscCall(compare_grads(&net, g, PETSC_FALSE));
    PetscCall(NeopTapeDestroy(&t));
  }
  { /* weak residual and loss */
    NeopONet     net;
    NeopTape    *t;
    NeopWeakForm wf;
    NeopTensor  *x, *beta, *u, *du, *a, *r, *loss;
    float       *c;
    double       cd[6];
    int64_t      n;
    int          sb[2] = {N, 3}, Pw, sa[2];

    PetscCall(PetscMemzero(&net, sizeof(net)));
    net.width      = 6;
    net.layers     = 4;
    net.sum_layers = 3;
    net.act_trunk  = NEOP_UNARY_TANH_SIN;
    net.act_branch = NEOP_UNARY_SILU;
    net.in_trunk   = 2;
    net.in_branch  = 3;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(load_net(t, &net, "weak"));
    PetscCall(load(t, "beta", 2, sb, PETSC_FALSE, &beta));
    PetscCall(NeopWeakFormCreate(2, 0.05, 3, 5, &wf));
    PetscCall(NeopTestReadFixture("dgno.h5", "weak/centres", &c, &n));
    for (int i = 0; i < 6; i++) cd[i] = c[i]; /* stored exactly representable in float32 */
    PetscCall(PetscFree(c));
    PetscCall(NeopWeakFormSetCentres(wf, cd));
    PetscCall(NeopWeakFormGetPoints(wf, NULL, NULL, &x, NULL));
    Pw    = x->shape[0];
    sa[0] = N;
    sa[1] = Pw;
    PetscCall(NeopTapeTensor(t, 2, sa, &a));
    for (int s = 0; s < N; s++)
      for (int p = 0; p < Pw; p++) a->data[s * Pw + p] = 1.f + x->data[2 * p] * x->data[2 * p + 1];
    PetscCall(NeopONetEvaluate(&net, t, x, beta, &u, &du));
    PetscCall(NeopWeakFormDarcyResidual(wf, t, a, du, 2.0, &r));
    PetscCall(NeopWeakFormLoss(wf, t, r, 2, N, &loss));
    PetscCall(NeopTapeBackward(t, loss));
    PetscCall(compare("weak/res", r->size, r->data));
    PetscCall(compare("weak/loss", 1, loss->data));
    PetscCall(compare_grads(&net, "weak", PETSC_TRUE));
    PetscCall(NeopWeakFormDestroy(&wf));
    PetscCall(NeopTapeDestroy(&t));
  }
  PetscCall(check_mixed(N));
  PetscCall(check_burgers(N, 1));
  PetscCall(check_burgers(N, 2));
  PetscCall(check_poisson(N));
  {
    const char *const kv[][2] = {{"-model", "multionet"},           {"-multionet_sensors", "9"},         {"-multionet_enc", "cnn"},
                                 {"-multionet_enc_channels", "4,6"}, {"-multionet_enc_kernel", "3"},      {"-multionet_enc_stride", "2"},
                                 {"-multionet_enc_hidden", "5"},     {"-multionet_enc_out", "7"},         {"-multionet_width", "6"},
                                 {"-multionet_layers", "3"},         {"-multionet_sum_layers", "2"},      {"-multionet_act_trunk", "silu_sin"},
                                 {"-multionet_act_branch", "silu"}};
    PetscCall(check_model("multionet_cnn", 13, &kv[0][0], 9));
  }
  {
    const char *const kv[][2] = {{"-model", "dgno"},          {"-dgno_sensors", "11"},     {"-dgno_enc", "cnn"},        {"-dgno_enc_channels", "3,4"},
                                 {"-dgno_enc_kernel", "3"},    {"-dgno_enc_stride", "2"},   {"-dgno_enc_hidden", "6"},   {"-dgno_latent", "5"},
                                 {"-dgno_u_width", "6"},       {"-dgno_u_layers", "3"},     {"-dgno_u_sum_layers", "2"}, {"-dgno_a_width", "4"},
                                 {"-dgno_a_layers", "2"},      {"-dgno_a_sum_layers", "1"}};
    PetscCall(check_model("dgno_cnn", 14, &kv[0][0], 11));
  }
  return NeopTestFinalize();
}
