/* The MgNO model family (He, Liu, Xu, ICLR 2024; the reference MgNO_DC):
   no lifting or projection network; layer i maps u to
     act(MgConv_i(u) + Conv1x1_i(u) + b_i),
   the first layer's f-channels being the data channels, and the output is a
   bias-free 1x1 conv to the output channels. 1-D and 2-D fields.
   Options (prefix mgno_): see docs/mgno.md. */
#include <neop/models.h>
#include <neop/nn/mgconv.h>

typedef struct {
  int           levels, channels, layers;
  int           pre[NEOP_MG_MAX_LEVELS], post[NEOP_MG_MAX_LEVELS];
  int           grid[2], ngrid;      /* as given: one value applies to every dim */
  NeopPadMode   mode;
  PetscBool     residual_restriction;
  NeopUnaryKind act;
  NeopMgConv   *mg;                  /* [layers] */
  NeopTensor  **W, **b;              /* [layers]: 1x1 conv (cu, cin, 1[, 1]) and its bias (cu) */
  NeopTensor   *Wout;                /* (out_channels, cu, 1[, 1]) */
} MgNO;

static PetscErrorCode list_string(int n, const int *v, char *buf, size_t len)
{
  PetscFunctionBegin;
  buf[0] = 0;
  for (int i = 0; i < n; i++) {
    char item[16];
    PetscCall(PetscSNPrintf(item, sizeof(item), i ? ",%d" : "%d", v[i]));
    PetscCall(PetscStrlcat(buf, item, len));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mgno_setfromoptions(NeopModel m, PetscOptionItems *PetscOptionsObject)
{
  MgNO     *g = (MgNO *)m->data;
  PetscInt  levels = g->levels, channels = g->channels, layers = g->layers, v[NEOP_MG_MAX_LEVELS], n;
  char      mode[32], act[32], list[256];
  PetscBool set;

  PetscFunctionBegin;
  PetscCall(PetscOptionsInt("-levels", "grid levels of each V-cycle", NULL, levels, &levels, NULL));
  PetscCall(PetscOptionsInt("-channels", "channels of u (and of f after the first layer)", NULL, channels, &channels, NULL));
  PetscCall(PetscOptionsInt("-layers", "MgConv layers", NULL, layers, &layers, NULL));
  PetscCheck(levels >= 1 && levels <= NEOP_MG_MAX_LEVELS, m->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-mgno_levels %d: must be in [1, %d]", (int)levels, NEOP_MG_MAX_LEVELS);
  PetscCheck(channels >= 1 && layers >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-mgno_channels %d and -mgno_layers %d must be positive",
             (int)channels, (int)layers);
  g->levels = (int)levels, g->channels = (int)channels, g->layers = (int)layers;

  /* default: one pre-smoothing step per level, two on the coarsest; no post-smoothing */
  for (int l = 0; l < g->levels; l++) v[l] = l == g->levels - 1 && g->levels > 1 ? 2 : 1;
  n = g->levels;
  PetscCall(PetscOptionsIntArray("-pre_smooth", "pre-smoothing steps per level, finest first", NULL, v, &n, &set));
  PetscCheck(!set || n == g->levels, m->comm, PETSC_ERR_ARG_SIZ, "-mgno_pre_smooth has %d values for %d levels", (int)n,
             g->levels);
  for (int l = 0; l < g->levels; l++) g->pre[l] = (int)v[l];
  for (int l = 0; l < g->levels; l++) v[l] = 0;
  n = g->levels;
  PetscCall(PetscOptionsIntArray("-post_smooth", "post-smoothing steps per level, finest first (0 on the coarsest)", NULL, v,
                                 &n, &set));
  PetscCheck(!set || n == g->levels, m->comm, PETSC_ERR_ARG_SIZ, "-mgno_post_smooth has %d values for %d levels", (int)n,
             g->levels);
  for (int l = 0; l < g->levels; l++) g->post[l] = (int)v[l];

  PetscCall(PetscStrncpy(mode, NeopPadModeName(g->mode), sizeof(mode)));
  PetscCall(PetscOptionsString("-padding", "padding of the smoothing and restriction convs: zero (Dirichlet), circular "
                               "(periodic), reflect (Neumann)", NULL, mode, mode, sizeof(mode), NULL));
  PetscCall(NeopPadModeFromName(mode, &g->mode));
  PetscCall(PetscOptionsBool("-residual_restriction", "restrict the residual f - A u instead of f", NULL,
                             g->residual_restriction, &g->residual_restriction, NULL));
  PetscCall(PetscStrncpy(act, NeopUnaryKindName(g->act), sizeof(act)));
  PetscCall(PetscOptionsString("-activation", "activation after each layer", NULL, act, act, sizeof(act), NULL));
  PetscCall(NeopUnaryKindFromName(act, &g->act));
  if (m->grid[0] > 0) {
    /* the data's grid, when the caller knows it, is the default */
    g->ngrid = m->dim, g->grid[0] = m->grid[0], g->grid[1] = m->dim > 1 ? m->grid[1] : m->grid[0];
  }
  v[0] = g->grid[0], v[1] = g->grid[1], n = 2;
  PetscCall(PetscOptionsIntArray("-grid", "grid extents of the data, one per dim (one value: all dims); only the parity "
                                 "of every level's extent matters (prolongation kernels)", NULL, v, &n, &set));
  if (set) {
    PetscCheck(n >= 1 && v[0] >= 1 && (n == 1 || v[1] >= 1), m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-mgno_grid needs positive extents");
    g->ngrid = (int)n, g->grid[0] = (int)v[0], g->grid[1] = (int)(n > 1 ? v[1] : v[0]);
  }

  PetscCall(NeopModelRecordOption(m, "-mgno_levels", "%d", g->levels));
  PetscCall(NeopModelRecordOption(m, "-mgno_channels", "%d", g->channels));
  PetscCall(NeopModelRecordOption(m, "-mgno_layers", "%d", g->layers));
  PetscCall(list_string(g->levels, g->pre, list, sizeof(list)));
  PetscCall(NeopModelRecordOption(m, "-mgno_pre_smooth", "%s", list));
  PetscCall(list_string(g->levels, g->post, list, sizeof(list)));
  PetscCall(NeopModelRecordOption(m, "-mgno_post_smooth", "%s", list));
  PetscCall(NeopModelRecordOption(m, "-mgno_padding", "%s", NeopPadModeName(g->mode)));
  PetscCall(NeopModelRecordOption(m, "-mgno_residual_restriction", "%s", g->residual_restriction ? "true" : "false"));
  PetscCall(NeopModelRecordOption(m, "-mgno_activation", "%s", NeopUnaryKindName(g->act)));
  PetscCall(list_string(g->ngrid, g->grid, list, sizeof(list)));
  PetscCall(NeopModelRecordOption(m, "-mgno_grid", "%s", list));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mgno_setup(NeopModel m)
{
  MgNO *g = (MgNO *)m->data;
  char  name[64];
  int   d = m->dim;

  PetscFunctionBegin;
  PetscCheck(d == 1 || d == 2, m->comm, PETSC_ERR_SUP, "MgNO: %d-D data (1-D and 2-D only)", d);
  PetscCheck(g->ngrid <= d, m->comm, PETSC_ERR_ARG_SIZ, "-mgno_grid has %d values for %d-D data", g->ngrid, d);
  PetscCall(PetscCalloc3(g->layers, &g->mg, g->layers, &g->W, g->layers, &g->b));
  for (int i = 0; i < g->layers; i++) {
    NeopMgConvConfig cfg = {.dim = d, .levels = g->levels, .cu = g->channels, .cf = i ? g->channels : m->in_channels,
                            .grid = {g->grid[0], g->grid[1]}, .mode = g->mode,
                            .residual_restriction = g->residual_restriction};
    int              wshape[4] = {g->channels, cfg.cf, 1, 1};
    for (int l = 0; l < g->levels; l++) cfg.pre[l] = g->pre[l], cfg.post[l] = g->post[l];
    PetscCall(PetscSNPrintf(name, sizeof(name), "layer%d.mg.", i));
    PetscCall(NeopMgConvCreate(m->params, name, &cfg, &g->mg[i]));
    PetscCall(PetscSNPrintf(name, sizeof(name), "layer%d.linear.weight", i));
    PetscCall(NeopParamsAdd(m->params, name, d + 2, wshape, NeopInitTorchLinear(cfg.cf), &g->W[i]));
    PetscCall(PetscSNPrintf(name, sizeof(name), "layer%d.linear.bias", i));
    PetscCall(NeopParamsAdd(m->params, name, 1, &g->channels, NeopInitTorchLinear(cfg.cf), &g->b[i]));
  }
  {
    int shape[4] = {m->out_channels, g->channels, 1, 1};
    PetscCall(NeopParamsAdd(m->params, "out.weight", d + 2, shape, NeopInitTorchLinear(g->channels), &g->Wout));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mgno_forward(NeopModel m, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  MgNO        *g    = (MgNO *)m->data;
  NeopConvSpec one  = {{1, 1}, {0, 0}, {0, 0}, NEOP_PAD_ZERO};
  NeopTensor  *u    = x, *v;

  PetscFunctionBegin;
  for (int i = 0; i < g->layers; i++) {
    PetscCall(NeopMgConvForward(g->mg[i], t, u, &v));
    PetscCall(NeopOpConv1x1AddAct(t, v, u, g->W[i], g->b[i], g->act, &u)); /* act(MgConv(u) + W u + b) */
  }
  PetscCall(NeopOpConv(t, u, g->Wout, NULL, &one, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mgno_view(NeopModel m, PetscViewer viewer)
{
  MgNO *g = (MgNO *)m->data;

  PetscFunctionBegin;
  if (!g->mg) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscViewerASCIIPrintf(viewer, "MgNO: %d layers of V-cycles over %d levels, %d channels, %s padding%s\n",
                                   g->layers, g->levels, g->channels, NeopPadModeName(g->mode),
                                   g->residual_restriction ? ", residual restriction" : ""));
  for (int l = 0; l < g->levels; l++) {
    const NeopMgLevel *L = &g->mg[0]->level[l];
    char               ext[32], ker[48] = "";
    if (m->dim == 2) PetscCall(PetscSNPrintf(ext, sizeof(ext), "%d x %d", L->extent[0], L->extent[1]));
    else PetscCall(PetscSNPrintf(ext, sizeof(ext), "%d", L->extent[0]));
    if (l + 1 < g->levels && m->dim == 2)
      PetscCall(PetscSNPrintf(ker, sizeof(ker), ", prolongation kernel %d x %d", L->pkernel[0], L->pkernel[1]));
    else if (l + 1 < g->levels) PetscCall(PetscSNPrintf(ker, sizeof(ker), ", prolongation kernel %d", L->pkernel[0]));
    PetscCall(PetscViewerASCIIPrintf(viewer, "level %d: %s, pre %d, post %d%s\n", l, ext, g->pre[l], g->post[l], ker));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mgno_destroy(NeopModel m)
{
  MgNO *g = (MgNO *)m->data;

  PetscFunctionBegin;
  if (g->mg)
    for (int i = 0; i < g->layers; i++) PetscCall(NeopMgConvDestroy(&g->mg[i]));
  PetscCall(PetscFree3(g->mg, g->W, g->b));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate_MgNO(NeopModel m)
{
  MgNO *g;

  PetscFunctionBegin;
  PetscCall(PetscNew(&g));
  /* Darcy-rough defaults of the paper: 572,661 parameters for one input and one output channel */
  g->levels = 6, g->channels = 24, g->layers = 4;
  for (int l = 0; l < g->levels; l++) g->pre[l] = l == g->levels - 1 ? 2 : 1;
  g->grid[0] = g->grid[1] = 256, g->ngrid = 1;
  g->mode                 = NEOP_PAD_ZERO;
  g->act                  = NEOP_UNARY_GELU;
  m->data                 = g;
  m->ops.setfromoptions   = mgno_setfromoptions;
  m->ops.setup            = mgno_setup;
  m->ops.forward          = mgno_forward;
  m->ops.view             = mgno_view;
  m->ops.destroy          = mgno_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
