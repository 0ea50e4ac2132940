/* Transformer layers and the Transolver model against PyTorch on the same
   weights and inputs: outputs, input gradients and every parameter gradient
   (fixture from tests/reference/transformer.py). Tolerance: 1e-4 relative to
   each array's largest magnitude; gradients that are exactly zero in exact
   arithmetic (the key bias under softmax: a shift of every score of a row) are
   float32 rounding in neop, so the floor is 1e-6 of the case's largest gradient. */
#include "testing.h"
#include <neop/nn/transformer.h>
#include <neop/models.h>
#include <math.h>

#define FIX "transformer.h5"

#define FIX "transformer.h5"

static PetscErrorCode ln_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopLayerNormForward((NeopLayerNorm *)ctx, t, x, y); }
static PetscErrorCode attn_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopAttentionLayerForward((NeopAttentionLayer *)ctx, t, x, y); }
static PetscErrorCode ffn_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopFeedForwardForward((NeopFeedForward *)ctx, t, x, y); }
static PetscErrorCode block_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopTransformerBlockForward((NeopTransformerBlock *)ctx, t, x, y); }
static PetscErrorCode model_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopModelForward((NeopModel)ctx, t, x, y); }

int main(int argc, char **argv)
{
  const int           W = 8, H = 2;
  NeopTransformerInit init = {0};

  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    NeopParams   *p;
    NeopLayerNorm ln;
    int           xs[3] = {2, 5, W};
    PetscCall(NeopParamsCreate(&p));
    PetscCall(NeopLayerNormSetUp(&ln, p, "ln", 1, W, 1e-5));
    PetscCall(NeopParamsFinalize(p, 1));
    PetscCall(NeopTestTorchCase(FIX, "layer_norm", p, 3, xs, ln_fn, &ln));
    PetscCall(NeopParamsDestroy(&p));
  }
  {
    const char       *cases[4] = {"attn_softmax", "attn_galerkin", "attn_norm", "attn_physics"};
    NeopAttentionType types[4] = {NEOP_ATTN_SOFTMAX, NEOP_ATTN_GALERKIN, NEOP_ATTN_NORM, NEOP_ATTN_PHYSICS};
    for (int c = 0; c < 4; c++) {
      NeopParams        *p;
      NeopAttentionLayer a;
      int                xs[3] = {c == 0 ? 1 : 2, c == 0 ? 70 : 12, W};
      PetscCall(NeopParamsCreate(&p));
      PetscCall(NeopAttentionLayerSetUp(&a, p, "attn", types[c], W, H, 4, init));
      PetscCall(NeopParamsFinalize(p, 1));
      PetscCall(NeopTestTorchCase(FIX, cases[c], p, 3, xs, attn_fn, &a));
      PetscCall(NeopParamsDestroy(&p));
    }
  }
  {
    const char *cases[3] = {"ffn_gelu", "ffn_geglu", "ffn_swiglu"};
    for (int c = 0; c < 3; c++) {
      NeopParams     *p;
      NeopFeedForward f;
      int             xs[3] = {2, 7, W};
      PetscCall(NeopParamsCreate(&p));
      PetscCall(NeopFeedForwardSetUp(&f, p, "ffn", (NeopFFNType)c, W, 12, init));
      PetscCall(NeopParamsFinalize(p, 1));
      PetscCall(NeopTestTorchCase(FIX, cases[c], p, 3, xs, ffn_fn, &f));
      PetscCall(NeopParamsDestroy(&p));
    }
  }
  {
    NeopParams          *p;
    NeopTransformerBlock b;
    int                  xs[3] = {2, 12, W};
    PetscCall(NeopParamsCreate(&p));
    PetscCall(NeopLayerNormSetUp(&b.ln1, p, "block.ln1", 1, W, 1e-5));
    PetscCall(NeopAttentionLayerSetUp(&b.attn, p, "block.attn", NEOP_ATTN_GALERKIN, W, H, 1, init));
    PetscCall(NeopLayerNormSetUp(&b.ln2, p, "block.ln2", 1, W, 1e-5));
    PetscCall(NeopFeedForwardSetUp(&b.ffn, p, "block.ffn", NEOP_FFN_SWIGLU, W, 12, init));
    PetscCall(NeopParamsFinalize(p, 1));
    PetscCall(NeopTestTorchCase(FIX, "block", p, 3, xs, block_fn, &b));
    PetscCall(NeopParamsDestroy(&p));
  }
  {
    /* tiny Transolver: 2 layers, 2 heads, width 16, 4 slices, unified positions on a 4 x 4 reference grid, 8 x 8 fields */
    NeopModel m;
    int       xs[4] = {2, 1, 8, 8};
    PetscCall(PetscOptionsSetValue(NULL, "-model", "transolver"));
    PetscCall(PetscOptionsSetValue(NULL, "-transolver_layers", "2"));
    PetscCall(PetscOptionsSetValue(NULL, "-transolver_heads", "2"));
    PetscCall(PetscOptionsSetValue(NULL, "-transolver_width", "16"));
    PetscCall(PetscOptionsSetValue(NULL, "-transolver_slices", "4"));
    PetscCall(PetscOptionsSetValue(NULL, "-transolver_ref", "4"));
    PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
    PetscCall(NeopModelSetShape(m, 2, 1, 1));
    PetscCall(NeopModelSetFromOptions(m));
    PetscCall(NeopModelSetUp(m));
    PetscCall(NeopTestTorchCase(FIX, "transolver", m->params, 4, xs, model_fn, m));
    {
      PetscBool found = PETSC_FALSE;
      for (int i = 0; i < m->noptions; i++)
        if (!strcmp(m->option_name[i], "-transolver_slices") && !strcmp(m->option_value[i], "4")) found = PETSC_TRUE;
      NeopTestCheck(found && m->noptions >= 15, "transolver records its %d options (-transolver_slices 4 among them)", m->noptions);
    }
    PetscCall(NeopModelDestroy(&m));
  }
  {
    /* the Darcy defaults have as many parameters as the PyTorch module of the same structure */
    NeopModel   m;
    const char *opts[5] = {"-transolver_layers", "-transolver_heads", "-transolver_width", "-transolver_slices", "-transolver_ref"};
    float      *v;
    int64_t     n;
    for (int i = 0; i < 5; i++) PetscCall(PetscOptionsClearValue(NULL, opts[i]));
    PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
    PetscCall(NeopModelSetShape(m, 2, 1, 1));
    PetscCall(NeopModelSetFromOptions(m));
    PetscCall(NeopModelSetUp(m));
    PetscCall(NeopTestReadFixture(FIX, "transolver_darcy_nparams", &v, &n));
    NeopTestCheck(NeopModelParameterCount(m) == (int64_t)v[0], "Transolver Darcy defaults: %lld parameters, PyTorch %lld",
                  (long long)NeopModelParameterCount(m), (long long)v[0]);
    PetscCall(PetscFree(v));
    PetscCall(NeopModelDestroy(&m));
  }
  return NeopTestFinalize();
}
