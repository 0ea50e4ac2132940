/* FNO (Li et al. 2021), as the authors' scripts fourier_{1,2,3}d.py build it:

     x (N, Cin, *S) -> append grid coordinates -> lift (1x1, Cin + d -> width)
       -> zero padding at the end of each spatial dim
       -> L layers  v = act(K_l(v) + W_l v)   (no act after the last)
       -> crop -> projection width -> proj_width -> act -> Cout

   K_l is the spectral convolution; with -fno_channel_mlp (the current scripts)
   it is followed by a channel MLP (1x1, act, 1x1) and the projection is the
   same kind of MLP. Parameter names are the scripts' module names, so a
   PyTorch state_dict maps one to one:
     2021 scripts: fc0, conv{l}.weights{c}, w{l}, fc1, fc2
     current:      p, conv{l}.weights{c}, mlp{l}.mlp{1,2}, w{l}, q.mlp{1,2} */
#include <neop/model.h>
#include <neop/models.h>
#include <neop/ops.h>
#include <neop/nn/spectral_conv.h>
#include <neop/nn/fourier_layer.h>
#include <neop/nn/channel_mlp.h>
#include <neop/nn/pad.h>
#include <neop/nn/grid.h>
#include <math.h>
#include <stdio.h>

typedef struct {
  NeopTensor *w[NEOP_SPECTRAL_MAX_CORNERS];    /* corners, each (width, width, *modes, 2) */
  NeopTensor *W, *b;                           /* (width, width), (width): the 1x1 skip */
  NeopTensor *mlp1_W, *mlp1_b, *mlp2_W, *mlp2_b; /* (width, width), (width): channel MLP, or NULL */
} FNOLayer;

typedef struct {
  /* options */
  int           modes[3];
  int           width, layers, proj_width;
  NeopUnaryKind act;
  PetscBool     channel_mlp;
  NeopSpectralMethod transform; /* how the spectral convs compute their transforms */
  PetscReal     padding[3]; /* per dim: < 1 a fraction of the grid, else a number of points */
  /* parameters */
  NeopTensor *lift_W, *lift_b;   /* (width, Cin + d), (width) */
  FNOLayer   *layer;             /* [layers] */
  NeopTensor *proj1_W, *proj1_b; /* (proj_width, width), (proj_width) */
  NeopTensor *proj2_W, *proj2_b; /* (Cout, proj_width), (Cout) */
} FNO;

