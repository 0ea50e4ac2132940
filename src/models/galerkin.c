/* Galerkin Transformer (Cao, NeurIPS 2021) on structured grids, following the
   structure of the authors' FourierTransformer2D (scaomath/galerkin-transformer,
   libs/model.py, config.yml ex2_darcy):

     x (N, Cin, *S) -> append grid coordinates (N, Cin + d, *S)
     feature extraction, -galerkin_feature:
       conv    (default) the CNN of the reference's Interp2dEncoder at the input
               resolution: v0 = act(conv0 x) (width channels), then
               x1 = act(conv1 v0), x2 = act(conv2 x1), x3 = act(conv3 x2) with
               width/3, width/3 and the rest channels, v = cat(x1, x2, x3);
               3x3, zero padding 1, no bias, act = -galerkin_feature_activation (relu)
       linear  one Linear(Cin + d, width) per point (the reference's lift when
               it runs without the down-scaler)
     encoder  NeopTransformer under "-galerkin_enc_": galerkin attention
              Q (LN_h(K)^T LN_h(V)) / n, no softmax, one layer norm per head on K, V
     upscale  (-galerkin_upscale, default true) act(act(conv v)): the reference
              Interp2dUpsample's conv block without the interpolations, 3x3, no bias, act silu
     decoder  the reference's SpectralRegressor: Linear(width + d, freq) on [v, grid],
              L layers v = act(SpectralConv(v) + W v) (act also after the last),
              then Linear(freq, 2 d freq) -> act -> Linear(2 d freq, Cout), act silu.

   The attention runs on the input grid: the reference's bilinear down- and
   up-sampling around the encoder (141^2 -> 43^2 -> 141^2 on Darcy) is not done,
   Galerkin attention being linear in the tokens. Other differences from the
   reference (docs/transformer.md): the backbone's pre-norm blocks with a GELU
   feed-forward (the reference: no block norms, ReLU), the positions enter
   through the features only (the reference also concatenates them to every
   head's q, k, v), no dropout, no hard Dirichlet boundary (neop trains on
   normalised outputs, so zeroing the boundary there would be wrong). */
#include <neop/models.h>
#include <neop/ops.h>
#include <neop/nn/transformer.h>
#include <neop/nn/spectral_conv.h>
#include <neop/nn/conv.h>
#include <neop/nn/grid.h>
#include <math.h>

typedef enum { FEAT_CONV, FEAT_LINEAR } FeatureKind;
static const char *const feature_kinds[] = {"conv", "linear", "FeatureKind", "FEAT_", NULL};

typedef struct {
  /* options */
  FeatureKind     feature;
  NeopUnaryKind   feat_act, act;
  PetscBool       upscale;
  int             freq, modes[3], dec_layers;
  NeopSpectralMethod transform;
  NeopTransformer tr;
  int             width;
  /* parameters */
  NeopTensor *conv[4];          /* conv: (width, Cin + d, 3, 3), (c1, width, 3, 3), (c2, c1, 3, 3), (c3, c2, 3, 3) */
  NeopTensor *lift_W, *lift_b;  /* linear: (width, Cin + d), (width) */
  NeopTensor *up;               /* (width, width, 3, 3) */
  NeopTensor *fc_W, *fc_b;      /* (freq, width + d), (freq) */
  NeopTensor *(*spec)[NEOP_SPECTRAL_MAX_CORNERS]; /* [dec_layers] corners, each (freq, freq, *modes, 2) */
  NeopTensor **lin_W, **lin_b;  /* [dec_layers]: (freq, freq), (freq) */
  NeopTensor *r1_W, *r1_b;      /* (2 d freq, freq), (2 d freq) */
  NeopTensor *r2_W, *r2_b;      /* (Cout, 2 d freq), (Cout) */
} Galerkin;

