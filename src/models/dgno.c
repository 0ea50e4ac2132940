/* DGNO (Zang & Koutsourelakis 2025), physics-aware and without labelled u.

     encoder   a (N, Cin, *S) -> beta = tanh(E(a)) in (-1,1)^latent; E: an MLP on the
               input at an n^d sensor grid (default), or the transformer backbone on
               the grid tokens (mean-pooled) (-dgno_enc transformer, options -dgno_enc_*)
     decoders  MultiONets beta -> u(x) (times sin(pi x) sin(pi y) for zero Dirichlet
               data: -dgno_bc dirichlet) and beta -> a(x)
     loss      w_data * L_a + w_pde * L_pde, where L_a is the Gaussian reconstruction
               mean_n ||a_dec - a||_2 (the reference's mse_org) or, for thresholded a
               (-dgno_a_likelihood bernoulli), the mean binary cross-entropy of
               sigmoid(a_dec) against (a - low) / (high - low); L_pde is the weak-form
               loss of -div(a grad u) = f (neop/nn/weak_form.h) with a at the quadrature
               points interpolated from the input grid.
   -dgno_enc cnn: the reference's CNN encoder (neop/nn/cnn_encoder.h) on the sensor grid.
   -dgno_form mixed: the reference's mixed form for Darcy (piecewise example): flux
   networks s_j(x) (MultiONets beta -> s_j, -dgno_s_*), residuals |s - a grad u|^2 and
   s . grad v - f v (neop/nn/weak_form.h).
   -dgno_pde poisson: -laplace(u) = f, the input being the source f (neop datagen -pde
   poisson); the a decoder reconstructs f and the residuals are mean_q grad u . grad v -
   mean_q f v with f at the points interpolated from the input (inversion: decoded).
   -dgno_pde burgers: u(x, t) on [0,1] x [0,T] from u0 = a (1-D data, u the trajectory
   at t_i = T (i+1)/nt as neop datagen -pde burgers writes it), trunk input (x, t),
   hard factor sin(pi x), loss w_data * mean_n ||u(., 0) - a||_2 + w_pde * weak
   residuals of u_t + u u_x = nu u_xx (the reference's Example_Burgers); no a decoder.
   forward = encoder + u-decoder at the grid nodes. Facts from the reference code
   (DGenNO, Example_DarcyFlow_*): latent 128, decoders [100] x 6 with l = 5 and
   tanh_sin, R = 1e-4, 100 centres, a 9 x 9 quadrature mesh, top 20 residuals per
   sample (1000 of a batch of 50). Differences are listed in docs/dgno.md. */
#include <neop/models.h>
#include <neop/dgno.h>
#include <neop/data.h>
#include <neop/nn/onet.h>
#include <neop/nn/weak_form.h>
#include <neop/nn/transformer.h>
#include <neop/nn/cnn_encoder.h>
#include <math.h>

#define ENC_MAX 8

typedef enum { ENC_MLP, ENC_TRANSFORMER, ENC_CNN } EncKind;
static const char *const enc_kinds[] = {"mlp", "transformer", "cnn", "EncKind", "ENC_", NULL};
typedef enum { PDE_DARCY, PDE_BURGERS, PDE_POISSON } PdeKind;
static const char *const pde_kinds[] = {"darcy", "burgers", "poisson", "PdeKind", "PDE_", NULL};
typedef enum { FORM_PRIMAL, FORM_MIXED } FormKind;
static const char *const form_kinds[] = {"primal", "mixed", "FormKind", "FORM_", NULL};
typedef enum { TEST_SPACE, TEST_SPACETIME } TestKind;
static const char *const test_kinds[] = {"space", "spacetime", "TestKind", "TEST_", NULL};
typedef enum { LIK_GAUSSIAN, LIK_BERNOULLI } LikKind;
static const char *const lik_kinds[] = {"gaussian", "bernoulli", "LikKind", "LIK_", NULL};

typedef struct {
  int             latent, sensors;
  EncKind         enc;
  int             nenc, enc_width[ENC_MAX];
  NeopUnaryKind   enc_act;
  NeopTensor     *We[ENC_MAX + 1], *be[ENC_MAX + 1];     /* MLP encoder */
  NeopTransformer tr;                                   /* transformer encoder */
  NeopCNNEncoder  cnn;                                  /* CNN encoder */
  NeopTensor     *Wl, *bl, *Wo, *bo;                    /* lift (width, Cin + d), out (latent, width) */
  NeopONet        u, a, s[3];                           /* s: flux networks of the mixed form, one per dim */
  PdeKind         pde;
  FormKind        form;
  TestKind        test;                                 /* Burgers: test functions in x at time slices, or in (x, t) */
  double          nu, T;                                /* Burgers viscosity and final time */
  LikKind         lik;
  double          a_low, a_high;
  PetscBool       bc, a_nearest;
  double          w_data, w_pde, radius, f;
  int             ncentres, nmesh, topk;
  NeopWeakForm    wf;
  NeopTensor      sens, grid;                           /* (sensors^d, d), (P, d or 2) of the last grid (Burgers: (nt S, 2), (x, t)) */
  NeopTensor      init;                                 /* Burgers: (S, 2) points (x, 0) of the last grid */
  int             gridS[3], gridC;                      /* and its output channels (Burgers: times) */
} Dgno;

