/* Transolver (Wu et al., ICML 2024) on structured grids.

   Fields (N, Cin, *S) become tokens (N, P, Cin + Cp) with Cp positional
   features appended; then, as in the official code:
     preprocess  Linear(Cin + Cp, 2 width) -> GELU -> Linear(2 width, width)
     L blocks    x + PhysicsAttn(LN(x)), x + MLP(LN(x)), MLP = Linear -> GELU -> Linear (mlp_ratio)
     head        LN -> Linear(width, Cout)
   and the tokens are reshaped back to (N, Cout, *S). Positions: the official
   Darcy script's "unified" distances to a ref^dim reference grid (default),
   the grid coordinates, or Fourier features of them. Weights N(0, 0.02^2)
   (timm's trunc_normal_ with std 0.02 truncates at +-2, i.e. 100 std), zero biases,
   temperature 0.5.

   Its structured-mesh attention (Physics_Attention_Structured_Mesh_2D) projects
   x and fx with 3x3 convolutions: -transolver_conv_embed 3 (2-D only); the
   default 0 uses Linear layers, as its irregular-mesh variant. Its unused
   'placeholder' parameter (only read when no input field is given) is not
   created. */
#include <neop/models.h>
#include <neop/nn/transformer.h>

typedef enum { POS_UNIFIED, POS_GRID, POS_FOURIER } PosKind;
static const char *const pos_kinds[] = {"unified", "grid", "fourier", "PosKind", "POS_", NULL};

typedef struct {
  NeopTransformer tr;
  PosKind         pos;
  int             ref, fourier_m;
  double          fourier_sigma;
  int             cp;                  /* positional features */
  NeopTensor     *W1, *b1, *W2, *b2;   /* preprocess: (2 width, Cin + Cp), (width, 2 width) */
  NeopTensor     *Wh, *bh;             /* head (Cout, width) */
  NeopTensor      posT;                /* (P, Cp) positions of the last grid seen, backend memory */
  int             posS[3];
} Transolver;

