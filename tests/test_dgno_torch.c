/* MultiONet and DeepONet values, coordinate derivatives and parameter gradients
   of a loss containing du/dx, and the weak-form residual and loss, against
   PyTorch (tests/reference/dgno.py -> tests/fixtures/dgno.h5; du/dx there comes
   from torch.autograd). Tolerance: 1e-4 relative. */
#include "testing.h"
#include <neop/nn/onet.h>
#include <neop/nn/weak_form.h>

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
  return NeopTestFinalize();
}
