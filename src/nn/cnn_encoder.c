/* Convolutional encoder of grid fields (neop/nn/cnn_encoder.h): strided
   convolutions without padding (NeopOpConv), flatten, an MLP. */
#include <neop/nn/cnn_encoder.h>
#include <neop/nn/onet.h>

static PetscErrorCode list_string(int n, const int *v, char *buf, size_t len)
{
  PetscFunctionBegin;
  buf[0] = 0;
  if (!n) PetscCall(PetscStrncpy(buf, "0", len));
  for (int i = 0; i < n; i++) PetscCall(PetscSNPrintf(buf + strlen(buf), len - strlen(buf), "%s%d", i ? "," : "", v[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCNNEncoderSetFromOptions(NeopCNNEncoder *e, NeopModel m, PetscOptionItems *PetscOptionsObject, const char *sub)
{
  char      name[64], full[96], act[32], list[128];
  PetscInt  ch[NEOP_CNN_MAX], hid[NEOP_CNN_MAX], nch = NEOP_CNN_MAX, nhid = NEOP_CNN_MAX, k = e->kernel, s = e->stride;
  PetscBool set;

  PetscFunctionBegin;
  for (int i = 0; i < e->nconv; i++) ch[i] = e->channels[i];
  for (int i = 0; i < e->nhidden; i++) hid[i] = e->hidden[i];
  PetscCall(PetscStrncpy(act, NeopUnaryKindName(e->act), sizeof(act)));
#define OPT(what) (PetscSNPrintf(name, sizeof(name), "-%s%s", sub, what), name)
#define REC(what) (PetscSNPrintf(full, sizeof(full), "-%s%s%s", m->prefix, sub, what), full)
  PetscCall(PetscOptionsIntArray(OPT("channels"), "CNN encoder: output channels of the convolutions", NULL, ch, &nch, &set));
  if (!set) nch = e->nconv;
  PetscCall(PetscOptionsInt(OPT("kernel"), "CNN encoder: kernel size", NULL, k, &k, NULL));
  PetscCall(PetscOptionsInt(OPT("stride"), "CNN encoder: stride (no padding)", NULL, s, &s, NULL));
  PetscCall(PetscOptionsIntArray(OPT("hidden"), "CNN encoder: hidden linear widths after the flatten (0: none)", NULL, hid, &nhid, &set));
  if (!set) nhid = e->nhidden;
  if (nhid == 1 && hid[0] == 0) nhid = 0;
  PetscCall(PetscOptionsString(OPT("act"), "CNN encoder: activation", NULL, act, act, sizeof(act), NULL));
  PetscCheck(nch >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: give 1 to %d channel counts", REC("channels"), NEOP_CNN_MAX);
  PetscCheck(k >= 1 && s >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s %d, %s %d: need >= 1", OPT("kernel"), (int)k, REC("stride"), (int)s);
  for (int i = 0; i < nch; i++) PetscCheck(ch[i] >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: channel count %d", REC("channels"), (int)ch[i]);
  for (int i = 0; i < nhid; i++) PetscCheck(hid[i] >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: width %d (0 alone: none)", REC("hidden"), (int)hid[i]);
  PetscCall(NeopUnaryKindFromName(act, &e->act));
  e->nconv   = (int)nch;
  e->nhidden = (int)nhid;
  e->kernel  = (int)k;
  e->stride  = (int)s;
  for (int i = 0; i < e->nconv; i++) e->channels[i] = (int)ch[i];
  for (int i = 0; i < e->nhidden; i++) e->hidden[i] = (int)hid[i];
  PetscCall(list_string(e->nconv, e->channels, list, sizeof(list)));
  PetscCall(NeopModelRecordOption(m, REC("channels"), "%s", list));
  PetscCall(NeopModelRecordOption(m, REC("kernel"), "%d", e->kernel));
  PetscCall(NeopModelRecordOption(m, REC("stride"), "%d", e->stride));
  PetscCall(list_string(e->nhidden, e->hidden, list, sizeof(list)));
  PetscCall(NeopModelRecordOption(m, REC("hidden"), "%s", list));
  PetscCall(NeopModelRecordOption(m, REC("act"), "%s", act));
#undef OPT
#undef REC
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCNNEncoderSetUp(NeopCNNEncoder *e, NeopParams *p, const char *name, int dim, int cin, int n, int out)
{
  char pname[64];
  int  in = cin, side = n, kk = dim == 2 ? e->kernel * e->kernel : e->kernel;

  PetscFunctionBegin;
  PetscCheck(dim == 1 || dim == 2, PETSC_COMM_SELF, PETSC_ERR_SUP, "CNN encoder: %d spatial dims (1 or 2)", dim);
  e->dim = dim, e->cin = cin, e->n = n, e->out = out;
  for (int i = 0; i < e->nconv; i++) {
    int shape[4] = {e->channels[i], in, e->kernel, e->kernel};
    PetscCheck(side >= e->kernel, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
               "CNN encoder: convolution %d (kernel %d, stride %d) gets %d points per dim from an input of %d: too small", i, e->kernel,
               e->stride, side, n);
    side = (side - e->kernel) / e->stride + 1;
    PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.conv.%d.weight", name, i));
    PetscCall(NeopParamsAdd(p, pname, dim + 2, shape, NeopInitTorchLinear(in * kk), &e->Wc[i]));
    PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.conv.%d.bias", name, i));
    PetscCall(NeopParamsAdd(p, pname, 1, &e->channels[i], NeopInitTorchLinear(in * kk), &e->bc[i]));
    in = e->channels[i];
  }
  e->flat = in * (dim == 2 ? side * side : side);
  in      = e->flat;
  for (int i = 0; i <= e->nhidden; i++) {
    int o = i < e->nhidden ? e->hidden[i] : out;
    PetscCall(PetscSNPrintf(pname, sizeof(pname), "%s.fc.%d", name, i));
    PetscCall(NeopParamsAddLinear(p, pname, in, o, &e->Wf[i], &e->bf[i]));
    in = o;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCNNEncoderForward(NeopCNNEncoder *e, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  NeopConvSpec spec = {.stride = {e->stride, e->stride}, .mode = NEOP_PAD_ZERO};
  NeopTensor  *h = x, *z;
  int          N = x->shape[0], shape[2] = {N, e->flat};
  char         bx[96];

  PetscFunctionBegin;
  PetscCheck(x->ndim == 2 + e->dim && x->shape[1] == e->cin && x->shape[2] == e->n && (e->dim == 1 || x->shape[3] == e->n), PETSC_COMM_SELF,
             PETSC_ERR_ARG_SIZ, "CNN encoder: input %s must be (N, %d, %d%s)", NeopTensorShapeString(x, bx, sizeof(bx)), e->cin, e->n,
             e->dim == 2 ? ", same" : "");
  for (int i = 0; i < e->nconv; i++) {
    PetscCall(NeopOpConv(t, h, e->Wc[i], NULL, &spec, &z));
    PetscCall(NeopOpBiasAct(t, z, e->bc[i], e->act, &h));
  }
  PetscCall(NeopOpReshape(t, h, 2, shape, &z));
  h = z;
  for (int i = 0; i < e->nhidden; i++) PetscCall(NeopOpLinearAct(t, h, e->Wf[i], e->bf[i], e->act, &h));
  PetscCall(NeopOpLinear(t, h, e->Wf[e->nhidden], e->bf[e->nhidden], y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCNNEncoderView(NeopCNNEncoder *e, const char *name, PetscViewer viewer)
{
  char ch[128], hid[128];

  PetscFunctionBegin;
  PetscCall(list_string(e->nconv, e->channels, ch, sizeof(ch)));
  PetscCall(list_string(e->nhidden, e->hidden, hid, sizeof(hid)));
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s: CNN %d^%d x %d -> conv %s (kernel %d, stride %d), flatten %d, hidden %s -> %d (%s)\n", name, e->n,
                                   e->dim, e->cin, ch, e->kernel, e->stride, e->flat, hid, e->out, NeopUnaryKindName(e->act)));
  PetscFunctionReturn(PETSC_SUCCESS);
}
