/* MgNO's parameter count: the Darcy-rough defaults (4 layers, 24 channels,
   6 levels, pre-smoothing 1,1,1,1,1,2, no post-smoothing, one input and one
   output channel) have exactly 572,661 parameters (MgNO paper, DESIGN.md 7);
   options change it as the V-cycle says, and every option is recorded. */
#include "testing.h"
#include <neop/model.h>

static PetscErrorCode count(const char *opts, int dim, int cin, int64_t *n, NeopModel *keep)
{
  NeopModel m;

  PetscFunctionBegin;
  PetscCall(PetscOptionsClear(NULL));
  if (opts) PetscCall(PetscOptionsInsertString(NULL, opts));
  PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(NeopModelSetType(m, "mgno"));
  PetscCall(NeopModelSetShape(m, dim, cin, 1));
  PetscCall(NeopModelSetFromOptions(m));
  PetscCall(NeopModelSetUp(m));
  *n = NeopModelParameterCount(m);
  if (keep) *keep = m;
  else PetscCall(NeopModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *recorded(NeopModel m, const char *name)
{
  for (int i = 0; i < m->noptions; i++)
    if (!strcmp(m->option_name[i], name)) return m->option_value[i];
  return "";
}

int main(int argc, char **argv)
{
  int64_t   n, n1, n2;
  NeopModel m;
  PetscBool verbose_view = PETSC_FALSE;

  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-view", &verbose_view, NULL));
  PetscCall(count(NULL, 2, 1, &n, &m));
  NeopTestCheck(n == 572661, "Darcy-rough defaults: %lld parameters, the paper's MgNO has 572661", (long long)n);
  NeopTestCheck(!strcmp(recorded(m, "-mgno_pre_smooth"), "1,1,1,1,1,2"), "pre-smoothing recorded as 1,1,1,1,1,2 (%s)",
                recorded(m, "-mgno_pre_smooth"));
  NeopTestCheck(!strcmp(recorded(m, "-mgno_post_smooth"), "0,0,0,0,0,0"), "post-smoothing recorded (%s)",
                recorded(m, "-mgno_post_smooth"));
  NeopTestCheck(!strcmp(recorded(m, "-mgno_padding"), "zero") && !strcmp(recorded(m, "-mgno_residual_restriction"), "false") &&
                  !strcmp(recorded(m, "-mgno_levels"), "6") && !strcmp(recorded(m, "-mgno_channels"), "24") &&
                  !strcmp(recorded(m, "-mgno_layers"), "4") && !strcmp(recorded(m, "-mgno_grid"), "256") &&
                  !strcmp(recorded(m, "-mgno_activation"), "gelu"),
                "every option is recorded");
  if (verbose_view) PetscCall(NeopModelView(m, NULL));
  PetscCall(NeopModelDestroy(&m));
  /* the padding mode changes no parameter count */
  PetscCall(count("-mgno_padding circular", 2, 1, &n1, NULL));
  NeopTestCheck(n1 == n, "circular padding: %lld parameters", (long long)n1);
  /* one more post-smoothing step on level 0 of every layer adds one S and one A:
     layer 0: 2 * 9 * 24 * 1, layers 1-3: 2 * 9 * 24 * 24 each */
  PetscCall(count("-mgno_post_smooth 1,0,0,0,0,0", 2, 1, &n1, NULL));
  NeopTestCheck(n1 - n == 2 * 9 * 24 + 3 * 2 * 9 * 24 * 24, "post-smoothing step: +%lld parameters", (long long)(n1 - n));
  /* residual restriction: one A (3x3, u -> f) per coarse level and layer */
  PetscCall(count("-mgno_residual_restriction", 2, 1, &n1, NULL));
  NeopTestCheck(n1 - n == 5 * (9 * 24 + 3 * 9 * 24 * 24), "residual restriction: +%lld parameters", (long long)(n1 - n));
  /* an odd grid: 211 -> 106 -> 53 -> 27 -> 14 -> 7 has prolongation kernels 3,4,3,3,4 (MgNO_DC_smooth's):
     three of five kernels 3x3 instead of 4x4, in 4 layers */
  PetscCall(count("-mgno_grid 211", 2, 1, &n1, NULL));
  NeopTestCheck(n - n1 == 4 * 3 * (16 - 9) * 24 * 24, "grid 211: -%lld parameters", (long long)(n - n1));
  /* two input channels only change the first layer's f-side: 7 S and 6 A of 9 * 24 values each
     double, the 5 R grow from 1x1x3x3 to 2x2x3x3, the 1x1 conv from 24 to 48 */
  PetscCall(count(NULL, 2, 2, &n2, NULL));
  NeopTestCheck(n2 - n == 13 * 9 * 24 + 5 * 27 + 24, "2 input channels: +%lld parameters", (long long)(n2 - n));
  /* a grid whose level parities differ from the model's is refused with a message */
  {
    NeopTape      *t;
    NeopTensor    *x, *y;
    PetscErrorCode ierr;
    PetscCall(count("-mgno_levels 3 -mgno_channels 2 -mgno_layers 1 -mgno_grid 16", 2, 1, &n1, &m));
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, (int[]){1, 1, 16, 16}, &x));
    NeopTestRandom(1, x->size, -1, 1, x->data);
    PetscCall(NeopModelForward(m, t, x, &y));
    NeopTestCheck(y->shape[2] == 16 && y->shape[3] == 16, "grid 16 runs");
    PetscCall(NeopTapeTensor(t, 4, (int[]){1, 1, 15, 16}, &x));
    NeopTestRandom(1, x->size, -1, 1, x->data);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = NeopModelForward(m, t, x, &y);
    PetscCall(PetscPopErrorHandler());
    NeopTestCheck(ierr == PETSC_ERR_ARG_INCOMP, "grid 15 on a model built for 16 is refused (error %d)", (int)ierr);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(NeopModelDestroy(&m));
  }
  PetscCall(PetscOptionsClear(NULL));
  return NeopTestFinalize();
}
