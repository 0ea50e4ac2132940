/* The Galerkin Transformer model and Transolver with 3x3 convolutional
   projections against PyTorch on the same weights and inputs: outputs, input
   gradients and every parameter gradient (fixture from
   tests/reference/galerkin.py). Tolerance: 1e-4 relative to each array's
   largest magnitude (floor 1e-6 of the case's largest gradient), as
   test_transformer_torch. */
#include "testing.h"
#include <neop/nn/transformer.h>
#include <neop/models.h>
#include <math.h>

#define FIX "galerkin.h5"

static PetscErrorCode model_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopModelForward((NeopModel)ctx, t, x, y); }

static PetscErrorCode set_options(int n, const char *const *kv)
{
  PetscFunctionBegin;
  for (int i = 0; i < n; i++) PetscCall(PetscOptionsSetValue(NULL, kv[2 * i], kv[2 * i + 1]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode clear_options(int n, const char *const *kv)
{
  PetscFunctionBegin;
  for (int i = 0; i < n; i++) PetscCall(PetscOptionsClearValue(NULL, kv[2 * i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool recorded(NeopModel m, const char *name, const char *value)
{
  for (int i = 0; i < m->noptions; i++)
    if (!strcmp(m->option_name[i], name) && !strcmp(m->option_value[i], value)) return PETSC_TRUE;
  return PETSC_FALSE;
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    /* tiny Galerkin Transformer: width 12, 2 heads, 2 layers, ffn 24, decoder 6 channels, 3 modes, 8 x 8 fields */
    const char *const kv[][2] = {{"-model", "galerkin"},       {"-galerkin_enc_width", "12"}, {"-galerkin_enc_heads", "2"},
                                 {"-galerkin_enc_layers", "2"}, {"-galerkin_freq_dim", "6"},   {"-galerkin_modes", "3"}};
    NeopModel m;
    int       xs[4] = {2, 1, 8, 8};
    PetscCall(set_options(6, &kv[0][0]));
    PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
    PetscCall(NeopModelSetShape(m, 2, 1, 1));
    PetscCall(NeopModelSetFromOptions(m));
    PetscCall(NeopModelSetUp(m));
    PetscCall(NeopTestTorchCase(FIX, "galerkin", m->params, 4, xs, model_fn, m));
    NeopTestCheck(recorded(m, "-galerkin_enc_attention", "galerkin") && recorded(m, "-galerkin_modes", "3,3") &&
                    recorded(m, "-galerkin_freq_dim", "6"),
                  "galerkin records its options (%d)", m->noptions);
    PetscCall(NeopModelDestroy(&m));
    PetscCall(clear_options(6, &kv[0][0]));
  }
  {
    /* Darcy settings (config.yml ex2_darcy): as many parameters as the PyTorch module */
    NeopModel m;
    float    *v;
    int64_t   n;
    PetscCall(PetscOptionsSetValue(NULL, "-model", "galerkin"));
    PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
    PetscCall(NeopModelSetShape(m, 2, 1, 1));
    PetscCall(NeopModelSetFromOptions(m));
    PetscCall(NeopModelSetUp(m));
    PetscCall(NeopTestReadFixture(FIX, "galerkin_darcy_nparams", &v, &n));
    NeopTestCheck(NeopModelParameterCount(m) == (int64_t)v[0], "Galerkin Darcy defaults: %lld parameters, PyTorch %lld",
                  (long long)NeopModelParameterCount(m), (long long)v[0]);
    PetscCall(PetscFree(v));
    PetscCall(NeopModelDestroy(&m));
  }
  {
    /* Transolver with 3x3 conv projections: 2 layers, 2 heads, width 8, 3 slices, 4 x 4 unified positions, 6 x 7 fields */
    const char *const kv[][2] = {{"-model", "transolver"},       {"-transolver_layers", "2"}, {"-transolver_heads", "2"},
                                 {"-transolver_width", "8"},     {"-transolver_slices", "3"}, {"-transolver_ref", "4"},
                                 {"-transolver_conv_embed", "3"}};
    NeopModel m;
    int       xs[4] = {2, 1, 6, 7};
    PetscCall(set_options(7, &kv[0][0]));
    PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
    PetscCall(NeopModelSetShape(m, 2, 1, 1));
    PetscCall(NeopModelSetFromOptions(m));
    PetscCall(NeopModelSetUp(m));
    PetscCall(NeopTestTorchCase(FIX, "transolver_conv", m->params, 4, xs, model_fn, m));
    NeopTestCheck(recorded(m, "-transolver_conv_embed", "3"), "transolver records -transolver_conv_embed 3");
    PetscCall(NeopModelDestroy(&m));
    PetscCall(clear_options(7, &kv[0][0]));
  }
  return NeopTestFinalize();
}