static PetscErrorCode transolver_setfromoptions(NeopModel m, PetscOptionItems *PetscOptionsObject)
{
  Transolver           *d   = (Transolver *)m->data;
  PetscEnum             pos = (PetscEnum)(m->point_set ? POS_GRID : d->pos); /* point sets: their coordinates */
  PetscInt              ref = d->ref, fm = d->fourier_m;
  NeopTransformerConfig cfg = {.layers     = 8,
                               .width      = 128,
                               .heads      = 8,
                               .slices     = 64,
                               .mlp_ratio  = 1,
                               .attention  = NEOP_ATTN_PHYSICS,
                               .ffn        = NEOP_FFN_GELU,
                               .final_norm = PETSC_TRUE,
                               .init_std   = 0.02,
                               .conv_embed = 0};

  PetscFunctionBegin;
  PetscOptionsHeadBegin(PetscOptionsObject, "Transolver");
  PetscCall(PetscOptionsEnum("-pos", "positional features", NULL, pos_kinds, pos, &pos, NULL));
  PetscCall(PetscOptionsInt("-ref", "unified position: reference points per dim", NULL, ref, &ref, NULL));
  PetscCall(PetscOptionsInt("-fourier_features", "Fourier position: frequencies m (2m features)", NULL, fm, &fm, NULL));
  PetscCall(PetscOptionsReal("-fourier_sigma", "Fourier position: std of the frequencies", NULL, d->fourier_sigma,
                             &d->fourier_sigma, NULL));
  PetscOptionsHeadEnd();
  PetscCheck(ref >= 2 && ref <= 64, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-transolver_ref %d: must be in [2, 64]", (int)ref);
  PetscCheck(fm >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-transolver_fourier_features %d: must be >= 1", (int)fm);
  PetscCheck(d->fourier_sigma > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-transolver_fourier_sigma %g: must be > 0", d->fourier_sigma);
  d->pos       = (PosKind)pos;
  d->ref       = (int)ref;
  d->fourier_m = (int)fm;
  PetscCall(NeopModelRecordOption(m, "-transolver_pos", "%s", pos_kinds[d->pos]));
  PetscCall(NeopModelRecordOption(m, "-transolver_ref", "%d", d->ref));
  PetscCall(NeopModelRecordOption(m, "-transolver_fourier_features", "%d", d->fourier_m));
  PetscCall(NeopModelRecordOption(m, "-transolver_fourier_sigma", "%.17g", d->fourier_sigma));
  /* the backbone reads -transolver_layers, -transolver_width, ... */
  if (!d->tr) PetscCall(NeopTransformerCreate(m->comm, &d->tr));
  PetscCall(NeopTransformerSetOptionsPrefix(d->tr, m->prefix));
  PetscCall(NeopTransformerSetDefaults(d->tr, &cfg));
  PetscCall(NeopTransformerSetFromOptions(d->tr));
  PetscCall(NeopTransformerSetSpatialDim(d->tr, m->dim));
  PetscCall(NeopTransformerRecordOptions(d->tr, m));
  if (m->point_set) {
    NeopTransformerConfig c;
    PetscCall(NeopTransformerGetConfig(d->tr, &c));
    PetscCheck(d->pos == POS_GRID, m->comm, PETSC_ERR_ARG_INCOMP,
               "-transolver_pos %s needs a grid; on point sets the positions are the nodes' coordinates: -transolver_pos grid", pos_kinds[d->pos]);
    PetscCheck(!c.conv_embed, m->comm, PETSC_ERR_ARG_INCOMP,
               "-transolver_conv_embed %d: conv projections need a structured grid; point sets (unstructured nodes) use Linear projections (-transolver_conv_embed 0)",
               c.conv_embed);
    PetscCheck(!c.spectral_layers, m->comm, PETSC_ERR_ARG_INCOMP,
               "-transolver_spectral_layers %d: spectral token mixing needs a structured grid, not a point set", c.spectral_layers);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode transolver_setup(NeopModel m)
{
  Transolver           *d = (Transolver *)m->data;
  NeopTransformerConfig cfg;
  NeopTransformerInit   init;
  int                   R = 1;

  PetscFunctionBegin;
  PetscCheck(d->tr, m->comm, PETSC_ERR_ARG_WRONGSTATE, "transolver: call NeopModelSetFromOptions before NeopModelSetUp");
  PetscCall(NeopTransformerGetConfig(d->tr, &cfg));
  init.std = cfg.init_std;
  for (int i = 0; i < m->dim; i++) R *= d->ref;
  d->cp = d->pos == POS_UNIFIED ? R : d->pos == POS_GRID ? m->dim : 2 * d->fourier_m;
  PetscCall(NeopTransformerLinearSetUp(m->params, "pre.fc1", 2 * cfg.width, m->in_channels + d->cp, PETSC_TRUE, init, &d->W1, &d->b1));
  PetscCall(NeopTransformerLinearSetUp(m->params, "pre.fc2", cfg.width, 2 * cfg.width, PETSC_TRUE, init, &d->W2, &d->b2));
  PetscCall(NeopTransformerSetUp(d->tr, m->params, ""));
  PetscCall(NeopTransformerLinearSetUp(m->params, "head", m->out_channels, cfg.width, PETSC_TRUE, init, &d->Wh, &d->bh));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* positions (P, Cp) for the grid of x, recomputed when the grid changes */
static PetscErrorCode transolver_positions(NeopModel m, const NeopTensor *x)
{
  Transolver        *d = (Transolver *)m->data;
  const NeopBackend *be = NeopBackendGet();
  int                S[3] = {1, 1, 1}, shape[2];
  float             *host;
  PetscBool          same = d->posT.data != NULL;

  PetscFunctionBegin;
  for (int i = 0; i < m->dim; i++) {
    S[i] = x->shape[2 + i];
    same = same && S[i] == d->posS[i];
  }
  if (same) PetscFunctionReturn(PETSC_SUCCESS);
  shape[0] = (int)NeopTensorStride(x, 2);
  shape[1] = d->cp;
  if (d->posT.data) PetscCall(be->free(d->posT.data));
  PetscCall(NeopTensorSetShape(&d->posT, 2, shape));
  PetscCall(be->alloc(sizeof(float) * (size_t)d->posT.size, (void **)&d->posT.data));
  PetscCall(PetscMalloc1(d->posT.size, &host));
  switch (d->pos) {
  case POS_UNIFIED:
    PetscCall(NeopPositionUnified(m->dim, S, d->ref, host));
    break;
  case POS_GRID:
    PetscCall(NeopPositionGrid(m->dim, S, host));
    break;
  case POS_FOURIER:
    PetscCall(NeopPositionFourier(m->dim, S, d->fourier_m, d->fourier_sigma, m->seed, host));
    break;
  }
  PetscCall(be->from_host(d->posT.data, host, sizeof(float) * (size_t)d->posT.size));
  PetscCall(PetscFree(host));
  for (int i = 0; i < 3; i++) d->posS[i] = S[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode transolver_forward(NeopModel m, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  Transolver *d = (Transolver *)m->data;
  NeopTensor *tok, *h, *g, *z, *o;

  PetscFunctionBegin;
  PetscCall(transolver_positions(m, x));
  PetscCall(NeopTransformerSetGrid(d->tr, m->dim, d->posS));
  PetscCall(NeopOpFieldToTokens(t, x, &d->posT, &tok)); /* (N, P, Cin + Cp) */
  PetscCall(NeopOpLinear(t, tok, d->W1, d->b1, &h));    /* (N, P, 2 width) */
  PetscCall(NeopOpUnary(t, NEOP_UNARY_GELU, h, &g));
  PetscCall(NeopOpLinear(t, g, d->W2, d->b2, &h));      /* (N, P, width) */
  PetscCall(NeopTransformerForward(d->tr, t, h, &z));
  PetscCall(NeopOpLinear(t, z, d->Wh, d->bh, &o));      /* (N, P, Cout) */
  PetscCall(NeopOpTokensToField(t, o, x, y));           /* (N, Cout, *S) */
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Point sets, as the official irregular-mesh code: tokens [pos, a] with the
   node coordinates as positions, Linear projections. */
static PetscErrorCode transolver_forward_points(NeopModel m, NeopTape *t, NeopTensor *x, NeopTensor *pos, NeopTensor **y)
{
  Transolver *d        = (Transolver *)m->data;
  NeopTensor *parts[2] = {pos, x}, *c, *tok, *h, *g, *z, *o;

  PetscFunctionBegin;
  PetscCall(NeopOpConcat(t, 2, parts, 1, &c));       /* (N, dim + Cin, P) */
  PetscCall(NeopOpFieldToTokens(t, c, NULL, &tok));  /* (N, P, dim + Cin) */
  PetscCall(NeopOpLinear(t, tok, d->W1, d->b1, &h)); /* (N, P, 2 width) */
  PetscCall(NeopOpUnary(t, NEOP_UNARY_GELU, h, &g));
  PetscCall(NeopOpLinear(t, g, d->W2, d->b2, &h));   /* (N, P, width) */
  PetscCall(NeopTransformerForward(d->tr, t, h, &z));
  PetscCall(NeopOpLinear(t, z, d->Wh, d->bh, &o));   /* (N, P, Cout) */
  PetscCall(NeopOpTokensToField(t, o, x, y));        /* (N, Cout, P) */
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode transolver_view(NeopModel m, PetscViewer viewer)
{
  Transolver *d = (Transolver *)m->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "Transolver: %s positions (%d features), preprocess MLP, linear head\n", pos_kinds[d->pos],
                                   d->cp));
  if (d->tr) PetscCall(NeopTransformerView(d->tr, viewer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode transolver_destroy(NeopModel m)
{
  Transolver *d = (Transolver *)m->data;

  PetscFunctionBegin;
  PetscCall(NeopTransformerDestroy(&d->tr));
  if (d->posT.data) PetscCall(NeopBackendGet()->free(d->posT.data));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate_Transolver(NeopModel m)
{
  Transolver *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  d->pos               = POS_UNIFIED;
  d->ref               = 8;
  d->fourier_m         = 16;
  d->fourier_sigma     = 1.0;
  m->data              = d;
  m->ops.setfromoptions = transolver_setfromoptions;
  m->ops.setup          = transolver_setup;
  m->ops.forward        = transolver_forward;
  m->ops.forward_points = transolver_forward_points;
  m->ops.view           = transolver_view;
  m->ops.destroy        = transolver_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
