/* MgConv: one linear V-cycle (see neop/nn/mgconv.h). Every smoothing step
   is two fused conv ops: r = f - A u and u = u + S r. */
#include <neop/nn/mgconv.h>

static int level_extent(int n, int l)
{
  for (int i = 0; i < l; i++) n = (n + 1) / 2;
  return n;
}

/* A 3x3 (or 3) conv weight (cout, cin, 3[, 3]) with torch's default init. */
static PetscErrorCode add_conv(NeopParams *params, const char *prefix, const char *name, int dim, int cout, int cin,
                               NeopTensor **w)
{
  char path[64];
  int  shape[4] = {cout, cin, 3, 3};

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s%s", prefix, name));
  PetscCall(NeopParamsAdd(params, path, dim + 2, shape, NeopInitTorchLinear(cin * (dim == 2 ? 9 : 3)), w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode smoothing_steps(NeopParams *params, const char *prefix, const NeopMgConvConfig *c, int l, const char *kind,
                                      int n, PetscBool first_is_init, NeopTensor ***S, NeopTensor ***A)
{
  char name[48];

  PetscFunctionBegin;
  PetscCall(PetscCalloc2(n + 1, S, n + 1, A));
  for (int i = 0; i < n; i++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "level%d.%s%d.S", l, kind, i));
    PetscCall(add_conv(params, prefix, name, c->dim, c->cu, c->cf, &(*S)[i]));
    if (first_is_init && i == 0) continue; /* u = S f has no A */
    PetscCall(PetscSNPrintf(name, sizeof(name), "level%d.%s%d.A", l, kind, i));
    PetscCall(add_conv(params, prefix, name, c->dim, c->cf, c->cu, &(*A)[i]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopMgConvCreate(NeopParams *params, const char *prefix, const NeopMgConvConfig *cfg, NeopMgConv *mg)
{
  const NeopMgConvConfig *c = cfg;
  char                    name[48];

  PetscFunctionBegin;
  PetscCheck(c->dim == 1 || c->dim == 2, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "MgConv: %d-D fields (1-D or 2-D only)", c->dim);
  PetscCheck(c->levels >= 1 && c->levels <= NEOP_MG_MAX_LEVELS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "MgConv: %d levels, must be in [1, %d]", c->levels, NEOP_MG_MAX_LEVELS);
  PetscCheck(c->cu >= 1 && c->cf >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "MgConv: channels u %d, f %d", c->cu, c->cf);
  PetscCheck(c->pre[0] >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "MgConv: the finest level needs at least one pre-smoothing step (u = S f), got %d", c->pre[0]);
  PetscCheck(c->post[c->levels - 1] == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "MgConv: the coarsest level has no post-smoothing (the V-cycle turns there), got %d", c->post[c->levels - 1]);
  for (int l = 0; l < c->levels; l++)
    PetscCheck(c->pre[l] >= 0 && c->post[l] >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "MgConv: negative smoothing steps on level %d", l);
  for (int d = 0; d < c->dim; d++)
    PetscCheck(c->grid[d] >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "MgConv: grid extent %d", c->grid[d]);

  PetscCall(PetscNew(mg));
  (*mg)->cfg = *c;
  PetscCall(PetscCalloc1(c->levels, &(*mg)->level));
  for (int l = 0; l < c->levels; l++) {
    NeopMgLevel *L = &(*mg)->level[l];
    for (int d = 0; d < c->dim; d++) L->extent[d] = level_extent(c->grid[d], l);
    if (l > 0) {
      if (c->residual_restriction) {
        PetscCall(PetscSNPrintf(name, sizeof(name), "level%d.Ares", l));
        PetscCall(add_conv(params, prefix, name, c->dim, c->cf, c->cu, &L->Ares));
      }
      PetscCall(PetscSNPrintf(name, sizeof(name), "level%d.Pi", l));
      PetscCall(add_conv(params, prefix, name, c->dim, c->cu, c->cu, &L->Pi));
      PetscCall(PetscSNPrintf(name, sizeof(name), "level%d.R", l));
      PetscCall(add_conv(params, prefix, name, c->dim, c->cf, c->cf, &L->R));
    }
    PetscCall(smoothing_steps(params, prefix, c, l, "pre", c->pre[l], l == 0, &L->preS, &L->preA));
    PetscCall(smoothing_steps(params, prefix, c, l, "post", c->post[l], PETSC_FALSE, &L->postS, &L->postA));
  }
  for (int l = 0; l + 1 < c->levels; l++) {
    NeopMgLevel *L = &(*mg)->level[l];
    int          shape[4] = {c->cu, c->cu, 1, 1}, kk = 1;
    for (int d = 0; d < c->dim; d++) {
      L->pkernel[d] = 4 - L->extent[d] % 2;
      shape[2 + d]  = L->pkernel[d];
      kk *= L->pkernel[d];
    }
    PetscCall(PetscSNPrintf(name, sizeof(name), "%slevel%d.P", prefix, l));
    /* ConvTranspose weight (in, out, *k): torch's fan_in is out * k */
    PetscCall(NeopParamsAdd(params, name, c->dim + 2, shape, NeopInitTorchLinear(c->cu * kk), &L->P));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* u += S (f - A u), 'steps' times */
static PetscErrorCode smooth(NeopTape *t, int steps, NeopTensor **S, NeopTensor **A, const NeopConvSpec *spec, NeopTensor *f,
                             NeopTensor **u)
{
  NeopTensor *r;

  PetscFunctionBegin;
  for (int i = 0; i < steps; i++) {
    PetscCall(NeopOpConvAdd(t, f, -1.f, *u, A[i], NULL, spec, &r));
    PetscCall(NeopOpConvAdd(t, *u, 1.f, r, S[i], NULL, spec, u));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopMgConvForward(NeopMgConv mg, NeopTape *t, NeopTensor *f0, NeopTensor **out)
{
  const NeopMgConvConfig *c = &mg->cfg;
  NeopTensor             *u[NEOP_MG_MAX_LEVELS], *f[NEOP_MG_MAX_LEVELS];
  NeopConvSpec            smooth_spec = {{1, 1}, {1, 1}, {0, 0}, c->mode};
  NeopConvSpec            restrict_spec = {{2, 2}, {1, 1}, {0, 0}, c->mode};
  NeopConvSpec            prolong_spec = {{2, 2}, {1, 1}, {0, 0}, NEOP_PAD_ZERO};
  char                    buf[96];

  PetscFunctionBegin;
  PetscCheck(f0->ndim == c->dim + 2 && f0->shape[1] == c->cf, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "MgConv: input %s, expected (N, %d, %d spatial dims)", NeopTensorShapeString(f0, buf, sizeof(buf)), c->cf, c->dim);
  /* the prolongation kernels depend on the parity of every level's extent */
  for (int d = 0; d < c->dim; d++)
    for (int l = 0; l + 1 < c->levels; l++) {
      int n = level_extent(f0->shape[2 + d], l);
      PetscCheck(4 - n % 2 == mg->level[l].pkernel[d], PETSC_COMM_SELF, PETSC_ERR_ARG_INCOMP,
                 "MgConv: input extent %d in dim %d is %d on level %d and needs prolongation kernel %d, but the model "
                 "was built for extent %d (kernel %d): set the grid (-mgno_grid) to the data's",
                 f0->shape[2 + d], d, n, l, 4 - n % 2, c->grid[d], mg->level[l].pkernel[d]);
    }
  f[0] = f0;
  PetscCall(NeopOpConv(t, f0, mg->level[0].preS[0], NULL, &smooth_spec, &u[0]));
  PetscCall(smooth(t, c->pre[0] - 1, mg->level[0].preS + 1, mg->level[0].preA + 1, &smooth_spec, f[0], &u[0]));
  for (int l = 1; l < c->levels; l++) {
    NeopMgLevel *L = &mg->level[l];
    NeopTensor  *r = f[l - 1];
    if (L->Ares) PetscCall(NeopOpConvAdd(t, f[l - 1], -1.f, u[l - 1], L->Ares, NULL, &smooth_spec, &r));
    PetscCall(NeopOpConv(t, r, L->R, NULL, &restrict_spec, &f[l]));
    PetscCall(NeopOpConv(t, u[l - 1], L->Pi, NULL, &restrict_spec, &u[l]));
    PetscCall(smooth(t, c->pre[l], L->preS, L->preA, &smooth_spec, f[l], &u[l]));
  }
  for (int l = c->levels - 2; l >= 0; l--) {
    NeopMgLevel *L = &mg->level[l];
    PetscCall(NeopOpConvTransposeAdd(t, u[l], 1.f, u[l + 1], L->P, NULL, &prolong_spec, &u[l]));
    PetscCall(smooth(t, c->post[l], L->postS, L->postA, &smooth_spec, f[l], &u[l]));
  }
  *out = u[0];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopMgConvDestroy(NeopMgConv *mg)
{
  PetscFunctionBegin;
  if (!*mg) PetscFunctionReturn(PETSC_SUCCESS);
  for (int l = 0; l < (*mg)->cfg.levels; l++) {
    PetscCall(PetscFree2((*mg)->level[l].preS, (*mg)->level[l].preA));
    PetscCall(PetscFree2((*mg)->level[l].postS, (*mg)->level[l].postA));
  }
  PetscCall(PetscFree((*mg)->level));
  PetscCall(PetscFree(*mg));
  PetscFunctionReturn(PETSC_SUCCESS);
}
