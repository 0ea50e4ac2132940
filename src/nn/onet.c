/* Branch/trunk operator networks (DeepONet, MultiONet) and the forward-mode
   tangents of their output with respect to the trunk coordinates.

   MultiONet (the facts of the reference code, Networks/MultiONets.py): both MLPs
   have layers of equal width, every layer followed by the activation; the
   output is (1/l) sum over the last l layers of w_k <t_k(x), b_k(beta)> + bias,
   with scalars w_k and bias initialised to 0. DeepONet: the last layer of each
   MLP is linear and the output is <t_L(x), b_L(beta)> + bias.

   Tangents: for z = W h + b and h' = f(z), dh'/dx_j = f'(z) * (W dh/dx_j), with
   dh_0/dx_j = e_j. The d tangents are kept as one (d, P, H) tensor so that each
   layer costs one sgemm; f'(z) comes from NeopOpUnaryDeriv, whose backward
   (f'') lets the tape differentiate losses that contain du/dx. */
#include <neop/nn/onet.h>
#include <neop/backend.h>
#include <neop/nn/transformer.h>

PetscErrorCode NeopONetSetFromOptions(NeopONet *net, NeopModel m, PetscOptionItems *PetscOptionsObject, const char *sub)
{
  char     name[64], full[96], at[32], ab[32];
  PetscInt width = net->width, layers = net->layers, l = net->sum_layers;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(at, NeopUnaryKindName(net->act_trunk), sizeof(at)));
  PetscCall(PetscStrncpy(ab, NeopUnaryKindName(net->act_branch), sizeof(ab)));
