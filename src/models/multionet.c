/* Supervised operator networks on branch and trunk MLPs: "multionet"
   (Zang & Koutsourelakis 2025) and "deeponet" (Lu et al. 2021).

   The branch MLP reads the input field at sensors: an n^d node grid on
   [0,1]^d (-<family>_sensors n), values taken by multilinear interpolation
   (exactly the node values when the data grid contains the sensor grid, e.g.
   29 sensors on a 29 or 57 grid); the trunk MLP reads the coordinates of the
   output nodes (np.linspace(0, 1, S) per dim). Output (N, 1, *S). Networks and
   options: neop/nn/onet.h (-multionet_width, -multionet_layers, ...).
   With -multionet_enc cnn the branch reads -multionet_enc_out features of a CNN
   encoder of the sensor grid (neop/nn/cnn_encoder.h), as the reference's
   supervised MultiONet: conv 1-32-64-128, 5 x 5, stride 2, SiLU, linear 128 -> 128. */
#include <neop/models.h>
#include <neop/nn/onet.h>
#include <neop/nn/transformer.h>
#include <neop/nn/cnn_encoder.h>
#include "models/onet_family.h"

typedef enum { ENC_SENSORS, ENC_CNN } EncKind;
static const char *const enc_kinds[] = {"sensors", "cnn", "EncKind", "ENC_", NULL};

typedef struct {
  NeopONet    net;
  int         sensors;  /* per dim */
  EncKind     enc;      /* branch input: the sensor values, or CNN features of them */
  int         enc_out;  /* CNN features */
  NeopCNNEncoder cnn;
  NeopTensor  sens;     /* (sensors^d, d) sensor coordinates, backend memory */
  NeopTensor  grid;     /* (P, d) coordinates of the last output grid, backend memory */
  int         gridS[3];
} ONetModel;

