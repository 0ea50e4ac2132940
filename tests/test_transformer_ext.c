/* Spectral token mixing (hybrid transformer stacks) and Transolver on point
   sets: finite-difference gradients of the spectral gating op (1-D, 2-D, 3-D,
   FFT and DFT transforms, which must agree), PyTorch comparisons (fixture from
   tests/reference/transformer_ext.py: the mixer in 1-3 D, a Transolver whose
   first block is spectral, a Transolver on point sets), and the refusals:
   modes beyond the grid, grid-only features on point sets, grid models on
   point sets. */
#include "testing.h"
#include <neop/nn/transformer.h>
#include <neop/models.h>

#define FIX "transformer_ext.h5"

static PetscErrorCode gate_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpSpectralGate(t, *(NeopSpectralMethod *)ctx, in[0], NeopSpectralCorners(in[0]->ndim - 2), in + 1, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* gradients of the gate, and FFT == DFT on the same inputs */
static PetscErrorCode check_gate(const char *name, int d, const int *S, const int *m, uint64_t seed)
{
  int    nw = 1 << (d - 1), ndim[5], shape[5][NEOP_MAX_DIMS];
  float *data[5];
  int64_t size[5];
  float *y[2];
  char   what[96];

  PetscFunctionBegin;
  ndim[0]     = d + 2;
  shape[0][0] = 2;
  shape[0][1] = 3;
  size[0]     = 6;
  for (int i = 0; i < d; i++) shape[0][2 + i] = S[i], size[0] *= S[i];
  for (int c = 0; c < nw; c++) {
    ndim[1 + c]     = d + 2;
    shape[1 + c][0] = 3;
    size[1 + c]     = 6;
    for (int i = 0; i < d; i++) shape[1 + c][1 + i] = m[i], size[1 + c] *= m[i];
    shape[1 + c][1 + d] = 2;
  }
  for (int k = 0; k < 1 + nw; k++) {
    PetscCall(PetscMalloc1(size[k], &data[k]));
    NeopTestRandom(seed + (uint64_t)k, size[k], -1, 1, data[k]);
  }
  for (int k = 0; k < 2; k++) {
    NeopSpectralMethod method = k ? NEOP_SPECTRAL_DFT : NEOP_SPECTRAL_FFT;
    NeopTape          *t;
    NeopTensor        *in[5], *out;
    PetscCall(PetscSNPrintf(what, sizeof(what), "spectral gate %s %s", name, k ? "dft" : "fft"));
    /* linear in x and in each weight: central differences are exact up to rounding */
    PetscCall(NeopTestGradCheck(what, gate_fn, &method, 1 + nw, ndim, (const int(*)[NEOP_MAX_DIMS])shape, data, 1e-2, 1e-2, 1e-3));
    PetscCall(NeopTapeCreate(&t));
    for (int j = 0; j < 1 + nw; j++) {
      PetscCall(NeopTapeTensor(t, ndim[j], shape[j], &in[j]));
      PetscCall(PetscArraycpy(in[j]->data, data[j], size[j]));
    }
    PetscCall(NeopOpSpectralGate(t, method, in[0], nw, in + 1, &out));
    PetscCall(PetscMalloc1(out->size, &y[k]));
    PetscCall(PetscArraycpy(y[k], out->data, out->size));
    PetscCall(NeopTapeDestroy(&t));
  }
  PetscCall(PetscSNPrintf(what, sizeof(what), "spectral gate %s: fft == dft", name));
  NeopTestClose(what, size[0], y[0], y[1], 1e-4, 1e-5);
  for (int k = 0; k < 2; k++) PetscCall(PetscFree(y[k]));
  for (int k = 0; k < 1 + nw; k++) PetscCall(PetscFree(data[k]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mixer_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopSpectralMixerForward((NeopSpectralMixer *)ctx, t, x, y); }
static PetscErrorCode model_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y) { return NeopModelForward((NeopModel)ctx, t, x, y); }

typedef struct {
  NeopModel   m;
  NeopTensor *pos; /* (N, d, P) */
} PointCase;

static PetscErrorCode points_fn(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  PointCase *c = (PointCase *)ctx;
  return NeopModelForwardPoints(c->m, t, x, c->pos, y);
}

static void set_options(const char *const *kv)
{
  for (int i = 0; kv[i]; i += 2) PetscCallVoid(PetscOptionsSetValue(NULL, kv[i], kv[i + 1]));
}

static void clear_options(const char *const *kv)
{
  for (int i = 0; kv[i]; i += 2) PetscCallVoid(PetscOptionsClearValue(NULL, kv[i]));
}

/* a model of the given options on d-D data (point sets or grids); returns the error code of SetFromOptions + SetUp */
static PetscErrorCode build_model(const char *const *kv, int d, PetscBool points, NeopModel *m, PetscErrorCode *ierr)
{
  PetscFunctionBegin;
  set_options(kv);
  PetscCall(NeopModelCreate(PETSC_COMM_WORLD, m));
  PetscCall(NeopModelSetShape(*m, d, 1, 1));
  PetscCall(NeopModelSetPointSet(*m, points));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  *ierr = NeopModelSetFromOptions(*m);
  if (!*ierr) *ierr = NeopModelSetUp(*m);
  PetscCall(PetscPopErrorHandler());
  clear_options(kv);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    int S1[1] = {10}, m1[1] = {4}, S2[2] = {6, 7}, m2[2] = {3, 4}, S3[3] = {4, 5, 6}, m3[3] = {2, 2, 3};
    PetscCall(check_gate("1-D", 1, S1, m1, 10));
    PetscCall(check_gate("2-D all modes, Nyquist kept", 2, S2, m2, 20));
    PetscCall(check_gate("3-D", 3, S3, m3, 30));
  }
  {
    /* the mixer alone against PyTorch's rfftn / irfftn */
    const char *cases[3] = {"mixer_1d", "mixer_2d", "mixer_3d"};
    int         S[3][3] = {{10, 1, 1}, {6, 7, 1}, {4, 4, 5}}, m[3][3] = {{4, 1, 1}, {2, 3, 1}, {2, 2, 2}};
    for (int c = 0; c < 3; c++) {
      NeopParams       *p;
      NeopSpectralMixer s;
      int               xs[3] = {2, S[c][0] * S[c][1] * S[c][2], 4};
      PetscCall(NeopParamsCreate(&p));
      PetscCall(NeopSpectralMixerSetUp(&s, p, "mix", 4, c + 1, m[c], NEOP_SPECTRAL_AUTO));
      PetscCall(NeopParamsFinalize(p, 1));
      for (int i = 0; i <= c; i++) s.grid[i] = S[c][i];
      PetscCall(NeopTestTorchCase(FIX, cases[c], p, 3, xs, mixer_fn, &s));
      PetscCall(NeopParamsDestroy(&p));
    }
  }
  {
    /* Transolver, block 0 spectral (modes 2 x 3), block 1 physics attention, 6 x 7 grid */
    const char *kv[] = {"-model", "transolver", "-transolver_layers", "2", "-transolver_width", "8", "-transolver_heads", "2", "-transolver_slices", "3",
                        "-transolver_ref", "3", "-transolver_spectral_layers", "1", "-transolver_spectral_modes", "2,3", NULL};
    NeopModel      m;
    PetscErrorCode ierr;
    int            xs[4] = {2, 1, 6, 7};
    PetscCall(build_model(kv, 2, PETSC_FALSE, &m, &ierr));
    NeopTestCheck(!ierr, "hybrid Transolver sets up (error %d)", (int)ierr);
    if (!ierr) PetscCall(NeopTestTorchCase(FIX, "hybrid_transolver", m->params, 4, xs, model_fn, m));
    {
      PetscBool found = PETSC_FALSE;
      for (int i = 0; i < m->noptions; i++)
        if (!strcmp(m->option_name[i], "-transolver_spectral_modes") && !strcmp(m->option_value[i], "2,3,12")) found = PETSC_TRUE;
      NeopTestCheck(found, "the spectral modes are recorded for checkpoints");
    }
    PetscCall(NeopModelDestroy(&m));
  }
  {
    /* spectral modes beyond the grid are refused at the forward, naming the grid */
    const char    *kv[] = {"-model", "transolver", "-transolver_layers", "1", "-transolver_width", "8", "-transolver_heads", "2",
                           "-transolver_slices", "3", "-transolver_spectral_layers", "1", "-transolver_spectral_modes", "5", NULL};
    NeopModel      m;
    NeopTape      *t;
    NeopTensor    *x, *y;
    PetscErrorCode ierr;
    int            xs[4] = {1, 1, 8, 8};
    PetscCall(build_model(kv, 2, PETSC_FALSE, &m, &ierr));
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, xs, &x));
    PetscCall(PetscArrayzero(x->data, x->size));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = NeopModelForward(m, t, x, &y);
    PetscCall(PetscPopErrorHandler());
    NeopTestCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, "5 spectral modes on an 8 x 8 grid are refused (error %d)", (int)ierr);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(NeopModelDestroy(&m));
  }
  {
    /* Transolver on point sets against PyTorch: tokens [pos, a], 23 nodes per sample, each sample its own */
    const char *kv[] = {"-model", "transolver", "-transolver_layers", "2", "-transolver_width", "8", "-transolver_heads", "2", "-transolver_slices", "3", NULL};
    PointCase      c;
    PetscErrorCode ierr;
    NeopTape      *t;
    float         *pos;
    int64_t        n;
    int            xs[3] = {2, 1, 23}, ps[3] = {2, 2, 23};
    PetscCall(build_model(kv, 2, PETSC_TRUE, &c.m, &ierr));
    NeopTestCheck(!ierr, "Transolver on point sets sets up (error %d)", (int)ierr);
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 3, ps, &c.pos));
    PetscCall(NeopTestReadFixture(FIX, "transolver_points/pos", &pos, &n));
    PetscCall(PetscArraycpy(c.pos->data, pos, n));
    PetscCall(NeopTestTorchCase(FIX, "transolver_points", c.m->params, 3, xs, points_fn, &c));
    PetscCall(PetscFree(pos));
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(NeopModelDestroy(&c.m));
  }
  {
    /* refusals on point sets: grid-only positions, conv projections, spectral blocks, a grid model */
    const char *bad[4][9] = {
      {"-model", "transolver", "-transolver_pos", "unified", NULL},
      {"-model", "transolver", "-transolver_conv_embed", "3", NULL},
      {"-model", "transolver", "-transolver_spectral_layers", "1", NULL},
      {"-model", "fno", NULL},
    };
    const char *what[4] = {"-transolver_pos unified", "-transolver_conv_embed 3", "-transolver_spectral_layers 1", "-model fno"};
    for (int k = 0; k < 4; k++) {
      NeopModel      m;
      PetscErrorCode ierr;
      PetscCall(build_model(bad[k], 2, PETSC_TRUE, &m, &ierr));
      NeopTestCheck(ierr == PETSC_ERR_ARG_INCOMP || ierr == PETSC_ERR_SUP, "%s on point sets is refused (error %d)", what[k], (int)ierr);
      PetscCall(NeopModelDestroy(&m));
    }
  }
  return NeopTestFinalize();
}
