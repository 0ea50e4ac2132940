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

typedef PetscErrorCode (*ForwardFn)(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y);

static double maxabs(int64_t n, const float *v)
{
  double mx = 0;
  for (int64_t i = 0; i < n; i++) mx = fmax(mx, fabs(v[i]));
  return mx;
}

static void compare(const char *what, int64_t n, const float *a, const float *ref, double floor)
{
  NeopTestClose(what, n, a, ref, 1e-4, fmax(1e-4 * maxabs(n, ref), floor));
}

/* Loads the case's parameters into p, runs forward and backward with the loss sum(y * w), compares. */
static PetscErrorCode run_case(const char *cs, NeopParams *p, int xdim, const int *xshape, ForwardFn fn, void *ctx)
{
  NeopTape   *t;
  NeopTensor *x, *y;
  float      *v, *g;
  int64_t     n, nfix = 0;
  double      gmax;
  char        name[160];

  PetscFunctionBegin;
  for (int i = 0; i < p->n; i++) {
    NeopParam *q = p->list[i];
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/p/%s", cs, q->name));
    PetscCall(NeopTestReadFixture(FIX, name, &v, &n));
    PetscCheck(n == q->tensor.size, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: %lld values in the fixture, %lld in neop", name, (long long)n,
               (long long)q->tensor.size);
    PetscCall(PetscArraycpy(q->tensor.data, v, n));
    PetscCall(PetscFree(v));
    nfix += n;
  }
  PetscCall(NeopParamsZeroGrad(p));
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, xdim, xshape, &x));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/x", cs));
  PetscCall(NeopTestReadFixture(FIX, name, &v, &n));
  PetscCheck(n == x->size, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: %lld values, expected %lld", name, (long long)n, (long long)x->size);
  PetscCall(PetscArraycpy(x->data, v, n));
  PetscCall(PetscFree(v));
  x->requires_grad = PETSC_TRUE;
  PetscCall(fn(ctx, t, x, &y));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/y", cs));
  PetscCall(NeopTestReadFixture(FIX, name, &v, &n));
  PetscCheck(n == y->size, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "%s: %lld values, neop gives %lld", name, (long long)n, (long long)y->size);
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s: output", cs));
  compare(name, n, y->data, v, 0);
  PetscCall(PetscFree(v));
  /* backward seeded with w */
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/w", cs));
  PetscCall(NeopTestReadFixture(FIX, name, &v, &n));
  PetscCall(NeopTapeGrad(t, y, &g));
  PetscCall(PetscArraycpy(g, v, n));
  PetscCall(PetscFree(v));
  for (int i = t->nnodes - 1; i >= 0; i--)
    if (t->nodes[i].out->grad) PetscCall(t->nodes[i].backward(t, &t->nodes[i]));
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/dx", cs));
  PetscCall(NeopTestReadFixture(FIX, name, &v, &n));
  gmax = maxabs(n, v);
  for (int i = 0; i < p->n; i++) {
    float *gr;
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/g/%s", cs, p->list[i]->name));
    PetscCall(NeopTestReadFixture(FIX, name, &gr, &n));
    gmax = fmax(gmax, maxabs(n, gr));
    PetscCall(PetscFree(gr));
  }
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s: input gradient", cs));
  compare(name, x->size, x->grad, v, 1e-6 * gmax);
  PetscCall(PetscFree(v));
  for (int i = 0; i < p->n; i++) {
    NeopParam *q = p->list[i];
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s/g/%s", cs, q->name));
    PetscCall(NeopTestReadFixture(FIX, name, &v, &n));
    PetscCall(PetscSNPrintf(name, sizeof(name), "%s: gradient of %s", cs, q->name));
    compare(name, n, q->tensor.grad, v, 1e-6 * gmax);
    PetscCall(PetscFree(v));
  }
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s/nparams", cs));
  PetscCall(NeopTestReadFixture(FIX, name, &v, &n));
  NeopTestCheck(nfix == (int64_t)v[0], "%s: neop has %lld parameter values, PyTorch %lld", cs, (long long)nfix, (long long)v[0]);
  PetscCall(PetscFree(v));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

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
    PetscCall(run_case("layer_norm", p, 3, xs, ln_fn, &ln));
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
      PetscCall(run_case(cases[c], p, 3, xs, attn_fn, &a));
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
      PetscCall(run_case(cases[c], p, 3, xs, ffn_fn, &f));
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
    PetscCall(run_case("block", p, 3, xs, block_fn, &b));
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
    PetscCall(run_case("transolver", m->params, 4, xs, model_fn, m));
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