static PetscErrorCode fno_setfromoptions(NeopModel m, PetscOptionItems *PetscOptionsObject)
{
  FNO      *f = (FNO *)m->data;
  PetscInt  modes[3], nmodes = 3, width = f->width, layers = f->layers, proj = 0, npad = 3;
  PetscReal pad[3];
  char      act[32], buf[128];
  PetscBool set;
  int       d = m->dim;

  PetscFunctionBegin;
  PetscCheck(d >= 1 && d <= 3, m->comm, PETSC_ERR_ARG_WRONGSTATE, "fno: call NeopModelSetShape before SetFromOptions");
  for (int i = 0; i < 3; i++) {
    modes[i] = f->modes[i];
    pad[i]   = f->padding[i];
  }
  PetscCall(PetscOptionsIntArray("-modes", "Fourier modes kept: one value or one per spatial dim (per sign in all dims but the last)",
                                 NULL, modes, &nmodes, &set));
  PetscCheck(!set || nmodes == 1 || nmodes == d, m->comm, PETSC_ERR_ARG_SIZ, "-%smodes: give 1 or %d values, not %d", m->prefix,
             d, (int)nmodes);
  if (set && nmodes == 1)
    for (int i = 1; i < d; i++) modes[i] = modes[0];
  PetscCall(PetscOptionsInt("-width", "channels of the Fourier layers", NULL, width, &width, NULL));
  PetscCall(PetscOptionsInt("-layers", "number of Fourier layers", NULL, layers, &layers, NULL));
  PetscCall(PetscStrncpy(act, NeopUnaryKindName(f->act), sizeof(act)));
  PetscCall(PetscOptionsString("-activation", "activation (gelu, relu, tanh, silu, ...)", NULL, act, act, sizeof(act), NULL));
  PetscCall(NeopUnaryKindFromName(act, &f->act));
  PetscCall(PetscOptionsEnum("-transform", "spectral conv transforms: fft (FFTW), dft (DFT matrices on BLAS), auto (by flop count)",
                             NULL, NeopSpectralMethods, (PetscEnum)f->transform, (PetscEnum *)&f->transform, NULL));
  PetscCall(PetscOptionsBool("-channel_mlp", "the current scripts: a channel MLP after each spectral conv and an MLP projection", NULL,
                             f->channel_mlp, &f->channel_mlp, NULL));
  PetscCall(PetscOptionsRealArray("-padding",
                                  "zero padding at the end of each spatial dim: one value or one per dim; < 1: a fraction of "
                                  "the grid, >= 1: points",
                                  NULL, pad, &npad, &set));
  PetscCheck(!set || npad == 1 || npad == d, m->comm, PETSC_ERR_ARG_SIZ, "-%spadding: give 1 or %d values, not %d", m->prefix, d,
             (int)npad);
  if (set && npad == 1)
    for (int i = 1; i < d; i++) pad[i] = pad[0];
  /* the projection's hidden width: 128 in the 2021 scripts, 4 width (2 width in 1-D) in the current ones */
  proj = f->proj_width ? f->proj_width : (f->channel_mlp ? (d == 1 ? 2 : 4) * (int)width : 128);
  PetscCall(PetscOptionsInt("-proj_width", "hidden width of the projection (default 128; with -fno_channel_mlp 4 width, 2 width in 1-D)",
                            NULL, proj, &proj, NULL));

  PetscCheck(width >= 1 && layers >= 1 && proj >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-%swidth %d, -%slayers %d, -%sproj_width %d must be positive", m->prefix, (int)width, m->prefix, (int)layers,
             m->prefix, (int)proj);
  for (int i = 0; i < d; i++) {
    PetscCheck(modes[i] >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%smodes: %d modes in dim %d", m->prefix, (int)modes[i], i + 1);
    PetscCheck(pad[i] >= 0 && (pad[i] < 1 || pad[i] == floor(pad[i])), m->comm, PETSC_ERR_ARG_OUTOFRANGE,
               "-%spadding %g in dim %d: a fraction in [0, 1) or a whole number of points", m->prefix, (double)pad[i], i + 1);
    f->modes[i]   = (int)modes[i];
    f->padding[i] = pad[i];
  }
  f->width      = (int)width;
  f->layers     = (int)layers;
  f->proj_width = (int)proj;

  buf[0] = 0;
  for (int i = 0; i < d; i++) PetscCall(PetscSNPrintf(buf + strlen(buf), sizeof(buf) - strlen(buf), i ? ",%d" : "%d", f->modes[i]));
  PetscCall(NeopModelRecordOption(m, "-fno_modes", "%s", buf));
  PetscCall(NeopModelRecordOption(m, "-fno_width", "%d", f->width));
  PetscCall(NeopModelRecordOption(m, "-fno_layers", "%d", f->layers));
  PetscCall(NeopModelRecordOption(m, "-fno_activation", "%s", NeopUnaryKindName(f->act)));
  PetscCall(NeopModelRecordOption(m, "-fno_channel_mlp", "%s", f->channel_mlp ? "true" : "false"));
  buf[0] = 0;
  for (int i = 0; i < d; i++) PetscCall(PetscSNPrintf(buf + strlen(buf), sizeof(buf) - strlen(buf), i ? ",%.17g" : "%.17g", (double)f->padding[i]));
  PetscCall(NeopModelRecordOption(m, "-fno_padding", "%s", buf));
  PetscCall(NeopModelRecordOption(m, "-fno_proj_width", "%d", f->proj_width));
  PetscCall(NeopModelRecordOption(m, "-fno_transform", "%s", NeopSpectralMethods[f->transform]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode fno_setup(NeopModel m)
{
  FNO       *f = (FNO *)m->data;
  NeopParams *p = m->params;
  char       name[64];

  PetscFunctionBegin;
  PetscCall(PetscCalloc1(f->layers, &f->layer));
  /* in the scripts' registration order: lift, spectral convs, (channel MLPs), skips, projection */
  PetscCall(NeopParamsAddLinear(p, f->channel_mlp ? "p" : "fc0", m->in_channels + m->dim, f->width, &f->lift_W, &f->lift_b));
  for (int l = 0; l < f->layers; l++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "conv%d", l));
    PetscCall(NeopSpectralConvAddParams(p, name, m->dim, f->width, f->width, f->modes, f->layer[l].w));
  }
  if (f->channel_mlp)
    for (int l = 0; l < f->layers; l++) {
      PetscCall(PetscSNPrintf(name, sizeof(name), "mlp%d.mlp1", l));
      PetscCall(NeopParamsAddLinear(p, name, f->width, f->width, &f->layer[l].mlp1_W, &f->layer[l].mlp1_b));
      PetscCall(PetscSNPrintf(name, sizeof(name), "mlp%d.mlp2", l));
      PetscCall(NeopParamsAddLinear(p, name, f->width, f->width, &f->layer[l].mlp2_W, &f->layer[l].mlp2_b));
    }
  for (int l = 0; l < f->layers; l++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "w%d", l));
    PetscCall(NeopParamsAddLinear(p, name, f->width, f->width, &f->layer[l].W, &f->layer[l].b));
  }
  PetscCall(NeopParamsAddLinear(p, f->channel_mlp ? "q.mlp1" : "fc1", f->width, f->proj_width, &f->proj1_W, &f->proj1_b));
  PetscCall(NeopParamsAddLinear(p, f->channel_mlp ? "q.mlp2" : "fc2", f->proj_width, m->out_channels, &f->proj2_W, &f->proj2_b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* points of padding in each spatial dim for a grid S */
static void padding_points(const FNO *f, int d, const int *S, int *pad, PetscBool *any)
{
  *any = PETSC_FALSE;
  for (int i = 0; i < d; i++) {
    pad[i] = f->padding[i] < 1 ? (int)lround(f->padding[i] * S[i]) : (int)f->padding[i];
    if (pad[i]) *any = PETSC_TRUE;
  }
}

static PetscErrorCode fno_forward(NeopModel m, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  FNO       *f = (FNO *)m->data;
  int        d = m->dim, pad[3];
  PetscBool  padded;
  NeopTensor *v, *h, *k, *s;

  PetscFunctionBegin;
  padding_points(f, d, x->shape + 2, pad, &padded);
  PetscCall(NeopOpAppendGrid(t, x, &h));                      /* (N, Cin + d, *S) */
  PetscCall(NeopOpChannelLinear(t, h, f->lift_W, f->lift_b, &v)); /* (N, width, *S) */
  if (padded) PetscCall(NeopOpDomainPad(t, v, pad, &v));      /* (N, width, *(S + pad)) */
  for (int l = 0; l < f->layers; l++) {
    FNOLayer     *L   = &f->layer[l];
    NeopUnaryKind act = l < f->layers - 1 ? f->act : NEOP_UNARY_IDENTITY;
    if (!f->channel_mlp) {
      /* act(conv(v) + w v) as one op: a quarter of the memory of the four ops */
      PetscCall(NeopOpFourierLayer(t, f->transform, v, NeopSpectralCorners(d), L->w, L->W, L->b, act, &v));
      continue;
    }
    PetscCall(NeopOpSpectralConv(t, f->transform, v, NeopSpectralCorners(d), L->w, &k));
    PetscCall(NeopOpChannelMLP(t, k, L->mlp1_W, L->mlp1_b, f->act, L->mlp2_W, L->mlp2_b, &k));
    PetscCall(NeopOpChannelLinear(t, v, L->W, L->b, &s));
    PetscCall(NeopOpAdd(t, k, s, &v));
    if (act != NEOP_UNARY_IDENTITY) PetscCall(NeopOpUnary(t, act, v, &v));
  }
  if (padded) PetscCall(NeopOpDomainCrop(t, v, pad, &v));     /* (N, width, *S) */
  /* projection: width -> proj_width -> Cout, keeping only the hidden pre-activation */
  PetscCall(NeopOpChannelMLP(t, v, f->proj1_W, f->proj1_b, f->act, f->proj2_W, f->proj2_b, y)); /* (N, Cout, *S) */
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode fno_view(NeopModel m, PetscViewer viewer)
{
  FNO        *f = (FNO *)m->data;
  int         d = m->dim;
  const char *act = NeopUnaryKindName(f->act);
  char        modes[64] = "", pad[128] = "";

  PetscFunctionBegin;
  for (int i = 0; i < d; i++) {
    size_t n = strlen(pad);
    PetscCall(PetscSNPrintf(modes + strlen(modes), sizeof(modes) - strlen(modes), i ? " x %d" : "%d", f->modes[i]));
    /* C's snprintf: PETSc's prints 0.125 as "0.125" but 0 as "0." */
    if (f->padding[i] > 0 && f->padding[i] < 1) snprintf(pad + n, sizeof(pad) - n, "%s%g of the grid", i ? ", " : "", (double)f->padding[i]);
    else snprintf(pad + n, sizeof(pad) - n, "%s%d points", i ? ", " : "", (int)f->padding[i]);
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "FNO (%s scripts' layout)\n", f->channel_mlp ? "current" : "2021"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "lift %s: grid coordinates appended, 1x1 %d -> %d\n", f->channel_mlp ? "p" : "fc0",
                                   m->in_channels + d, f->width));
  PetscCall(PetscViewerASCIIPrintf(viewer, "padding at the end of each dim: %s\n", pad));
  for (int l = 0; l < f->layers; l++) {
    const char *last = l == f->layers - 1 ? " (no activation)" : "";
    if (f->channel_mlp)
      PetscCall(PetscViewerASCIIPrintf(viewer, "layer %d: %s(mlp%d(conv%d(v)) + w%d v)%s; SpectralConv %d -> %d, modes %s, %d corner%s; mlp 1x1 %d -> %d, %s, 1x1 %d -> %d\n",
                                       l, l == f->layers - 1 ? "" : act, l, l, l, last, f->width, f->width, modes, NeopSpectralCorners(d),
                                       d > 1 ? "s" : "", f->width, f->width, act, f->width, f->width));
    else
      PetscCall(PetscViewerASCIIPrintf(viewer, "layer %d: %s(conv%d(v) + w%d v)%s; SpectralConv %d -> %d, modes %s, %d corner%s\n", l,
                                       l == f->layers - 1 ? "" : act, l, l, last, f->width, f->width, modes, NeopSpectralCorners(d),
                                       d > 1 ? "s" : ""));
  }
  PetscCall(PetscViewerASCIIPrintf(viewer, "crop back to the input grid\n"));
  PetscCall(PetscViewerASCIIPrintf(viewer, "projection %s: 1x1 %d -> %d, %s, 1x1 %d -> %d\n", f->channel_mlp ? "q" : "fc1/fc2",
                                   f->width, f->proj_width, act, f->proj_width, m->out_channels));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode fno_destroy(NeopModel m)
{
  FNO *f = (FNO *)m->data;

  PetscFunctionBegin;
  PetscCall(PetscFree(f->layer));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate_FNO(NeopModel m)
{
  FNO *f;

  PetscFunctionBegin;
  PetscCall(PetscNew(&f));
  for (int i = 0; i < 3; i++) f->modes[i] = 12;
  f->width              = 32;
  f->layers             = 4;
  f->act                = NEOP_UNARY_GELU;
  f->channel_mlp        = PETSC_FALSE;
  f->transform          = NEOP_SPECTRAL_AUTO;
  m->data               = f;
  m->ops.setfromoptions = fno_setfromoptions;
  m->ops.setup          = fno_setup;
  m->ops.forward        = fno_forward;
  m->ops.view           = fno_view;
  m->ops.destroy        = fno_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