static PetscErrorCode galerkin_setfromoptions(NeopModel m, PetscOptionItems *PetscOptionsObject)
{
  Galerkin             *g = (Galerkin *)m->data;
  PetscEnum             feat = (PetscEnum)g->feature;
  PetscInt              freq = g->freq, dec = g->dec_layers, modes[3], nmodes = 3;
  char                  fa[32], act[32], buf[64];
  PetscBool             set;
  int                   d   = m->dim;
  NeopTransformerConfig cfg = {.layers     = 6,
                               .width      = 128,
                               .heads      = 4,
                               .slices     = 1,
                               .mlp_ratio  = 2,
                               .attention  = NEOP_ATTN_GALERKIN,
                               .ffn        = NEOP_FFN_GELU,
                               .final_norm = PETSC_FALSE,
                               .init_std   = 0,
                               .conv_embed = 0};

  PetscFunctionBegin;
  PetscCheck(d >= 1 && d <= 3, m->comm, PETSC_ERR_ARG_WRONGSTATE, "galerkin: call NeopModelSetShape before SetFromOptions");
  for (int i = 0; i < 3; i++) modes[i] = g->modes[i];
  PetscOptionsHeadBegin(PetscOptionsObject, "Galerkin Transformer");
  PetscCall(PetscOptionsEnum("-feature", "feature extraction: conv (3x3 CNN) or linear", NULL, feature_kinds, feat, &feat, NULL));
  PetscCall(PetscStrncpy(fa, NeopUnaryKindName(g->feat_act), sizeof(fa)));
  PetscCall(PetscOptionsString("-feature_activation", "activation of the conv feature extraction", NULL, fa, fa, sizeof(fa), NULL));
  PetscCall(NeopUnaryKindFromName(fa, &g->feat_act));
  PetscCall(PetscOptionsBool("-upscale", "3x3 conv block after the encoder", NULL, g->upscale, &g->upscale, NULL));
  PetscCall(PetscOptionsInt("-freq_dim", "channels of the spectral decoder", NULL, freq, &freq, NULL));
  PetscCall(PetscOptionsInt("-dec_layers", "spectral conv layers of the decoder", NULL, dec, &dec, NULL));
  PetscCall(PetscOptionsIntArray("-modes", "Fourier modes of the decoder: one value or one per spatial dim", NULL, modes, &nmodes, &set));
  PetscCheck(!set || nmodes == 1 || nmodes == d, m->comm, PETSC_ERR_ARG_SIZ, "-galerkin_modes: give 1 or %d values, not %d", d, (int)nmodes);
  if (set && nmodes == 1)
    for (int i = 1; i < d; i++) modes[i] = modes[0];
  PetscCall(PetscStrncpy(act, NeopUnaryKindName(g->act), sizeof(act)));
  PetscCall(PetscOptionsString("-activation", "activation of the up-scaler and the decoder", NULL, act, act, sizeof(act), NULL));
  PetscCall(NeopUnaryKindFromName(act, &g->act));
  PetscCall(PetscOptionsEnum("-transform", "spectral conv transforms: fft, dft, auto", NULL, NeopSpectralMethods, (PetscEnum)g->transform,
                             (PetscEnum *)&g->transform, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(freq >= 1 && dec >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-galerkin_freq_dim %d and -galerkin_dec_layers %d must be positive",
             (int)freq, (int)dec);
  PetscCheck(d <= 2 || ((FeatureKind)feat == FEAT_LINEAR && !g->upscale), m->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "galerkin: 3-D fields need -galerkin_feature linear -galerkin_upscale false (no 3-D convolution)");
  for (int i = 0; i < d; i++) {
    PetscCheck(modes[i] >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-galerkin_modes: %d modes in dim %d", (int)modes[i], i + 1);
    g->modes[i] = (int)modes[i];
  }
  g->feature    = (FeatureKind)feat;
  g->freq       = (int)freq;
  g->dec_layers = (int)dec;
  PetscCall(NeopModelRecordOption(m, "-galerkin_feature", "%s", feature_kinds[g->feature]));
  PetscCall(NeopModelRecordOption(m, "-galerkin_feature_activation", "%s", NeopUnaryKindName(g->feat_act)));
  PetscCall(NeopModelRecordOption(m, "-galerkin_upscale", "%s", g->upscale ? "true" : "false"));
  PetscCall(NeopModelRecordOption(m, "-galerkin_freq_dim", "%d", g->freq));
  PetscCall(NeopModelRecordOption(m, "-galerkin_dec_layers", "%d", g->dec_layers));
  buf[0] = 0;
  for (int i = 0; i < d; i++) PetscCall(PetscSNPrintf(buf + strlen(buf), sizeof(buf) - strlen(buf), i ? ",%d" : "%d", g->modes[i]));
  PetscCall(NeopModelRecordOption(m, "-galerkin_modes", "%s", buf));
  PetscCall(NeopModelRecordOption(m, "-galerkin_activation", "%s", NeopUnaryKindName(g->act)));
  PetscCall(NeopModelRecordOption(m, "-galerkin_transform", "%s", NeopSpectralMethods[g->transform]));
  /* the encoder reads -galerkin_enc_layers, -galerkin_enc_width, ... */
  if (!g->tr) PetscCall(NeopTransformerCreate(m->comm, &g->tr));
  PetscCall(NeopTransformerSetOptionsPrefix(g->tr, "galerkin_enc_"));
  PetscCall(NeopTransformerSetDefaults(g->tr, &cfg));
  PetscCall(NeopTransformerSetFromOptions(g->tr));
  PetscCall(NeopTransformerSetSpatialDim(g->tr, d));
  PetscCall(NeopTransformerRecordOptions(g->tr, m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a bias-free 3x3 (or 3-point in 1-D) convolution cin -> cout, PyTorch's Conv default init */
static PetscErrorCode add_conv(NeopParams *p, const char *name, int dim, int cin, int cout, NeopTensor **W)
{
  int ws[4] = {cout, cin, 3, 3};

  PetscFunctionBegin;
  PetscCall(NeopParamsAdd(p, name, 2 + dim, ws, NeopInitTorchLinear(cin * (dim == 2 ? 9 : 3)), W));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode galerkin_setup(NeopModel m)
{
  Galerkin             *g = (Galerkin *)m->data;
  NeopParams           *p = m->params;
  NeopTransformerConfig cfg;
  int                   d = m->dim, cin = m->in_channels + m->dim, c1, c3, nc = NeopSpectralCorners(m->dim), prodm = 1;
  char                  name[64];

  PetscFunctionBegin;
  PetscCheck(g->tr, m->comm, PETSC_ERR_ARG_WRONGSTATE, "galerkin: call NeopModelSetFromOptions before NeopModelSetUp");
  PetscCall(NeopTransformerGetConfig(g->tr, &cfg));
  g->width = cfg.width;
  c1       = g->width / 3;
  c3       = g->width - 2 * c1;
  if (g->feature == FEAT_CONV) {
    PetscCheck(c1 >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-galerkin_feature conv needs -galerkin_enc_width >= 3, not %d", g->width);
    PetscCall(add_conv(p, "feat.conv0", d, cin, g->width, &g->conv[0]));
    PetscCall(add_conv(p, "feat.conv1", d, g->width, c1, &g->conv[1]));
    PetscCall(add_conv(p, "feat.conv2", d, c1, c1, &g->conv[2]));
    PetscCall(add_conv(p, "feat.conv3", d, c1, c3, &g->conv[3]));
  } else PetscCall(NeopParamsAddLinear(p, "feat.lift", cin, g->width, &g->lift_W, &g->lift_b));
  PetscCall(NeopTransformerSetUp(g->tr, p, "enc."));
  if (g->upscale) PetscCall(add_conv(p, "up.conv", d, g->width, g->width, &g->up));
  PetscCall(NeopParamsAddLinear(p, "dec.fc", g->width + d, g->freq, &g->fc_W, &g->fc_b));
  PetscCall(PetscCalloc1(g->dec_layers, &g->spec));
  PetscCall(PetscCalloc2(g->dec_layers, &g->lin_W, g->dec_layers, &g->lin_b));
  for (int i = 0; i < d; i++) prodm *= g->modes[i];
  for (int l = 0; l < g->dec_layers; l++) {
    /* the reference's xavier_normal_ with gain sqrt(cin + cout) / (cin cout): std 1 / (cin cout sqrt(prod modes)) */
    double std = 1.0 / ((double)g->freq * g->freq * sqrt((double)prodm));
    int    ws[6] = {g->freq, g->freq, 1, 1, 1, 2};
    for (int i = 0; i < d; i++) ws[2 + i] = g->modes[i];
    ws[2 + d] = 2;
    for (int c = 0; c < nc; c++) {
      PetscCall(PetscSNPrintf(name, sizeof(name), "dec.conv%d.weights%d", l, c + 1));
      PetscCall(NeopParamsAdd(p, name, 3 + d, ws, (NeopInit){NEOP_INIT_NORMAL, 0, std, 0, 0}, &g->spec[l][c]));
    }
    PetscCall(PetscSNPrintf(name, sizeof(name), "dec.conv%d.linear", l));
    PetscCall(NeopParamsAddLinear(p, name, g->freq, g->freq, &g->lin_W[l], &g->lin_b[l]));
  }
  PetscCall(NeopParamsAddLinear(p, "dec.reg1", g->freq, 2 * d * g->freq, &g->r1_W, &g->r1_b));
  PetscCall(NeopParamsAddLinear(p, "dec.reg2", 2 * d * g->freq, m->out_channels, &g->r2_W, &g->r2_b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode galerkin_forward(NeopModel m, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  Galerkin    *g    = (Galerkin *)m->data;
  NeopConvSpec spec = {{1, 1}, {1, 1}, {0, 0}, NEOP_PAD_ZERO};
  NeopTensor  *h, *v, *parts[3], *tok, *z, *k, *s;

  PetscFunctionBegin;
  PetscCall(NeopOpAppendGrid(t, x, &h)); /* (N, Cin + d, *S) */
  if (g->feature == FEAT_CONV) {
    PetscCall(NeopOpConv(t, h, g->conv[0], NULL, &spec, &v));
    PetscCall(NeopOpUnary(t, g->feat_act, v, &v)); /* (N, width, *S) */
    for (int i = 0; i < 3; i++) {
      PetscCall(NeopOpConv(t, i ? parts[i - 1] : v, g->conv[i + 1], NULL, &spec, &parts[i]));
      PetscCall(NeopOpUnary(t, g->feat_act, parts[i], &parts[i]));
    }
    PetscCall(NeopOpConcat(t, 3, parts, 1, &v)); /* (N, width, *S) */
  } else PetscCall(NeopOpChannelLinear(t, h, g->lift_W, g->lift_b, &v));
  PetscCall(NeopOpFieldToTokens(t, v, NULL, &tok)); /* (N, P, width) */
  PetscCall(NeopTransformerSetGrid(g->tr, m->dim, x->shape + 2));
  PetscCall(NeopTransformerForward(g->tr, t, tok, &z));
  PetscCall(NeopOpTokensToField(t, z, x, &v)); /* (N, width, *S) */
  if (g->upscale) {
    PetscCall(NeopOpConv(t, v, g->up, NULL, &spec, &v));
    PetscCall(NeopOpUnary(t, g->act, v, &v));
    PetscCall(NeopOpUnary(t, g->act, v, &v));
  }
  PetscCall(NeopOpAppendGrid(t, v, &h));                        /* (N, width + d, *S) */
  PetscCall(NeopOpChannelLinear(t, h, g->fc_W, g->fc_b, &v));   /* (N, freq, *S) */
  for (int l = 0; l < g->dec_layers; l++) {
    PetscCall(NeopOpSpectralConv(t, g->transform, v, NeopSpectralCorners(m->dim), g->spec[l], &k));
    PetscCall(NeopOpChannelLinear(t, v, g->lin_W[l], g->lin_b[l], &s));
    PetscCall(NeopOpAdd(t, k, s, &v));
    PetscCall(NeopOpUnary(t, g->act, v, &v));
  }
  PetscCall(NeopOpChannelLinear(t, v, g->r1_W, g->r1_b, &h)); /* (N, 2 d freq, *S) */
  PetscCall(NeopOpUnary(t, g->act, h, &h));
  PetscCall(NeopOpChannelLinear(t, h, g->r2_W, g->r2_b, y)); /* (N, Cout, *S) */
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode galerkin_view(NeopModel m, PetscViewer viewer)
{
  Galerkin *g = (Galerkin *)m->data;
  int       d = m->dim;

  PetscFunctionBegin;
  if (g->feature == FEAT_CONV)
    PetscCall(PetscViewerASCIIPrintf(viewer, "Galerkin Transformer: grid appended, conv features %d -> %d (%s), then 3 convs cat (%d, %d, %d)\n",
                                     m->in_channels + d, g->width, NeopUnaryKindName(g->feat_act), g->width / 3, g->width / 3,
                                     g->width - 2 * (g->width / 3)));
  else PetscCall(PetscViewerASCIIPrintf(viewer, "Galerkin Transformer: grid appended, linear lift %d -> %d\n", m->in_channels + d, g->width));
  if (g->tr) PetscCall(NeopTransformerView(g->tr, viewer));
  if (g->upscale) PetscCall(PetscViewerASCIIPrintf(viewer, "up-scaler: conv %d -> %d, %s twice\n", g->width, g->width, NeopUnaryKindName(g->act)));
  PetscCall(PetscViewerASCIIPrintf(viewer, "spectral decoder: grid appended, linear %d -> %d, %d x %s(SpectralConv + linear) modes %d%s, MLP %d -> %d -> %d\n",
                                   g->width + d, g->freq, g->dec_layers, NeopUnaryKindName(g->act), g->modes[0], d > 1 ? " (per dim)" : "",
                                   g->freq, 2 * d * g->freq, m->out_channels));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode galerkin_destroy(NeopModel m)
{
  Galerkin *g = (Galerkin *)m->data;

  PetscFunctionBegin;
  PetscCall(NeopTransformerDestroy(&g->tr));
  PetscCall(PetscFree(g->spec));
  PetscCall(PetscFree2(g->lin_W, g->lin_b));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate_Galerkin(NeopModel m)
{
  Galerkin *g;

  PetscFunctionBegin;
  PetscCall(PetscNew(&g));
  g->feature            = FEAT_CONV;
  g->feat_act           = NEOP_UNARY_RELU;
  g->act                = NEOP_UNARY_SILU;
  g->upscale            = PETSC_TRUE;
  g->freq               = 32;
  g->dec_layers         = 2;
  for (int i = 0; i < 3; i++) g->modes[i] = 12;
  g->transform          = NEOP_SPECTRAL_AUTO;
  m->data               = g;
  m->ops.setfromoptions = galerkin_setfromoptions;
  m->ops.setup          = galerkin_setup;
  m->ops.forward        = galerkin_forward;
  m->ops.view           = galerkin_view;
  m->ops.destroy        = galerkin_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