static PetscErrorCode dgno_get(NeopModel m, Dgno **d)
{
  PetscFunctionBegin;
  PetscCheck(!strcmp(m->type, "dgno"), m->comm, PETSC_ERR_ARG_WRONG, "model type %s is not dgno", m->type);
  *d = (Dgno *)m->data;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dgno_setfromoptions(NeopModel m, PetscOptionItems *PetscOptionsObject)
{
  Dgno     *d = (Dgno *)m->data;
  PetscInt  latent = d->latent, sens = d->sensors, nc = d->ncentres, nq = d->nmesh, topk = d->topk, widths[ENC_MAX];
  PetscInt  nw = ENC_MAX;
  PetscEnum enc = (PetscEnum)d->enc, lik = (PetscEnum)d->lik, pde = (PetscEnum)d->pde, form = (PetscEnum)d->form, test = (PetscEnum)d->test;
  char      act[32], list[128] = "";

  PetscFunctionBegin;
  for (int i = 0; i < d->nenc; i++) widths[i] = d->enc_width[i];
  PetscCall(PetscStrncpy(act, NeopUnaryKindName(d->enc_act), sizeof(act)));
  PetscOptionsHeadBegin(PetscOptionsObject, "DGNO");
  PetscCall(PetscOptionsInt("-latent", "latent size (beta in (-1,1)^latent)", NULL, latent, &latent, NULL));
  PetscCall(PetscOptionsEnum("-pde", "PDE of the weak residuals", NULL, pde_kinds, pde, &pde, NULL));
  if (pde == (PetscEnum)PDE_DARCY) PetscCall(PetscOptionsEnum("-form", "Darcy: primal or mixed weak form", NULL, form_kinds, form, &form, NULL));
  else {
    PetscCall(PetscOptionsEnum("-test", "Burgers: test functions in x at time slices, or in (x, t)", NULL, test_kinds, test, &test, NULL));
    PetscCall(PetscOptionsReal("-nu", "Burgers: viscosity nu of u_t + u u_x = nu u_xx", NULL, d->nu, &d->nu, NULL));
    PetscCall(PetscOptionsReal("-T", "Burgers: final time (the data's times are T (i+1)/nt)", NULL, d->T, &d->T, NULL));
  }
  PetscCall(PetscOptionsEnum("-enc", "encoder", NULL, enc_kinds, enc, &enc, NULL));
  PetscCall(PetscOptionsInt("-sensors", "MLP and CNN encoders: input sensors per dim (an n^d node grid)", NULL, sens, &sens, NULL));
  nw = d->nenc;
  if (enc == (PetscEnum)ENC_CNN) PetscCall(NeopCNNEncoderSetFromOptions(&d->cnn, m, PetscOptionsObject, "enc_"));
  else {
    PetscBool set;
    nw = ENC_MAX;
    PetscCall(PetscOptionsIntArray("-enc_widths", "MLP encoder: hidden widths", NULL, widths, &nw, &set));
    if (!set) nw = d->nenc;
    PetscCall(PetscOptionsString("-enc_act", "MLP encoder: activation", NULL, act, act, sizeof(act), NULL));
  }
  PetscCall(PetscOptionsEnum("-a_likelihood", "likelihood of the a reconstruction", NULL, lik_kinds, lik, &lik, NULL));
  PetscCall(PetscOptionsReal("-a_low", "bernoulli: the low value of a", NULL, d->a_low, &d->a_low, NULL));
  PetscCall(PetscOptionsReal("-a_high", "bernoulli: the high value of a", NULL, d->a_high, &d->a_high, NULL));
  PetscCall(PetscOptionsBool("-a_nearest", "a at quadrature points: nearest node instead of multilinear", NULL, d->a_nearest, &d->a_nearest, NULL));
  PetscCall(PetscOptionsBool("-bc", "hard zero Dirichlet factor sin(pi x) sin(pi y) on u", NULL, d->bc, &d->bc, NULL));
  PetscCall(PetscOptionsReal("-w_data", "weight of the a reconstruction", NULL, d->w_data, &d->w_data, NULL));
  PetscCall(PetscOptionsReal("-w_pde", "weight of the weak residuals", NULL, d->w_pde, &d->w_pde, NULL));
  PetscCall(PetscOptionsReal("-radius", "radius R of the test functions", NULL, d->radius, &d->radius, NULL));
  PetscCall(PetscOptionsInt("-ncentres", "test-function centres per step", NULL, nc, &nc, NULL));
  PetscCall(PetscOptionsInt("-nquad", "quadrature mesh points per dim in [-1,1]^d (kept: |z| < 1)", NULL, nq, &nq, NULL));
  PetscCall(PetscOptionsInt("-topk", "largest squared residuals per sample added to the loss (0: none)", NULL, topk, &topk, NULL));
  PetscCall(PetscOptionsReal("-f", "constant source f of -div(a grad u) = f", NULL, d->f, &d->f, NULL));
  PetscCall(NeopONetSetFromOptions(&d->u, m, PetscOptionsObject, "u_"));
  if (pde != (PetscEnum)PDE_BURGERS) PetscCall(NeopONetSetFromOptions(&d->a, m, PetscOptionsObject, "a_"));
  if (pde == (PetscEnum)PDE_DARCY && form == (PetscEnum)FORM_MIXED) PetscCall(NeopONetSetFromOptions(&d->s[0], m, PetscOptionsObject, "s_"));
  PetscOptionsHeadEnd();
  PetscCheck(d->nu >= 0 && d->T > 0, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-dgno_nu %g, -dgno_T %g: need nu >= 0, T > 0", d->nu, d->T);
  PetscCheck(latent >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-dgno_latent %d: need >= 1", (int)latent);
  PetscCheck(sens >= 2, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-dgno_sensors %d: need >= 2", (int)sens);
  PetscCheck(nw >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-dgno_enc_widths: give 1 to %d widths", ENC_MAX);
  PetscCheck(lik == (PetscEnum)LIK_GAUSSIAN || d->a_high > d->a_low, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-dgno_a_high %g must exceed -dgno_a_low %g",
             d->a_high, d->a_low);
  PetscCheck(nc >= 1 && topk >= 0 && topk <= nc, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-dgno_ncentres %d, -dgno_topk %d: need 0 <= topk <= ncentres",
             (int)nc, (int)topk);
  PetscCall(NeopUnaryKindFromName(act, &d->enc_act));
  d->pde      = (PdeKind)pde;
  d->form     = (FormKind)form;
  d->test     = (TestKind)test;
  for (int j = 1; j < 3; j++) d->s[j] = d->s[0];
  d->latent   = (int)latent;
  d->sensors  = (int)sens;
  d->enc      = (EncKind)enc;
  d->lik      = (LikKind)lik;
  d->ncentres = (int)nc;
  d->nmesh    = (int)nq;
  d->topk     = (int)topk;
  d->nenc     = (int)nw;
  for (int i = 0; i < d->nenc; i++) {
    PetscCheck(widths[i] >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-dgno_enc_widths: width %d", (int)widths[i]);
    d->enc_width[i] = (int)widths[i];
    PetscCall(PetscSNPrintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d", i ? "," : "", d->enc_width[i]));
  }
  PetscCall(NeopModelRecordOption(m, "-dgno_latent", "%d", d->latent));
  PetscCall(NeopModelRecordOption(m, "-dgno_enc", "%s", enc_kinds[d->enc]));
  PetscCall(NeopModelRecordOption(m, "-dgno_sensors", "%d", d->sensors));
  if (d->enc != ENC_CNN) {
    PetscCall(NeopModelRecordOption(m, "-dgno_enc_widths", "%s", list));
    PetscCall(NeopModelRecordOption(m, "-dgno_enc_act", "%s", act));
  }
  PetscCall(NeopModelRecordOption(m, "-dgno_pde", "%s", pde_kinds[d->pde]));
  if (d->pde == PDE_DARCY) PetscCall(NeopModelRecordOption(m, "-dgno_form", "%s", form_kinds[d->form]));
  else {
    PetscCall(NeopModelRecordOption(m, "-dgno_test", "%s", test_kinds[d->test]));
    PetscCall(NeopModelRecordOption(m, "-dgno_nu", "%.17g", d->nu));
    PetscCall(NeopModelRecordOption(m, "-dgno_T", "%.17g", d->T));
  }
  PetscCall(NeopModelRecordOption(m, "-dgno_a_likelihood", "%s", lik_kinds[d->lik]));
  PetscCall(NeopModelRecordOption(m, "-dgno_a_low", "%.17g", d->a_low));
  PetscCall(NeopModelRecordOption(m, "-dgno_a_high", "%.17g", d->a_high));
  PetscCall(NeopModelRecordOption(m, "-dgno_a_nearest", "%s", d->a_nearest ? "true" : "false"));
  PetscCall(NeopModelRecordOption(m, "-dgno_bc", "%s", d->bc ? "true" : "false"));
  PetscCall(NeopModelRecordOption(m, "-dgno_w_data", "%.17g", d->w_data));
  PetscCall(NeopModelRecordOption(m, "-dgno_w_pde", "%.17g", d->w_pde));
  PetscCall(NeopModelRecordOption(m, "-dgno_radius", "%.17g", d->radius));
  PetscCall(NeopModelRecordOption(m, "-dgno_ncentres", "%d", d->ncentres));
  PetscCall(NeopModelRecordOption(m, "-dgno_nquad", "%d", d->nmesh));
  PetscCall(NeopModelRecordOption(m, "-dgno_topk", "%d", d->topk));
  PetscCall(NeopModelRecordOption(m, "-dgno_f", "%.17g", d->f));
  if (d->enc == ENC_TRANSFORMER) {
    NeopTransformerConfig cfg = {.layers = 3, .width = 64, .heads = 4, .slices = 32, .mlp_ratio = 2, .attention = NEOP_ATTN_GALERKIN,
                                 .ffn = NEOP_FFN_GELU, .final_norm = PETSC_TRUE, .init_std = 0};
    if (!d->tr) PetscCall(NeopTransformerCreate(m->comm, &d->tr));
    PetscCall(NeopTransformerSetOptionsPrefix(d->tr, "dgno_enc_"));
    PetscCall(NeopTransformerSetDefaults(d->tr, &cfg));
    PetscCall(NeopTransformerSetFromOptions(d->tr));
    PetscCall(NeopTransformerSetSpatialDim(d->tr, m->dim));
    PetscCall(NeopTransformerRecordOptions(d->tr, m));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dgno_setup(NeopModel m)
{
  Dgno *d = (Dgno *)m->data;
  int   S[3] = {d->sensors, d->sensors, d->sensors}, P = 1;
  char  name[64];

  PetscFunctionBegin;
  if (d->pde != PDE_BURGERS)
    PetscCheck(m->out_channels == 1, m->comm, PETSC_ERR_SUP, "dgno: one output channel (u), the data has %d", m->out_channels);
  else
    PetscCheck(m->dim == 1, m->comm, PETSC_ERR_SUP, "dgno -dgno_pde burgers: 1-D data (u0 -> the trajectory u(x, t_i)), the data is %d-D", m->dim);
  PetscCheck(m->in_channels == 1, m->comm, PETSC_ERR_SUP, "dgno: one input channel (the coefficient a or u0), the data has %d", m->in_channels);
  for (int k = 0; k < m->dim; k++) P *= d->sensors;
  if (d->enc == ENC_CNN) {
    PetscCall(NeopGridCoordsTensor(m->dim, S, &d->sens));
    PetscCall(NeopCNNEncoderSetUp(&d->cnn, m->params, "enc", m->dim, m->in_channels, d->sensors, d->latent));
  } else if (d->enc == ENC_MLP) {
    int in = m->in_channels * P;
    PetscCall(NeopGridCoordsTensor(m->dim, S, &d->sens));
    for (int i = 0; i <= d->nenc; i++) {
      int out = i < d->nenc ? d->enc_width[i] : d->latent, shape[2] = {out, in};
      PetscCall(PetscSNPrintf(name, sizeof(name), "enc.%d.weight", i));
      PetscCall(NeopParamsAdd(m->params, name, 2, shape, NeopInitTorchLinear(in), &d->We[i]));
      PetscCall(PetscSNPrintf(name, sizeof(name), "enc.%d.bias", i));
      PetscCall(NeopParamsAdd(m->params, name, 1, &out, NeopInitTorchLinear(in), &d->be[i]));
      in = out;
    }
  } else {
    NeopTransformerConfig cfg;
    NeopTransformerInit   init = {0};
    PetscCall(NeopTransformerGetConfig(d->tr, &cfg));
    PetscCall(NeopTransformerLinearSetUp(m->params, "enc.lift", cfg.width, m->in_channels + m->dim, PETSC_TRUE, init, &d->Wl, &d->bl));
    PetscCall(NeopTransformerSetUp(d->tr, m->params, "enc."));
    PetscCall(NeopTransformerLinearSetUp(m->params, "enc.out", d->latent, cfg.width, PETSC_TRUE, init, &d->Wo, &d->bo));
  }
  if (d->pde == PDE_BURGERS) {
    double box[2] = {1.0, d->T};
    PetscCall(NeopONetSetUp(&d->u, m->params, "u", 2, d->latent)); /* trunk (x, t) */
    PetscCall(NeopWeakFormCreate(d->test == TEST_SPACE ? 1 : 2, d->radius, d->ncentres, d->nmesh, &d->wf));
    if (d->test == TEST_SPACETIME) PetscCall(NeopWeakFormSetBox(d->wf, box));
  } else {
    PetscCall(NeopONetSetUp(&d->u, m->params, "u", m->dim, d->latent));
    PetscCall(NeopONetSetUp(&d->a, m->params, "a", m->dim, d->latent));
    if (d->form == FORM_MIXED)
      for (int j = 0; j < m->dim; j++) {
        PetscCall(PetscSNPrintf(name, sizeof(name), "s%d", j + 1));
        PetscCall(NeopONetSetUp(&d->s[j], m->params, name, m->dim, d->latent));
      }
    PetscCall(NeopWeakFormCreate(m->dim, d->radius, d->ncentres, d->nmesh, &d->wf));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* t (rows, cols) in backend memory owned by t, from host values */
static PetscErrorCode const_tensor(NeopTensor *t, int rows, int cols, const float *host)
{
  const NeopBackend *be       = NeopBackendGet();
  int                shape[2] = {rows, cols};

  PetscFunctionBegin;
  if (t->data) PetscCall(be->free(t->data));
  PetscCall(NeopTensorSetShape(t, 2, shape));
  PetscCall(be->alloc(sizeof(float) * (size_t)t->size, (void **)&t->data));
  PetscCall(be->from_host(t->data, host, sizeof(float) * (size_t)t->size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* the output points of grid x->shape[2..]: node coordinates, or for Burgers the (x_j, t_i)
   of the nt = out_channels times t_i = T (i+1)/nt (time-major) and the initial points (x_j, 0) */
static PetscErrorCode dgno_grid(NeopModel m, const NeopTensor *x)
{
  Dgno     *d    = (Dgno *)m->data;
  PetscBool same = d->grid.data != NULL && d->gridC == m->out_channels;

  PetscFunctionBegin;
  for (int k = 0; k < m->dim; k++) same = same && d->gridS[k] == x->shape[2 + k];
  if (same) PetscFunctionReturn(PETSC_SUCCESS);
  if (d->pde == PDE_BURGERS) {
    int    S = x->shape[2], nt = m->out_channels;
    float *h; /* (nt S, 2) */
    PetscCall(PetscMalloc1((size_t)2 * nt * S, &h));
    for (int i = 0; i < nt; i++)
      for (int j = 0; j < S; j++) {
        h[2 * (i * S + j)]     = (float)((double)j / (S - 1));
        h[2 * (i * S + j) + 1] = (float)(d->T * (i + 1) / nt);
      }
    PetscCall(const_tensor(&d->grid, nt * S, 2, h));
    for (int j = 0; j < S; j++) h[2 * j + 1] = 0.f;
    PetscCall(const_tensor(&d->init, S, 2, h));
    PetscCall(PetscFree(h));
  } else PetscCall(NeopGridCoordsTensor(m->dim, x->shape + 2, &d->grid));
  for (int k = 0; k < m->dim; k++) d->gridS[k] = x->shape[2 + k];
  d->gridC = m->out_channels;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDgnoGetLatent(NeopModel m, int *latent)
{
  Dgno *d;

  PetscFunctionBegin;
  PetscCall(dgno_get(m, &d));
  *latent = d->latent;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDgnoEncode(NeopModel m, NeopTape *t, NeopTensor *a, NeopTensor **beta)
{
  Dgno       *d;
  NeopTensor *h, *z;
  int         N = a->shape[0];
  char        ba[96];

  PetscFunctionBegin;
  PetscCall(dgno_get(m, &d));
  PetscCheck(a->ndim == 2 + m->dim && a->shape[1] == m->in_channels, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "dgno: input %s must be (N, %d, *S) with %d spatial dims", NeopTensorShapeString(a, ba, sizeof(ba)), m->in_channels, m->dim);
  if (d->enc == ENC_CNN) {
    NeopTensor *s, *g;
    int         shape[4] = {N, m->in_channels, d->sensors, d->sensors};
    PetscCall(NeopOpGridInterp(t, a, &d->sens, PETSC_FALSE, &s)); /* (N, Cin, sensors^d) */
    PetscCall(NeopOpReshape(t, s, 2 + m->dim, shape, &g));
    PetscCall(NeopCNNEncoderForward(&d->cnn, t, g, &z));
  } else if (d->enc == ENC_MLP) {
    NeopTensor *s;
    int         shape[2];
    PetscCall(NeopOpGridInterp(t, a, &d->sens, PETSC_FALSE, &s)); /* (N, Cin, sensors^d) */
    shape[0] = N;
    shape[1] = (int)d->sens.shape[0] * m->in_channels;
    PetscCall(NeopOpReshape(t, s, 2, shape, &h));
    for (int i = 0; i <= d->nenc; i++) {
      PetscCall(NeopOpLinear(t, h, d->We[i], d->be[i], &z));
      if (i < d->nenc) PetscCall(NeopOpUnary(t, d->enc_act, z, &h));
    }
  } else {
    NeopTensor *tok, *l, *y, *s, *mean;
    int         dims[1] = {1};
    PetscCall(dgno_grid(m, a));
    PetscCall(NeopOpFieldToTokens(t, a, &d->grid, &tok)); /* (N, P, d + Cin) */
    PetscCall(NeopOpLinear(t, tok, d->Wl, d->bl, &l));
    PetscCall(NeopTransformerSetGrid(d->tr, m->dim, a->shape + 2));
    PetscCall(NeopTransformerForward(d->tr, t, l, &y));   /* (N, P, width) */
    PetscCall(NeopOpSumDims(t, y, 1, dims, PETSC_FALSE, &s));
    PetscCall(NeopOpScale(t, s, 1.0 / tok->shape[1], &mean));
    PetscCall(NeopOpLinear(t, mean, d->Wo, d->bo, &z));
  }
  PetscCall(NeopOpUnary(t, NEOP_UNARY_TANH, z, beta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* factor g(x) = prod_{k < nd} sin(pi x_k) (P) of the first nd coordinates of x (P, dim) (Burgers:
   x of (x, t)) and its gradient dg (dim, P) as constants */
static PetscErrorCode bc_factor(NeopTape *t, NeopTensor *x, int nd, NeopTensor **g, NeopTensor **dg)
{
  const NeopBackend *be = NeopBackendGet();
  int                P = x->shape[0], dim = x->shape[1], shape[2] = {dim, P};
  float             *xh, *gh, *dgh;

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(P * dim, &xh, P, &gh, P * dim, &dgh));
  PetscCall(be->to_host(xh, x->data, sizeof(float) * (size_t)(P * dim)));
  for (int p = 0; p < P; p++) {
    double prod = 1;
    for (int k = 0; k < nd; k++) prod *= sin(M_PI * xh[p * dim + k]);
    gh[p] = (float)prod;
    for (int j = 0; j < dim; j++) {
      double v = j < nd ? M_PI * cos(M_PI * xh[p * dim + j]) : 0.0;
      for (int k = 0; k < nd; k++)
        if (k != j) v *= sin(M_PI * xh[p * dim + k]);
      dgh[j * P + p] = (float)v;
    }
  }
  PetscCall(NeopTapeTensor(t, 1, &P, g));
  PetscCall(be->from_host((*g)->data, gh, sizeof(float) * (size_t)P));
  if (dg) {
    PetscCall(NeopTapeTensor(t, 2, shape, dg));
    PetscCall(be->from_host((*dg)->data, dgh, sizeof(float) * (size_t)(P * dim)));
  }
  PetscCall(PetscFree3(xh, gh, dgh));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDgnoDecode(NeopModel m, NeopTape *t, NeopTensor *beta, NeopTensor *x, NeopTensor **u, NeopTensor **du, NeopTensor **a)
{
  Dgno       *d;
  NeopTensor *v, *dv = NULL;

  PetscFunctionBegin;
  PetscCall(dgno_get(m, &d));
  PetscCall(NeopONetEvaluate(&d->u, t, x, beta, &v, du ? &dv : NULL));
  if (d->bc) {
    NeopTensor *g, *dg, *v3, *t1, *t2;
    int         N = v->shape[0], P = v->shape[1], shape[3] = {N, 1, P};
    PetscCall(bc_factor(t, x, m->dim, &g, du ? &dg : NULL));
    PetscCall(NeopOpMul(t, v, g, u));
    if (du) { /* d(g v) = g dv + v dg */
      PetscCall(NeopOpMul(t, dv, g, &t1));
      PetscCall(NeopOpReshape(t, v, 3, shape, &v3));
      PetscCall(NeopOpMul(t, v3, dg, &t2));
      PetscCall(NeopOpAdd(t, t1, t2, du));
    }
  } else {
    *u = v;
    if (du) *du = dv;
  }
  if (a) {
    NeopTensor *z;
    PetscCheck(d->pde != PDE_BURGERS, PETSC_COMM_SELF, PETSC_ERR_SUP, "dgno -dgno_pde %s has no a decoder", pde_kinds[d->pde]);
    PetscCall(NeopONetEvaluate(&d->a, t, x, beta, &z, NULL));
    if (d->lik == LIK_GAUSSIAN) *a = z;
    else {
      NeopTensor *s;
      PetscCall(NeopOpUnary(t, NEOP_UNARY_SIGMOID, z, &s));
      PetscCall(NeopOpScale(t, s, d->a_high - d->a_low, &z));
      {
        NeopTensor *c;
        int         one = 1;
        float       lo  = (float)d->a_low;
        PetscCall(NeopTapeTensor(t, 1, &one, &c));
        PetscCall(NeopBackendGet()->from_host(c->data, &lo, sizeof(float)));
        PetscCall(NeopOpAdd(t, z, c, a));
      }
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Burgers, test functions in x: the points (x_c + R z_q, t_c) (nc Q, 2) with the time slices
   t_c = T c / (nc - 1) of the reference (np.linspace(0, T, nc)) */
static PetscErrorCode burgers_points(Dgno *d, NeopTape *t, NeopTensor *x, NeopTensor **xt)
{
  const NeopBackend *be = NeopBackendGet();
  int                nc, Q, shape[2];
  float             *xh, *h;

  PetscFunctionBegin;
  PetscCall(NeopWeakFormGetPoints(d->wf, &nc, &Q, NULL, NULL));
  shape[0] = nc * Q;
  shape[1] = 2;
  PetscCall(PetscMalloc2(nc * Q, &xh, 2 * nc * Q, &h));
  PetscCall(be->to_host(xh, x->data, sizeof(float) * (size_t)(nc * Q)));
  for (int c = 0; c < nc; c++)
    for (int q = 0; q < Q; q++) {
      h[2 * (c * Q + q)]     = xh[c * Q + q];
      h[2 * (c * Q + q) + 1] = (float)(nc > 1 ? d->T * c / (nc - 1) : 0.0);
    }
  PetscCall(NeopTapeTensor(t, 2, shape, xt));
  PetscCall(be->from_host((*xt)->data, h, sizeof(float) * (size_t)(2 * nc * Q)));
  PetscCall(PetscFree2(xh, h));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* r (N, ncentres): the weak residual (mixed form: of -div s = f) and, mixed form, r1 = mean_q |s - a grad u|^2 */
static PetscErrorCode dgno_residuals(NeopModel m, NeopTape *t, NeopTensor *beta, NeopTensor *agrid, uint64_t step, NeopTensor **r, NeopTensor **r1)
{
  Dgno       *d = (Dgno *)m->data;
  NeopTensor *x, *u, *du, *a;

  PetscFunctionBegin;
  PetscCall(NeopWeakFormDraw(d->wf, m->seed, step));
  PetscCall(NeopWeakFormGetPoints(d->wf, NULL, NULL, &x, NULL));
  if (r1) *r1 = NULL;
  if (d->pde == PDE_BURGERS) {
    NeopTensor *xt = x;
    if (d->test == TEST_SPACE) PetscCall(burgers_points(d, t, x, &xt));
    PetscCall(NeopDgnoDecode(m, t, beta, xt, &u, &du, NULL));
    PetscCall(NeopWeakFormBurgersResidual(d->wf, t, u, du, d->nu, r));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (agrid) {
    NeopTensor *a3;
    int         shape[2] = {agrid->shape[0], x->shape[0]};
    PetscCall(NeopDgnoDecode(m, t, beta, x, &u, &du, NULL));
    PetscCall(NeopOpGridInterp(t, agrid, x, d->a_nearest, &a3)); /* (N, 1, P) */
    PetscCall(NeopOpReshape(t, a3, 2, shape, &a));
  } else PetscCall(NeopDgnoDecode(m, t, beta, x, &u, &du, &a));
  if (d->pde == PDE_POISSON) { /* the input (or decoded) field is the source f; a = 1 */
    PetscCall(NeopWeakFormPoissonResidual(d->wf, t, a, du, r));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (d->form == FORM_MIXED) {
    NeopTensor *sj[3], *s, *q;
    int         shape[3] = {du->shape[0], 1, du->shape[2]};
    for (int j = 0; j < m->dim; j++) {
      PetscCall(NeopONetEvaluate(&d->s[j], t, x, beta, &q, NULL)); /* (N, P) */
      PetscCall(NeopOpReshape(t, q, 3, shape, &sj[j]));
    }
    if (m->dim > 1) PetscCall(NeopOpConcat(t, m->dim, sj, 1, &s));
    else s = sj[0];
    PetscCall(NeopWeakFormDarcyMixedResidual(d->wf, t, a, du, s, d->f, &q, r));
    if (r1) *r1 = q;
  } else PetscCall(NeopWeakFormDarcyResidual(d->wf, t, a, du, d->f, r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDgnoResidual(NeopModel m, NeopTape *t, NeopTensor *beta, NeopTensor *agrid, uint64_t step, NeopTensor **r)
{
  Dgno *d;

  PetscFunctionBegin;
  PetscCall(dgno_get(m, &d));
  PetscCall(dgno_residuals(m, t, beta, agrid, step, r, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDgnoPdeLoss(NeopModel m, NeopTape *t, NeopTensor *beta, NeopTensor *agrid, uint64_t step, int nglobal, NeopTensor **loss)
{
  Dgno       *d;
  NeopTensor *r, *r1;

  PetscFunctionBegin;
  PetscCall(dgno_get(m, &d));
  PetscCall(dgno_residuals(m, t, beta, agrid, step, &r, &r1));
  if (r1) PetscCall(NeopWeakFormMixedLoss(d->wf, t, r1, r, nglobal, loss));
  else PetscCall(NeopWeakFormLoss(d->wf, t, r, d->topk, nglobal, loss));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* reconstruction loss of a (N, 1, *S) from beta at the grid nodes; Burgers: of u0 = a by u(x, 0) */
static PetscErrorCode dgno_data_loss(NeopModel m, NeopTape *t, NeopTensor *beta, NeopTensor *agrid, int nglobal, NeopTensor **loss)
{
  Dgno       *d = (Dgno *)m->data;
  NeopTensor *z, *target;
  int         N = agrid->shape[0], shape[2] = {N, (int)(agrid->size / (N ? N : 1))};

  PetscFunctionBegin;
  PetscCall(dgno_grid(m, agrid));
  if (d->pde == PDE_BURGERS) PetscCall(NeopDgnoDecode(m, t, beta, &d->init, &z, NULL, NULL)); /* (N, S) */
  else PetscCall(NeopONetEvaluate(&d->a, t, &d->grid, beta, &z, NULL)); /* (N, P) logits or values */
  PetscCall(NeopOpReshape(t, agrid, 2, shape, &target));
  if (d->pde == PDE_BURGERS || d->lik == LIK_GAUSSIAN) { /* mean_n ||z_n - a_n||_2 */
    NeopTensor *e, *n, *s;
    PetscCall(NeopOpSub(t, z, target, &e));
    PetscCall(NeopOpNormLp(t, e, 2.0, &n));
    PetscCall(NeopOpSum(t, n, &s));
    PetscCall(NeopOpScale(t, s, 1.0 / nglobal, loss));
  } else { /* binary cross-entropy with logits: softplus(z) - y z, y = (a - low)/(high - low), mean over samples and points */
    NeopTensor *sp, *y, *yz, *e, *s;
    float      *yh;
    PetscCall(NeopTapeTensorLike(t, target, &y));
    PetscCall(PetscMalloc1(y->size, &yh));
    PetscCall(NeopBackendGet()->to_host(yh, target->data, sizeof(float) * (size_t)y->size));
    for (int64_t i = 0; i < y->size; i++) {
      double v = (yh[i] - d->a_low) / (d->a_high - d->a_low);
      yh[i]    = (float)(v < 0 ? 0 : v > 1 ? 1 : v);
    }
    PetscCall(NeopBackendGet()->from_host(y->data, yh, sizeof(float) * (size_t)y->size));
    PetscCall(PetscFree(yh));
    PetscCall(NeopOpUnary(t, NEOP_UNARY_SOFTPLUS, z, &sp));
    PetscCall(NeopOpMul(t, y, z, &yz));
    PetscCall(NeopOpSub(t, sp, yz, &e));
    PetscCall(NeopOpSum(t, e, &s));
    PetscCall(NeopOpScale(t, s, 1.0 / ((double)nglobal * shape[1]), loss));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dgno_loss(NeopModel m, NeopTape *t, const NeopBatch *batch, NeopTensor **loss)
{
  Dgno       *d = (Dgno *)m->data;
  NeopTensor *beta, *la, *lp, *s1, *s2;

  PetscFunctionBegin;
  PetscCall(NeopDgnoEncode(m, t, batch->a, &beta));
  PetscCall(dgno_data_loss(m, t, beta, batch->a, batch->nglobal, &la));
  PetscCall(NeopDgnoPdeLoss(m, t, beta, batch->a, (uint64_t)m->step, batch->nglobal, &lp));
  PetscCall(NeopOpScale(t, la, d->w_data, &s1));
  PetscCall(NeopOpScale(t, lp, d->w_pde, &s2));
  PetscCall(NeopOpAdd(t, s1, s2, loss));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dgno_forward(NeopModel m, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  Dgno       *d = (Dgno *)m->data;
  NeopTensor *beta, *u;
  int         shape[NEOP_MAX_DIMS];

  PetscFunctionBegin;
  PetscCall(NeopDgnoEncode(m, t, x, &beta));
  PetscCall(dgno_grid(m, x));
  PetscCall(NeopDgnoDecode(m, t, beta, &d->grid, &u, NULL, NULL)); /* (N, P) */
  shape[0] = x->shape[0];
  shape[1] = d->pde == PDE_BURGERS ? m->out_channels : 1;
  for (int k = 0; k < m->dim; k++) shape[2 + k] = x->shape[2 + k];
  PetscCall(NeopOpReshape(t, u, 2 + m->dim, shape, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dgno_view(NeopModel m, PetscViewer viewer)
{
  Dgno *d = (Dgno *)m->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "DGNO: %s (%s), latent %d, %s encoder, a likelihood %s, weak form R = %g, %d centres, top-%d, w_data %g, w_pde %g\n",
                                   pde_kinds[d->pde], d->pde == PDE_DARCY ? form_kinds[d->form] : d->pde == PDE_POISSON ? "primal" : test_kinds[d->test], d->latent,
                                   enc_kinds[d->enc], lik_kinds[d->lik], d->radius, d->ncentres, d->topk, d->w_data, d->w_pde));
  if (d->enc == ENC_CNN) PetscCall(NeopCNNEncoderView(&d->cnn, "encoder", viewer));
  PetscCall(NeopONetView(&d->u, "u decoder", viewer));
  if (d->pde == PDE_DARCY) PetscCall(NeopONetView(&d->a, "a decoder", viewer));
  if (d->pde == PDE_POISSON) PetscCall(NeopONetView(&d->a, "f decoder", viewer));
  if (d->pde == PDE_DARCY && d->form == FORM_MIXED)
    for (int j = 0; j < m->dim; j++) PetscCall(NeopONetView(&d->s[j], "flux decoder", viewer));
  if (d->tr) PetscCall(NeopTransformerView(d->tr, viewer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode dgno_destroy(NeopModel m)
{
  Dgno *d = (Dgno *)m->data;

  PetscFunctionBegin;
  PetscCall(NeopTransformerDestroy(&d->tr));
  PetscCall(NeopWeakFormDestroy(&d->wf));
  if (d->sens.data) PetscCall(NeopBackendGet()->free(d->sens.data));
  if (d->grid.data) PetscCall(NeopBackendGet()->free(d->grid.data));
  if (d->init.data) PetscCall(NeopBackendGet()->free(d->init.data));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate_DGNO(NeopModel m)
{
  Dgno *d;

  PetscFunctionBegin;
  PetscCall(PetscNew(&d));
  d->latent       = 128;
  d->sensors      = 29;
  d->enc          = ENC_MLP;
  d->nenc         = 2;
  d->enc_width[0] = 512;
  d->enc_width[1] = 256;
  d->enc_act      = NEOP_UNARY_SILU;
  d->lik          = LIK_GAUSSIAN;
  d->a_low        = 3;
  d->a_high       = 12;
  d->bc           = PETSC_TRUE;
  d->w_data       = 0.25;
  d->w_pde        = 1.0;
  d->radius       = 1e-4;
  d->ncentres     = 100;
  d->nmesh        = 9;
  d->topk         = 20;
  d->f            = 1.0;
  d->pde          = PDE_DARCY;
  d->form         = FORM_PRIMAL;
  d->test         = TEST_SPACE;
  d->nu           = 0.1 / (4 * M_PI); /* the reference's 0.1/pi on [-1,1], mapped to [0,1] */
  d->T            = 1.0;
  d->cnn          = (NeopCNNEncoder){.nconv = 3, .channels = {64, 64, 64}, .kernel = 3, .stride = 2, .nhidden = 2, .hidden = {128, 128},
                                     .act = NEOP_UNARY_SILU};
  for (int i = 0; i < 3; i++) {
    NeopONet *n   = i == 0 ? &d->u : i == 1 ? &d->a : &d->s[0];
    n->width      = 100;
    n->layers     = i == 2 ? 5 : 6; /* the reference's flux networks: [100] x 5, l = 4 */
    n->sum_layers = i == 2 ? 4 : 5;
    n->act_trunk  = NEOP_UNARY_TANH_SIN;
    n->act_branch = NEOP_UNARY_TANH_SIN;
  }
  m->data               = d;
  m->ops.setfromoptions = dgno_setfromoptions;
  m->ops.setup          = dgno_setup;
  m->ops.forward        = dgno_forward;
  m->ops.loss           = dgno_loss;
  m->ops.view           = dgno_view;
  m->ops.destroy        = dgno_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