#define OPT(what) (PetscSNPrintf(name, sizeof(name), "-%s%s", sub, what), name)
#define REC(what) (PetscSNPrintf(full, sizeof(full), "-%s%s%s", m->prefix, sub, what), full)
  PetscCall(PetscOptionsInt(OPT("width"), "width H of the branch and trunk layers", NULL, width, &width, NULL));
  PetscCall(PetscOptionsInt(OPT("layers"), "layers L of the branch and trunk MLPs", NULL, layers, &layers, NULL));
  if (!net->deeponet) PetscCall(PetscOptionsInt(OPT("sum_layers"), "last layers l whose inner products are summed", NULL, l, &l, NULL));
  PetscCall(PetscOptionsString(OPT("act_trunk"), "trunk activation", NULL, at, at, sizeof(at), NULL));
  PetscCall(PetscOptionsString(OPT("act_branch"), "branch activation", NULL, ab, ab, sizeof(ab), NULL));
  PetscCheck(width >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s %d: must be >= 1", REC("width"), (int)width);
  PetscCheck(layers >= 1 && layers <= NEOP_ONET_MAX_LAYERS, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s %d: must be in [1, %d]",
             REC("layers"), (int)layers, NEOP_ONET_MAX_LAYERS);
  if (net->deeponet) l = 1;
  else
    PetscCheck(l >= 1 && l < layers, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s %d: must be in [1, layers - 1 = %d] (the reference asserts l < L)",
               REC("sum_layers"), (int)l, (int)layers - 1);
  PetscCall(NeopUnaryKindFromName(at, &net->act_trunk));
  PetscCall(NeopUnaryKindFromName(ab, &net->act_branch));
  net->width      = (int)width;
  net->layers     = (int)layers;
  net->sum_layers = (int)l;
  PetscCall(NeopModelRecordOption(m, REC("width"), "%d", net->width));
  PetscCall(NeopModelRecordOption(m, REC("layers"), "%d", net->layers));
  if (!net->deeponet) PetscCall(NeopModelRecordOption(m, REC("sum_layers"), "%d", net->sum_layers));
  PetscCall(NeopModelRecordOption(m, REC("act_trunk"), "%s", at));
  PetscCall(NeopModelRecordOption(m, REC("act_branch"), "%s", ab));
#undef OPT
#undef REC
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopONetSetUp(NeopONet *net, NeopParams *p, const char *name, int in_trunk, int in_branch)
{
  char pname[64];
  int  H = net->width;

  PetscFunctionBegin;
  net->in_trunk  = in_trunk;
  net->in_branch = in_branch;
  for (int i = 0; i < net->layers; i++) {
    int shapeT[2] = {H, i ? H : in_trunk}, shapeB[2] = {H, i ? H : in_branch};
    PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.trunk.%d.weight", name, i));
    PetscCall(NeopParamsAdd(p, pname, 2, shapeT, NeopInitTorchLinear(shapeT[1]), &net->Wt[i]));
    PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.trunk.%d.bias", name, i));
    PetscCall(NeopParamsAdd(p, pname, 1, &H, NeopInitTorchLinear(shapeT[1]), &net->bt[i]));
    PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.branch.%d.weight", name, i));
    PetscCall(NeopParamsAdd(p, pname, 2, shapeB, NeopInitTorchLinear(shapeB[1]), &net->Wb[i]));
    PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.branch.%d.bias", name, i));
    PetscCall(NeopParamsAdd(p, pname, 1, &H, NeopInitTorchLinear(shapeB[1]), &net->bb[i]));
  }
  if (!net->deeponet)
    for (int k = 0; k < net->sum_layers; k++) {
      int one = 1;
      PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.w.%d", name, k));
      PetscCall(NeopParamsAdd(p, pname, 1, &one, NeopInitConst(0.0), &net->w[k]));
    }
  {
    int one = 1;
    PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.bias", name));
    PetscCall(NeopParamsAdd(p, pname, 1, &one, NeopInitConst(0.0), &net->bias));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One MLP; the features of its last l layers go to feat[], their tangents to tan[]
   when tan != NULL (trunk only: x (P, d)). */
static PetscErrorCode onet_mlp(NeopONet *net, NeopTape *t, PetscBool trunk, NeopTensor *x, NeopTensor **feat, NeopTensor **tan)
{
  int            L = net->layers, l = net->sum_layers, d = x->shape[x->ndim - 1];
  NeopUnaryKind  act = trunk ? net->act_trunk : net->act_branch;
  NeopTensor   **W = trunk ? net->Wt : net->Wb, **b = trunk ? net->bt : net->bb;
  NeopTensor    *h = x, *T = NULL; /* T: tangents (d, P, H) (first layer: (d, 1, H)) */

  PetscFunctionBegin;
  for (int i = 0; i < L; i++) {
    NeopTensor *z, *dz = NULL, *fp;
    PetscBool   linear = net->deeponet && i == L - 1;

    if (!tan && !linear) { /* without tangents z is not needed: one node keeps f'(z) for the backward */
      PetscCall(NeopOpLinearAct(t, h, W[i], b[i], act, &h));
      if (i >= L - l) feat[i - (L - l)] = h;
      continue;
    }
    PetscCall(NeopOpLinear(t, h, W[i], b[i], &z));
    if (tan) {
      if (i == 0) { /* dz/dx_j = W0[:, j]: the one-hot basis E (d, 1, d) through the layer */
        NeopTensor *E;
        float      *e;
        int         shape[3] = {d, 1, d};
        PetscCall(NeopTapeTensor(t, 3, shape, &E));
        PetscCall(PetscCalloc1(d * d, &e));
        for (int j = 0; j < d; j++) e[j * d + j] = 1.f;
        PetscCall(NeopBackendGet()->from_host(E->data, e, sizeof(float) * (size_t)(d * d)));
        PetscCall(PetscFree(e));
        PetscCall(NeopOpLinear(t, E, W[0], NULL, &dz)); /* (d, 1, H) */
      } else PetscCall(NeopOpLinear(t, T, W[i], NULL, &dz)); /* (d, P, H) */
    }
    if (linear) {
      h = z;
      T = dz;
    } else {
      PetscCall(NeopOpUnary(t, act, z, &h));
      PetscCall(NeopOpUnaryDeriv(t, act, z, &fp)); /* (P, H) */
      PetscCall(NeopOpMul(t, dz, fp, &T));         /* (d, P, H) */
    }
    if (i >= L - l) {
      feat[i - (L - l)] = h;
      if (tan) tan[i - (L - l)] = T;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopONetEvaluate(NeopONet *net, NeopTape *t, NeopTensor *x, NeopTensor *beta, NeopTensor **u, NeopTensor **du)
{
  NeopTensor *tf[NEOP_ONET_MAX_LAYERS], *tt[NEOP_ONET_MAX_LAYERS], *bf[NEOP_ONET_MAX_LAYERS];
  NeopTensor *su = NULL, *sdu = NULL;
  int         l = net->sum_layers, P = x->shape[0], d = x->shape[1], N = beta->shape[0], H = net->width;
  char        bx[96], bb[96];

  PetscFunctionBegin;
  PetscCheck(x->ndim == 2 && x->shape[1] == net->in_trunk && beta->ndim == 2 && beta->shape[1] == net->in_branch,
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "onet: coordinates %s must be (P, %d) and branch inputs %s (N, %d)",
             NeopTensorShapeString(x, bx, sizeof(bx)), net->in_trunk, NeopTensorShapeString(beta, bb, sizeof(bb)), net->in_branch);
  PetscCall(onet_mlp(net, t, PETSC_TRUE, x, tf, du ? tt : NULL));
  PetscCall(onet_mlp(net, t, PETSC_FALSE, beta, bf, NULL));
  /* u = (1/l) sum_k w_k b_k t_k^T, du the same on the tangents (d P, H) */
  for (int k = 0; k < l; k++) {
    NeopTensor *w = net->deeponet ? NULL : net->w[k], *s;
    PetscCall(NeopOpONetInner(t, su, 1.0 / l, w, bf[k], tf[k], &s)); /* (N, P) */
    su = s;
    if (du) {
      int         shape2[2] = {d * P, H};
      NeopTensor *Tk;
      PetscCall(NeopOpReshape(t, tt[k], 2, shape2, &Tk));
      PetscCall(NeopOpONetInner(t, sdu, 1.0 / l, w, bf[k], Tk, &s)); /* (N, d P) */
      sdu = s;
    }
  }
  if (du) {
    int shape3[3] = {N, d, P};
    PetscCall(NeopOpReshape(t, sdu, 3, shape3, du));
  }
  PetscCall(NeopOpAdd(t, su, net->bias, u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopONetView(NeopONet *net, const char *name, PetscViewer viewer)
{
  PetscFunctionBegin;
  if (net->deeponet)
    PetscCall(PetscViewerASCIIPrintf(viewer, "%s: DeepONet, branch %d -> [%d] x %d, trunk %d -> [%d] x %d (%s / %s), linear last layers\n", name,
                                     net->in_branch, net->width, net->layers, net->in_trunk, net->width, net->layers,
                                     NeopUnaryKindName(net->act_branch), NeopUnaryKindName(net->act_trunk)));
  else
    PetscCall(PetscViewerASCIIPrintf(viewer, "%s: MultiONet, branch %d -> [%d] x %d, trunk %d -> [%d] x %d (%s / %s), sum of the last %d inner products\n",
                                     name, net->in_branch, net->width, net->layers, net->in_trunk, net->width, net->layers,
                                     NeopUnaryKindName(net->act_branch), NeopUnaryKindName(net->act_trunk), net->sum_layers));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGridCoordsTensor(int dim, const int *S, NeopTensor *t)
{
  const NeopBackend *be = NeopBackendGet();
  int                shape[2] = {1, dim};
  float             *host;

  PetscFunctionBegin;
  for (int k = 0; k < dim; k++) shape[0] *= S[k];
  if (t->data) PetscCall(be->free(t->data));
  PetscCall(NeopTensorSetShape(t, 2, shape));
  PetscCall(be->alloc(sizeof(float) * (size_t)t->size, (void **)&t->data));
  PetscCall(PetscMalloc1(t->size, &host));
  PetscCall(NeopPositionGrid(dim, S, host));
  PetscCall(be->from_host(t->data, host, sizeof(float) * (size_t)t->size));
  PetscCall(PetscFree(host));
  PetscFunctionReturn(PETSC_SUCCESS);
}
