/* MgNO against the PyTorch reference (tests/reference/mgno.py -> mgno.h5): tiny
   1-D and 2-D models (odd, even and non-square grids, every padding mode,
   residual restriction, post-smoothing) with the same weights: parameter
   count, output, input gradient and every parameter gradient to 1e-4. */
#include "testing.h"
#include <neop/model.h>
#include <math.h>

static const char *mode_name[3] = {"zero", "circular", "reflect"};

static double max_abs(int64_t n, const float *v)
{
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = PetscMax(m, fabs((double)v[i]));
  return m;
}

static PetscErrorCode read(int icase, const char *what, float **v, int64_t *n)
{
  char ds[64];
  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "case%d/%s", icase, what));
  PetscCall(NeopTestReadFixture("mgno.h5", ds, v, n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode run_case(int icase)
{
  float      *cfg, *params, *sizes, *grads, *x, *g, *y, *dx, *mine;
  int64_t     ncfg, np, ns, ng, nx, ngw, ny, ndx, off = 0;
  int         dim, layers, channels, levels, cin, batch, grid[2], shape[4];
  char        opts[512], pre[64] = "", post[64] = "", name[64], gridstr[32];
  NeopModel   m;
  NeopTape   *t;
  NeopTensor *xt, *yt;

  PetscFunctionBegin;
  PetscCall(read(icase, "config", &cfg, &ncfg));
  PetscCall(read(icase, "params", &params, &np));
  PetscCall(read(icase, "param_sizes", &sizes, &ns));
  PetscCall(read(icase, "grads", &grads, &ng));
  PetscCall(read(icase, "x", &x, &nx));
  PetscCall(read(icase, "g", &g, &ngw));
  PetscCall(read(icase, "y", &y, &ny));
  PetscCall(read(icase, "dx", &dx, &ndx));
  dim = (int)cfg[0], layers = (int)cfg[1], channels = (int)cfg[2], levels = (int)cfg[3], cin = (int)cfg[4], batch = (int)cfg[5];
  grid[0] = (int)cfg[6], grid[1] = (int)cfg[7];
  for (int l = 0; l < levels; l++) {
    char item[16];
    PetscCall(PetscSNPrintf(item, sizeof(item), l ? ",%d" : "%d", (int)cfg[10 + l]));
    PetscCall(PetscStrlcat(pre, item, sizeof(pre)));
    PetscCall(PetscSNPrintf(item, sizeof(item), l ? ",%d" : "%d", (int)cfg[10 + levels + l]));
    PetscCall(PetscStrlcat(post, item, sizeof(post)));
  }
  if (dim == 2) PetscCall(PetscSNPrintf(gridstr, sizeof(gridstr), "%d,%d", grid[0], grid[1]));
  else PetscCall(PetscSNPrintf(gridstr, sizeof(gridstr), "%d", grid[0]));
  PetscCall(PetscSNPrintf(opts, sizeof(opts),
                          "-mgno_layers %d -mgno_channels %d -mgno_levels %d -mgno_pre_smooth %s -mgno_post_smooth %s "
                          "-mgno_padding %s -mgno_residual_restriction %s -mgno_grid %s",
                          layers, channels, levels, pre, post, mode_name[(int)cfg[8]], cfg[9] != 0 ? "true" : "false",
                          gridstr));
  PetscCall(PetscSNPrintf(name, sizeof(name), "MgNO %d-D grid %s %s%s", dim, gridstr, mode_name[(int)cfg[8]],
                          cfg[9] != 0 ? " residual" : ""));
  PetscCall(PetscOptionsClear(NULL));
  PetscCall(PetscOptionsInsertString(NULL, opts));
  PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(NeopModelSetType(m, "mgno"));
  PetscCall(NeopModelSetShape(m, dim, cin, 1));
  PetscCall(NeopModelSetFromOptions(m));
  PetscCall(NeopModelSetUp(m));

  NeopTestCheck(NeopModelParameterCount(m) == (int64_t)cfg[10 + 2 * levels], "%s: %lld parameters, torch %lld", name,
                (long long)NeopModelParameterCount(m), (long long)cfg[10 + 2 * levels]);
  PetscCheck(m->params->n == ns, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: %d parameter tensors, torch %d", name, m->params->n, (int)ns);
  for (int i = 0; i < m->params->n; i++) {
    NeopTensor *p = &m->params->list[i]->tensor;
    PetscCheck(p->size == (int64_t)sizes[i], PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: parameter %s has %lld values, torch %lld", name,
               m->params->list[i]->name, (long long)p->size, (long long)sizes[i]);
    PetscCall(PetscArraycpy(p->data, params + off, p->size));
    off += p->size;
  }
  PetscCall(NeopParamsZeroGrad(m->params));

  shape[0] = batch, shape[1] = cin, shape[2] = grid[0], shape[3] = grid[1];
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, dim + 2, shape, &xt));
  PetscCheck(xt->size == nx && ny == ngw, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: fixture shapes", name);
  PetscCall(PetscArraycpy(xt->data, x, nx));
  xt->requires_grad = PETSC_TRUE;
  PetscCall(NeopModelForward(m, t, xt, &yt));
  PetscCheck(yt->size == ny, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: output size %lld, torch %lld", name, (long long)yt->size,
             (long long)ny);
  PetscCall(NeopTapeGrad(t, yt, &yt->grad));
  PetscCall(PetscArraycpy(yt->grad, g, ny));
  for (int i = t->nnodes - 1; i >= 0; i--)
    if (t->nodes[i].out->grad) PetscCall(t->nodes[i].backward(t, &t->nodes[i]));

  {
    char msg[128];
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s output", name));
    NeopTestClose(msg, ny, yt->data, y, 1e-4, 1e-4 * max_abs(ny, y));
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s input gradient", name));
    NeopTestClose(msg, nx, xt->grad, dx, 1e-4, 1e-4 * max_abs(nx, dx));
    PetscCall(PetscMalloc1(ng, &mine));
    off = 0;
    for (int i = 0; i < m->params->n; i++) {
      NeopTensor *p = &m->params->list[i]->tensor;
      PetscCall(PetscArraycpy(mine + off, p->grad, p->size));
      off += p->size;
    }
    PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s parameter gradients", name));
    NeopTestClose(msg, ng, mine, grads, 1e-4, 1e-4 * max_abs(ng, grads));
    PetscCall(PetscFree(mine));
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(NeopModelDestroy(&m));
  PetscCall(PetscFree(cfg));
  PetscCall(PetscFree(params));
  PetscCall(PetscFree(sizes));
  PetscCall(PetscFree(grads));
  PetscCall(PetscFree(x));
  PetscCall(PetscFree(g));
  PetscCall(PetscFree(y));
  PetscCall(PetscFree(dx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  float  *n;
  int64_t one;

  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCall(NeopTestReadFixture("mgno.h5", "cases", &n, &one));
  for (int i = 0; i < (int)n[0]; i++) PetscCall(run_case(i));
  PetscCall(PetscFree(n));
  PetscCall(PetscOptionsClear(NULL));
  return NeopTestFinalize();
}
