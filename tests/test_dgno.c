/* DGNO pieces beyond the PyTorch comparison:
   - accuracy of the float32 weak residual against the same residual in double
     for u = sin(pi x) sin(pi y), a = 1 + x y, at R = 1e-2, 1e-3, 1e-4;
   - the Wendland gradient against differences of its values;
   - the dgno model: options recorded, forward shape and zero boundary values,
     and the gradient of its full loss (encoder, both decoders, weak residuals)
     along a random direction of the flat parameters against central differences. */
#include "testing.h"
#include <neop/models.h>
#include <neop/dgno.h>
#include <neop/data.h>
#include <neop/nn/weak_form.h>
#include <math.h>

/* residual of u = sin(pi x) sin(pi y), a = 1 + x y, f = 2 pi^2 at the centres,
   in float32 through the ops (flux a du rounded to float) and in double */
static PetscErrorCode residual_accuracy(double R, double *relerr)
{
  NeopWeakForm  wf;
  NeopTape     *t;
  NeopTensor   *x, *a, *du, *r;
  const double *c, *z, *dv, *v;
  int           nc, Q, P, sa[2], sd[3];
  double        worst = 0, scale = 0, f = 2 * M_PI * M_PI;

  PetscFunctionBegin;
  PetscCall(NeopWeakFormCreate(2, R, 50, 9, &wf));
  PetscCall(NeopWeakFormDraw(wf, 3, 0));
  PetscCall(NeopWeakFormGetPoints(wf, &nc, &Q, &x, &c));
  PetscCall(NeopWeakFormGetQuadrature(wf, NULL, &z, &v, &dv));
  P     = nc * Q;
  sa[0] = 1, sa[1] = P;
  sd[0] = 1, sd[1] = 2, sd[2] = P;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, 2, sa, &a));
  PetscCall(NeopTapeTensor(t, 3, sd, &du));
  for (int p = 0; p < P; p++) { /* float32 evaluation at the float32 points, as a network would */
    float px = x->data[2 * p], py = x->data[2 * p + 1], pi = (float)M_PI;
    a->data[p]      = 1.f + px * py;
    du->data[p]     = pi * cosf(pi * px) * sinf(pi * py);
    du->data[P + p] = pi * sinf(pi * px) * cosf(pi * py);
  }
  PetscCall(NeopWeakFormDarcyResidual(wf, t, a, du, f, &r));
  for (int i = 0; i < nc; i++) {
    double left = 0, right = 0;
    for (int q = 0; q < Q; q++) {
      double px = c[2 * i] + R * z[2 * q], py = c[2 * i + 1] + R * z[2 * q + 1];
      double ux = M_PI * cos(M_PI * px) * sin(M_PI * py), uy = M_PI * sin(M_PI * px) * cos(M_PI * py);
      left += (1 + px * py) * (ux * dv[2 * q] + uy * dv[2 * q + 1]) / R;
      right += f * v[q];
    }
    left /= Q, right /= Q;
    worst = PetscMax(worst, fabs(r->data[i] - (left - right)));
    scale = PetscMax(scale, fabs(left - right));
  }
  *relerr = worst / scale;
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(NeopWeakFormDestroy(&wf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dgno_loss_at(NeopModel m, NeopTensor *ain, double *L, PetscBool backward)
{
  NeopTape   *t;
  NeopTensor *a, *beta, *lp, *loss;
  NeopBatch   batch;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeSetRecording(t, backward));
  PetscCall(NeopTapeTensorLike(t, ain, &a));
  PetscCall(PetscArraycpy(a->data, ain->data, a->size));
  /* the full training loss once, then the PDE part with fixed centres (step 7) for the derivative check */
  batch.a = a, batch.u = NULL, batch.n = 2, batch.nglobal = 2, batch.index = NULL;
  PetscCall(m->ops.loss(m, t, &batch, &loss));
  PetscCheck(isfinite(loss->data[0]), PETSC_COMM_SELF, PETSC_ERR_FP, "dgno loss is %g", (double)loss->data[0]);
  PetscCall(NeopTapeReset(t)); /* drops a too: copy it again */
  PetscCall(NeopTapeTensorLike(t, ain, &a));
  PetscCall(PetscArraycpy(a->data, ain->data, a->size));
  PetscCall(NeopDgnoEncode(m, t, a, &beta));
  PetscCall(NeopDgnoPdeLoss(m, t, beta, a, 7, 2, &lp));
  *L = lp->data[0];
  if (backward) {
    PetscCall(NeopParamsZeroGrad(m->params));
    PetscCall(NeopTapeBackward(t, lp));
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a small dgno with the common options plus 'extra' on (2, 1, 9^dim) inputs and outc output channels:
   forward shape, u = 0 on the boundary, directional derivative of the PDE loss against differences */
static PetscErrorCode check_model(const char *what, const char *extra, int dim, int outc, PetscBool check_record)
{
  const char *common = "-model dgno -dgno_latent 6 -dgno_sensors 9 -dgno_enc_widths 12 -dgno_u_width 8 -dgno_u_layers 3 "
                       "-dgno_u_sum_layers 2 -dgno_a_width 8 -dgno_a_layers 3 -dgno_a_sum_layers 2 -dgno_ncentres 10 "
                       "-dgno_nquad 5 -dgno_topk 3 -dgno_radius 1e-2";
  NeopModel   m;
  NeopTape   *t;
  NeopTensor *a, *y;
  int         shape[4] = {2, 1, 9, 9}, P = dim == 2 ? 81 : 9;
  double      L0, Lp, Lm, gd = 0, h = 1e-3, bnd = 0;
  float      *dir, *p0;
  PetscBool   found = PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(PetscOptionsInsertString(NULL, common));
  PetscCall(PetscOptionsInsertString(NULL, extra));
  PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(NeopModelSetShape(m, dim, 1, outc));
  PetscCall(NeopModelSetFromOptions(m));
  PetscCall(NeopModelSetUp(m));
  if (check_record) {
    for (int i = 0; i < m->noptions; i++)
      if (!strcmp(m->option_name[i], "-dgno_u_sum_layers") && !strcmp(m->option_value[i], "2")) found = PETSC_TRUE;
    NeopTestCheck(found, "-dgno_u_sum_layers 2 recorded (%d options)", m->noptions);
  }
  /* w_k start at 0: make them nonzero so that every parameter reaches the loss */
  for (int i = 0; i < m->params->n; i++)
    if (strstr(m->params->list[i]->name, ".w.")) m->params->list[i]->tensor.data[0] = 0.5f;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, 2 + dim, shape, &a));
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < P; i++) a->data[s * P + i] = dim == 2 ? 1.f + 0.5f * (float)sin(0.7 * i + s) : (float)(sin(M_PI * i / 8.0) * (1 + 0.3 * s));
  PetscCall(NeopModelForward(m, t, a, &y));
  NeopTestCheck(y->ndim == 2 + dim && y->shape[0] == 2 && y->shape[1] == outc && y->shape[2] == 9 && (dim == 1 || y->shape[3] == 9),
                "%s: forward gives (2, %d, 9%s)", what, outc, dim == 2 ? ", 9" : "");
  if (dim == 2)
    for (int s = 0; s < 2; s++)
      for (int i = 0; i < 9; i++) bnd = PetscMax(bnd, PetscMax(fabs(y->data[s * 81 + i]), fabs(y->data[s * 81 + 9 * i])));
  else
    for (int s = 0; s < 2 * outc; s++) bnd = PetscMax(bnd, PetscMax(fabs(y->data[s * 9]), fabs(y->data[s * 9 + 8])));
  NeopTestCheck(bnd < 1e-5, "%s: u = 0 on the boundary (max %.3g)", what, bnd);
  /* directional derivative of the PDE loss through encoder and u decoder */
  PetscCall(dgno_loss_at(m, a, &L0, PETSC_TRUE));
  PetscCall(PetscMalloc2(m->params->total, &dir, m->params->total, &p0));
  NeopTestRandom(5, m->params->total, -1, 1, dir);
  PetscCall(PetscArraycpy(p0, m->params->data, m->params->total));
  for (int64_t i = 0; i < m->params->total; i++) gd += (double)dir[i] * m->params->grad[i];
  for (int64_t i = 0; i < m->params->total; i++) m->params->data[i] = p0[i] + (float)h * dir[i];
  PetscCall(dgno_loss_at(m, a, &Lp, PETSC_FALSE));
  for (int64_t i = 0; i < m->params->total; i++) m->params->data[i] = p0[i] - (float)h * dir[i];
  PetscCall(dgno_loss_at(m, a, &Lm, PETSC_FALSE));
  PetscCall(PetscArraycpy(m->params->data, p0, m->params->total));
  NeopTestCheck(fabs((Lp - Lm) / (2 * h) - gd) <= 2e-2 * fabs(gd) + 1e-3, "%s: dgno PDE loss: directional derivative %.6g vs differences %.6g",
                what, gd, (Lp - Lm) / (2 * h));
  PetscCall(PetscFree2(dir, p0));
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(NeopModelDestroy(&m));
  PetscCall(PetscOptionsClear(NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    double R[3] = {1e-2, 1e-3, 1e-4}, e = 1;
    for (int i = 0; i < 3; i++) {
      PetscCall(residual_accuracy(R[i], &e));
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "weak residual, float32 vs double, R = %g: relative error %.3g\n", R[i], e));
      NeopTestCheck(e < 1e-2, "float32 weak residual within 1%% of double at R = %g (%.3g)", R[i], e);
    }
  }
  { /* Wendland gradient vs differences */
    double z[2] = {0.3, -0.4}, v, dv[2], vp, vm, tmp[2], worst = 0;
    for (int dim = 1; dim <= 2; dim++) {
      NeopWendland(dim, z, &v, dv);
      for (int j = 0; j < dim; j++) {
        double zp[2] = {z[0], z[1]}, zm[2] = {z[0], z[1]};
        zp[j] += 1e-6, zm[j] -= 1e-6;
        NeopWendland(dim, zp, &vp, tmp);
        NeopWendland(dim, zm, &vm, tmp);
        worst = PetscMax(worst, fabs((vp - vm) / 2e-6 - dv[j]) / fabs(dv[j]));
      }
    }
    NeopTestCheck(worst < 1e-6, "Wendland gradients in 1-D and 2-D match differences (%.3g)", worst);
    z[0] = 0, z[1] = 0;
    NeopWendland(2, z, &v, dv);
    NeopTestCheck(fabs(v - 1.0) < 1e-15, "2-D Wendland v(0) = (35 0 + 18 0 + 3)/3 = 1 (%g)", v);
  }
  PetscCall(NeopModelRegisterAll());
  PetscCall(check_model("primal form, MLP encoder", "", 2, 1, PETSC_TRUE));
  PetscCall(check_model("mixed form, CNN encoder", "-dgno_form mixed -dgno_s_width 8 -dgno_s_layers 3 -dgno_s_sum_layers 2 -dgno_enc cnn "
                        "-dgno_enc_channels 4,5 -dgno_enc_hidden 6", 2, 1, PETSC_FALSE));
  PetscCall(check_model("Burgers, test functions in x", "-dgno_pde burgers -dgno_nu 0.05 -dgno_u_act_branch silu_id", 1, 3, PETSC_FALSE));
  PetscCall(check_model("Burgers, test functions in (x, t)", "-dgno_pde burgers -dgno_nu 0.05 -dgno_test spacetime -dgno_T 0.5", 1, 3, PETSC_FALSE));
  return NeopTestFinalize();
}
