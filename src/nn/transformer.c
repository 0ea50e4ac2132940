/* NeopTransformer: L pre-norm blocks and an optional final layer norm, a
   component that models embed under their own option prefix and parameter
   name prefix. */
#include <neop/nn/transformer.h>

#define NEOP_LN_EPS 1e-5

struct NeopTransformer_s {
  MPI_Comm              comm;
  char                  prefix[64];
  NeopTransformerConfig cfg;
  NeopTransformerBlock *blocks; /* [cfg.layers] */
  NeopLayerNorm         final;
  PetscBool             setup;
  int                   dim; /* spatial dims of the token grid (spectral blocks) */
};

PetscErrorCode NeopTransformerCreate(MPI_Comm comm, NeopTransformer *tr)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(tr));
  (*tr)->comm = comm;
  (*tr)->cfg  = (NeopTransformerConfig){.layers     = 4,
                                        .width      = 64,
                                        .heads      = 4,
                                        .slices     = 32,
                                        .mlp_ratio  = 4,
                                        .attention  = NEOP_ATTN_SOFTMAX,
                                        .ffn        = NEOP_FFN_GELU,
                                        .final_norm = PETSC_TRUE,
                                        .init_std   = 0};
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerSetOptionsPrefix(NeopTransformer tr, const char *prefix)
{
  PetscFunctionBegin;
  PetscCall(PetscStrncpy(tr->prefix, prefix ? prefix : "", sizeof(tr->prefix)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerSetDefaults(NeopTransformer tr, const NeopTransformerConfig *cfg)
{
  PetscFunctionBegin;
  PetscCheck(!tr->setup, tr->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopTransformerSetDefaults after SetUp");
  tr->cfg = *cfg;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerGetConfig(NeopTransformer tr, NeopTransformerConfig *cfg)
{
  PetscFunctionBegin;
  *cfg = tr->cfg;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerSetFromOptions(NeopTransformer tr)
{
  NeopTransformerConfig *c = &tr->cfg;
  PetscInt               layers = c->layers, width = c->width, heads = c->heads, slices = c->slices, conv = c->conv_embed;
  PetscEnum              att = (PetscEnum)c->attention, ffn = (PetscEnum)c->ffn;
  const char            *p = tr->prefix;
  PetscInt               nspec = c->spectral_layers, modes[3];
  PetscInt               nmodes = 3;
  PetscEnum              sxf = (PetscEnum)c->spectral_transform;

  for (int i = 0; i < 3; i++) modes[i] = c->spectral_modes[i] ? c->spectral_modes[i] : 12;

  PetscFunctionBegin;
  PetscOptionsBegin(tr->comm, tr->prefix, "Transformer backbone", NULL);
  PetscCall(PetscOptionsInt("-layers", "number of blocks", NULL, layers, &layers, NULL));
  PetscCall(PetscOptionsInt("-width", "features per token", NULL, width, &width, NULL));
  PetscCall(PetscOptionsInt("-heads", "attention heads", NULL, heads, &heads, NULL));
  PetscCall(PetscOptionsEnum("-attention", "attention kind", NULL, NeopAttentionTypes, att, &att, NULL));
  PetscCall(PetscOptionsInt("-slices", "physics attention: slices M per head", NULL, slices, &slices, NULL));
  PetscCall(PetscOptionsReal("-mlp_ratio", "feed-forward hidden width / width", NULL, c->mlp_ratio, &c->mlp_ratio, NULL));
  PetscCall(PetscOptionsEnum("-ffn", "feed-forward kind", NULL, NeopFFNTypes, ffn, &ffn, NULL));
  PetscCall(PetscOptionsBool("-final_norm", "layer norm after the last block", NULL, c->final_norm, &c->final_norm, NULL));
  PetscCall(PetscOptionsInt("-conv_embed", "physics attention on 2-D grids: kernel of conv x / fx projections (Transolver's structured mesh), 0: Linear",
                            NULL, conv, &conv, NULL));
  PetscCall(PetscOptionsReal("-init_std", "weights N(0, std^2), biases 0; 0: PyTorch's Linear default", NULL, c->init_std,
                             &c->init_std, NULL));
  PetscCall(PetscOptionsInt("-spectral_layers", "the first k blocks mix tokens by spectral gating over the grid (SpectFormer), the rest by attention",
                            NULL, nspec, &nspec, NULL));
  PetscCall(PetscOptionsIntArray("-spectral_modes", "spectral blocks: kept Fourier modes, one value or one per dim", NULL, modes, &nmodes, NULL));
  PetscCall(PetscOptionsEnum("-spectral_transform", "spectral blocks: fft, dft, auto", NULL, NeopSpectralMethods, sxf, &sxf, NULL));
  PetscOptionsEnd();
  if (nmodes == 1) modes[1] = modes[2] = modes[0];
  PetscCheck(nspec >= 0 && nspec <= layers, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sspectral_layers %d: must be in [0, -%slayers %d]", p,
             (int)nspec, p, (int)layers);
  for (int i = 0; i < 3; i++)
    PetscCheck(modes[i] >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sspectral_modes: %d modes in dim %d, need >= 1", p, (int)modes[i], i + 1);
  PetscCheck(layers >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%slayers %d: need >= 1", p, (int)layers);
  PetscCheck(width >= 1 && heads >= 1 && width % heads == 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-%swidth %d must be a positive multiple of -%sheads %d", p, (int)width, p, (int)heads);
  PetscCheck(slices >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sslices %d: need >= 1", p, (int)slices);
  PetscCheck(c->mlp_ratio > 0 && c->mlp_ratio * width >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-%smlp_ratio %g gives no hidden feature at width %d", p, (double)c->mlp_ratio, (int)width);
  PetscCheck(c->init_std >= 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sinit_std %g: must be >= 0", p, (double)c->init_std);
  PetscCheck(conv == 0 || (conv > 0 && conv % 2 == 1 && (NeopAttentionType)att == NEOP_ATTN_PHYSICS), tr->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-%sconv_embed %d: 0 or an odd kernel size, with -%sattention physics", p, (int)conv, p);
  c->conv_embed = (int)conv;
  c->spectral_layers    = (int)nspec;
  c->spectral_transform = (NeopSpectralMethod)sxf;
  for (int i = 0; i < 3; i++) c->spectral_modes[i] = (int)modes[i];
  c->layers    = (int)layers;
  c->width     = (int)width;
  c->heads     = (int)heads;
  c->slices    = (int)slices;
  c->attention = (NeopAttentionType)att;
  c->ffn       = (NeopFFNType)ffn;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerRecordOptions(NeopTransformer tr, NeopModel m)
{
  const NeopTransformerConfig *c = &tr->cfg;
  char                         n[64];

#define RECORD(opt, fmt, val) \
  do { \
    PetscCall(PetscSNPrintf(n, sizeof(n), "-%s" opt, tr->prefix)); \
    PetscCall(NeopModelRecordOption(m, n, fmt, val)); \
  } while (0)
  PetscFunctionBegin;
  RECORD("layers", "%d", c->layers);
  RECORD("width", "%d", c->width);
  RECORD("heads", "%d", c->heads);
  RECORD("attention", "%s", NeopAttentionTypes[c->attention]);
  RECORD("slices", "%d", c->slices);
  RECORD("mlp_ratio", "%.17g", (double)c->mlp_ratio);
  RECORD("ffn", "%s", NeopFFNTypes[c->ffn]);
  RECORD("final_norm", "%s", c->final_norm ? "true" : "false");
  RECORD("init_std", "%.17g", (double)c->init_std);
  RECORD("conv_embed", "%d", c->conv_embed);
  if (c->spectral_layers) {
    char modes[48];
    PetscCall(PetscSNPrintf(modes, sizeof(modes), "%d,%d,%d", c->spectral_modes[0], c->spectral_modes[1], c->spectral_modes[2]));
    RECORD("spectral_layers", "%d", c->spectral_layers);
    RECORD("spectral_modes", "%s", modes);
    RECORD("spectral_transform", "%s", NeopSpectralMethods[c->spectral_transform]);
  }
#undef RECORD
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerSetUp(NeopTransformer tr, NeopParams *p, const char *name_prefix)
{
  const NeopTransformerConfig *c      = &tr->cfg;
  NeopTransformerInit          init   = {c->init_std};
  int                          hidden = (int)(c->mlp_ratio * c->width + 0.5);
  char                         buf[64];

  PetscFunctionBegin;
  PetscCheck(!tr->setup, tr->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopTransformerSetUp called twice");
  PetscCall(PetscCalloc1(c->layers, &tr->blocks));
  for (int l = 0; l < c->layers; l++) {
    NeopTransformerBlock *b = &tr->blocks[l];
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%sblocks.%d.ln1", name_prefix, l));
    PetscCall(NeopLayerNormSetUp(&b->ln1, p, buf, 1, c->width, NEOP_LN_EPS));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%sblocks.%d.attn", name_prefix, l));
    if (l < c->spectral_layers) {
      PetscCheck(tr->dim >= 1, tr->comm, PETSC_ERR_ARG_WRONGSTATE,
                 "-%sspectral_layers %d: the model did not give the grid's dimension (NeopTransformerSetSpatialDim)", tr->prefix, c->spectral_layers);
      PetscCall(PetscSNPrintf(buf, sizeof(buf), "%sblocks.%d.spectral", name_prefix, l));
      PetscCall(NeopSpectralMixerSetUp(&b->spec, p, buf, c->width, tr->dim, c->spectral_modes, c->spectral_transform));
    } else if (c->conv_embed) PetscCall(NeopAttentionLayerSetUpConv(&b->attn, p, buf, c->width, c->heads, c->slices, c->conv_embed, init));
    else PetscCall(NeopAttentionLayerSetUp(&b->attn, p, buf, c->attention, c->width, c->heads, c->slices, init));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%sblocks.%d.ln2", name_prefix, l));
    PetscCall(NeopLayerNormSetUp(&b->ln2, p, buf, 1, c->width, NEOP_LN_EPS));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%sblocks.%d.ffn", name_prefix, l));
    PetscCall(NeopFeedForwardSetUp(&b->ffn, p, buf, c->ffn, c->width, hidden, init));
  }
  if (c->final_norm) {
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%sfinal_norm", name_prefix));
    PetscCall(NeopLayerNormSetUp(&tr->final, p, buf, 1, c->width, NEOP_LN_EPS));
  }
  tr->setup = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerSetSpatialDim(NeopTransformer tr, int dim)
{
  PetscFunctionBegin;
  PetscCheck(!tr->setup, tr->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopTransformerSetSpatialDim after SetUp");
  PetscCheck(dim >= 1 && dim <= 3, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "transformer: %d spatial dims, need 1 to 3", dim);
  tr->dim = dim;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerSetGrid(NeopTransformer tr, int dim, const int *S)
{
  PetscFunctionBegin;
  PetscCheck(tr->setup, tr->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopTransformerSetGrid before SetUp");
  PetscCheck(!tr->cfg.conv_embed || dim == 2, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "-%sconv_embed %d needs 2-D fields, not %d-D", tr->prefix, tr->cfg.conv_embed, dim);
  for (int l = 0; l < tr->cfg.layers; l++) {
    tr->blocks[l].attn.grid[0] = dim == 2 ? S[0] : 0;
    tr->blocks[l].attn.grid[1] = dim == 2 ? S[1] : 0;
  }
  PetscCheck(!tr->cfg.spectral_layers || dim == tr->dim, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "-%sspectral_layers: blocks set up for %d-D grids got a %d-D grid", tr->prefix, tr->dim, dim);
  for (int l = 0; l < tr->cfg.spectral_layers; l++)
    for (int i = 0; i < dim; i++) tr->blocks[l].spec.grid[i] = S[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerForward(NeopTransformer tr, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  char buf[96];

  PetscFunctionBegin;
  PetscCheck(tr->setup, tr->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopTransformerForward before SetUp");
  PetscCheck(x->ndim == 3 && x->shape[2] == tr->cfg.width, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "transformer: input %s is not (N, tokens, %d)", NeopTensorShapeString(x, buf, sizeof(buf)), tr->cfg.width);
  for (int l = 0; l < tr->cfg.layers; l++) {
    if (l < tr->cfg.spectral_layers) PetscCall(NeopTransformerSpectralBlockForward(&tr->blocks[l], t, x, &x));
    else PetscCall(NeopTransformerBlockForward(&tr->blocks[l], t, x, &x));
  }
  if (tr->cfg.final_norm) PetscCall(NeopLayerNormForward(&tr->final, t, x, &x));
  *y = x;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerView(NeopTransformer tr, PetscViewer viewer)
{
  const NeopTransformerConfig *c = &tr->cfg;
  char                         sl[64] = "";

  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(tr->comm, &viewer));
  if (c->attention == NEOP_ATTN_PHYSICS)
    PetscCall(PetscSNPrintf(sl, sizeof(sl), c->conv_embed ? " (%d slices, %dx%d conv projections)" : " (%d slices)", c->slices,
                            c->conv_embed, c->conv_embed));
  PetscCall(PetscViewerASCIIPrintf(viewer, "transformer: %d pre-norm blocks, width %d, %d heads, %s attention%s, %s feed-forward x%g%s\n",
                                   c->layers, c->width, c->heads, NeopAttentionTypes[c->attention], sl, NeopFFNTypes[c->ffn],
                                   (double)c->mlp_ratio, c->final_norm ? ", final layer norm" : ""));
  if (c->spectral_layers)
    PetscCall(PetscViewerASCIIPrintf(viewer, "transformer: the first %d block%s mix tokens by spectral gating (modes %d x %d x %d, %s transforms)\n",
                                     c->spectral_layers, c->spectral_layers > 1 ? "s" : "", c->spectral_modes[0], c->spectral_modes[1],
                                     c->spectral_modes[2], NeopSpectralMethods[c->spectral_transform]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerDestroy(NeopTransformer *tr)
{
  PetscFunctionBegin;
  if (!*tr) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*tr)->blocks));
  PetscCall(PetscFree(*tr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