static PetscErrorCode onet_setfromoptions(NeopModel m, PetscOptionItems *PetscOptionsObject)
{
  ONetModel *d = (ONetModel *)m->data;
  PetscInt   s = d->sensors, eo = d->enc_out;
  PetscEnum  enc = (PetscEnum)d->enc;
  char       name[64];

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, d->net.deeponet ? "DeepONet" : "MultiONet");
  PetscCall(PetscOptionsInt("-sensors", "branch sensors per dim (an n^d node grid on [0,1]^d)", NULL, s, &s, NULL));
  PetscCall(PetscOptionsEnum("-enc", "branch input: sensor values or CNN features of them", NULL, enc_kinds, enc, &enc, NULL));
  if (enc == (PetscEnum)ENC_CNN) {
    PetscCall(PetscOptionsInt("-enc_out", "CNN encoder: features given to the branch", NULL, eo, &eo, NULL));
    PetscCall(NeopCNNEncoderSetFromOptions(&d->cnn, m, PetscOptionsObject, "enc_"));
  }
  PetscCall(NeopONetSetFromOptions(&d->net, m, PetscOptionsObject, ""));
  PetscOptionsHeadEnd();
  PetscCall(PetscSNPrintf(name, sizeof(name), "-%ssensors", m->prefix));
  PetscCheck(s >= 2, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s %d: need >= 2", name, (int)s);
  d->sensors = (int)s;
  d->enc     = (EncKind)enc;
  PetscCall(NeopModelRecordOption(m, name, "%d", d->sensors));
  PetscCall(PetscSNPrintf(name, sizeof(name), "-%senc", m->prefix));
  PetscCall(NeopModelRecordOption(m, name, "%s", enc_kinds[d->enc]));
  if (d->enc == ENC_CNN) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "-%senc_out", m->prefix));
    PetscCheck(eo >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "%s %d: need >= 1", name, (int)eo);
    d->enc_out = (int)eo;
    PetscCall(NeopModelRecordOption(m, name, "%d", d->enc_out));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode onet_setup(NeopModel m)
{
  ONetModel *d = (ONetModel *)m->data;
  int        S[3] = {d->sensors, d->sensors, d->sensors}, P = 1;

  PetscFunctionBegin;
  PetscCheck(m->out_channels == 1, m->comm, PETSC_ERR_SUP, "%s: one output channel supported, the data has %d", m->type, m->out_channels);
  for (int k = 0; k < m->dim; k++) P *= d->sensors;
  PetscCall(NeopGridCoordsTensor(m->dim, S, &d->sens));
  if (d->enc == ENC_CNN) PetscCall(NeopCNNEncoderSetUp(&d->cnn, m->params, "enc", m->dim, m->in_channels, d->sensors, d->enc_out));
  PetscCall(NeopONetSetUp(&d->net, m->params, "onet", m->dim, d->enc == ENC_CNN ? d->enc_out : m->in_channels * P));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode onet_forward(NeopModel m, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  ONetModel  *d = (ONetModel *)m->data;
  NeopTensor *s, *b, *u;
  int         N = x->shape[0], shape[2], oshape[NEOP_MAX_DIMS];
  PetscBool   same = d->grid.data != NULL;
  char        bx[96];

  PetscFunctionBegin;
  PetscCheck(x->ndim == 2 + m->dim && x->shape[1] == m->in_channels, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "%s: input %s must be (N, %d, *S) with %d spatial dims", m->type, NeopTensorShapeString(x, bx, sizeof(bx)), m->in_channels, m->dim);
  for (int k = 0; k < m->dim; k++) same = same && d->gridS[k] == x->shape[2 + k];
  if (!same) {
    PetscCall(NeopGridCoordsTensor(m->dim, x->shape + 2, &d->grid));
    for (int k = 0; k < m->dim; k++) d->gridS[k] = x->shape[2 + k];
  }
  PetscCall(NeopOpGridInterp(t, x, &d->sens, PETSC_FALSE, &s)); /* (N, Cin, sensors^d) */
  if (d->enc == ENC_CNN) {
    int cshape[4] = {N, m->in_channels, d->sensors, d->sensors};
    PetscCall(NeopOpReshape(t, s, 2 + m->dim, cshape, &b));
    PetscCall(NeopCNNEncoderForward(&d->cnn, t, b, &b)); /* (N, enc_out) */
  } else {
    shape[0] = N;
    shape[1] = (int)(s->size / (N ? N : 1));
    PetscCall(NeopOpReshape(t, s, 2, shape, &b));
  }
  PetscCall(NeopONetEvaluate(&d->net, t, &d->grid, b, &u, NULL)); /* (N, P) */
  oshape[0] = N;
  oshape[1] = 1;
  for (int k = 0; k < m->dim; k++) oshape[2 + k] = x->shape[2 + k];
  PetscCall(NeopOpReshape(t, u, 2 + m->dim, oshape, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode onet_view(NeopModel m, PetscViewer viewer)
{
  ONetModel *d = (ONetModel *)m->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "%s: branch on %d^%d sensors of the input\n", m->type, d->sensors, m->dim));
  if (d->enc == ENC_CNN) PetscCall(NeopCNNEncoderView(&d->cnn, "branch encoder", viewer));
  PetscCall(NeopONetView(&d->net, m->type, viewer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode onet_destroy(NeopModel m)
{
  ONetModel *d = (ONetModel *)m->data;

  PetscFunctionBegin;
  if (d->sens.data) PetscCall(NeopBackendGet()->free(d->sens.data));
  if (d->grid.data) PetscCall(NeopBackendGet()->free(d->grid.data));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate_ONetFamily(NeopModel m, PetscBool deeponet)
{
  ONetModel *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  d->sensors            = 29;
  d->enc                = ENC_SENSORS;
  d->enc_out            = 128;
  d->cnn                = (NeopCNNEncoder){.nconv = 3, .channels = {32, 64, 128}, .kernel = 5, .stride = 2, .nhidden = 0, .act = NEOP_UNARY_SILU};
  d->net.deeponet       = deeponet;
  d->net.width          = 128;
  d->net.layers         = 5;
  d->net.sum_layers     = deeponet ? 1 : 4;
  d->net.act_trunk      = deeponet ? NEOP_UNARY_TANH : NEOP_UNARY_TANH_SIN;
  d->net.act_branch     = deeponet ? NEOP_UNARY_TANH : NEOP_UNARY_SILU;
  m->data               = d;
  m->ops.setfromoptions = onet_setfromoptions;
  m->ops.setup          = onet_setup;
  m->ops.forward        = onet_forward;
  m->ops.view           = onet_view;
  m->ops.destroy        = onet_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate_MultiONet(NeopModel m)
{
  PetscFunctionBegin;
  PetscCall(NeopModelCreate_ONetFamily(m, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}
