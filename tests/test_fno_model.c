/* The FNO family: parameter counts at the defaults against the PyTorch
   scripts' models (counted by tests/reference/fno.py), the spectral weights'
   initialisation, a model rebuilt from its recorded options, and bad options. */
#include "testing.h"
#include <neop/model.h>
#include <hdf5.h>
#include <math.h>

static PetscErrorCode fixture_count(const char *attr, long long *v)
{
  const char *dir = getenv("NEOP_FIXTURES");
  char        path[PETSC_MAX_PATH_LEN];
  hid_t       f, a;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/fno.h5", dir ? dir : "tests/fixtures"));
  f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open fixture %s", path);
  a = H5Aopen(f, attr, H5P_DEFAULT);
  PetscCheck(a >= 0 && H5Aread(a, H5T_NATIVE_LLONG, v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s: no attribute %s", path, attr);
  H5Aclose(a);
  H5Fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A 2-D model 1 -> 1 channel from the options string (inserted, then cleared). */
static PetscErrorCode build(const char *opts, NeopModel *m)
{
  static const char *names[] = {"-fno_modes", "-fno_width", "-fno_layers", "-fno_padding", "-fno_channel_mlp", "-fno_proj_width", "-fno_activation", "-fno_transform", "-model_seed"};

  PetscFunctionBegin;
  PetscCall(PetscOptionsInsertString(NULL, opts));
  PetscCall(NeopModelCreate(PETSC_COMM_SELF, m));
  PetscCall(NeopModelSetType(*m, "fno"));
  PetscCall(NeopModelSetShape(*m, 2, 1, 1));
  PetscCall(NeopModelSetFromOptions(*m));
  PetscCall(NeopModelSetUp(*m));
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) PetscCall(PetscOptionsClearValue(NULL, names[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode forward(NeopModel m, const int *xs, NeopTape *t, NeopTensor **y)
{
  NeopTensor *x;
  PetscFunctionBegin;
  PetscCall(NeopTapeTensor(t, 4, xs, &x));
  NeopTestRandom(7, x->size, -1, 1, x->data);
  PetscCall(NeopModelForward(m, t, x, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  NeopModel m, r;
  long long ref;

  PetscCall(NeopTestInitialize(&argc, &argv));
  /* defaults = the 2021 Darcy script's model (padding aside, which has no parameters) */
  PetscCall(fixture_count("darcy_2021_parameters", &ref));
  PetscCall(build("", &m));
  NeopTestCheck(NeopModelParameterCount(m) == ref, "default 2-D FNO has %lld parameters, PyTorch's 2021 script %lld",
                (long long)NeopModelParameterCount(m), ref);
  {
    /* spectral weights: 1/(32*32) U(0, 1) in real and imaginary parts */
    NeopParam *p;
    double     lo = 1, hi = -1, mean = 0, scale = 1.0 / (32 * 32);
    PetscCall(NeopParamsFind(m->params, "conv2.weights2", &p));
    NeopTestCheck(p && p->tensor.ndim == 5 && p->tensor.shape[4] == 2, "conv2.weights2 is (32, 32, 12, 12, 2)");
    for (int64_t i = 0; p && i < p->tensor.size; i++) {
      lo = fmin(lo, p->tensor.data[i]);
      hi = fmax(hi, p->tensor.data[i]);
      mean += p->tensor.data[i] / (double)p->tensor.size;
    }
    /* 294912 values: the mean of U(0, s) is s/2 with standard error s/sqrt(12 n) = 5e-4 s */
    NeopTestCheck(lo >= 0 && hi < scale && fabs(mean - scale / 2) < 3e-3 * scale,
                  "spectral weights in [0, %g): min %g max %g mean %g", scale, lo, hi, mean);
  }
  PetscCall(NeopModelDestroy(&m));
  PetscCall(fixture_count("darcy_mlp_parameters", &ref));
  PetscCall(build("-fno_channel_mlp", &m));
  NeopTestCheck(NeopModelParameterCount(m) == ref, "-fno_channel_mlp 2-D FNO has %lld parameters, PyTorch's current script %lld",
                (long long)NeopModelParameterCount(m), ref);
  PetscCall(NeopModelDestroy(&m));

  {
    /* a model rebuilt from the recorded options alone computes the same function */
    char        opts[2048] = "";
    NeopTape   *t;
    NeopTensor *y1, *y2;
    int         xs[4] = {2, 1, 12, 10};
    PetscCall(build("-fno_modes 3,2 -fno_width 5 -fno_layers 3 -fno_padding 0.25,2 -fno_activation silu -model_seed 9 -fno_channel_mlp", &m));
    for (int i = 0; i < m->noptions; i++) {
      PetscCall(PetscStrlcat(opts, " ", sizeof(opts)));
      PetscCall(PetscStrlcat(opts, m->option_name[i], sizeof(opts)));
      PetscCall(PetscStrlcat(opts, " ", sizeof(opts)));
      PetscCall(PetscStrlcat(opts, m->option_value[i], sizeof(opts)));
    }
    PetscCall(build(opts, &r));
    PetscCall(NeopTapeCreate(&t));
    PetscCall(forward(m, xs, t, &y1));
    PetscCall(forward(r, xs, t, &y2));
    NeopTestCheck(NeopModelParameterCount(m) == NeopModelParameterCount(r) && m->noptions == r->noptions,
                  "rebuilt from its options:%s", opts);
    NeopTestClose("rebuilt model's output", y1->size, y2->data, y1->data, 0, 1e-30);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(NeopModelDestroy(&m));
    PetscCall(NeopModelDestroy(&r));
  }
  {
    /* refused: 3 modes values in 2-D, padding 1.5, modes above the padded grid's limit */
    const char    *bad[] = {"-fno_modes 1,2,3", "-fno_padding 1.5", "-fno_width 0"};
    PetscErrorCode ierr;
    for (int i = 0; i < 3; i++) {
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = build(bad[i], &m);
      PetscCall(PetscPopErrorHandler());
      NeopTestCheck(ierr != 0, "%s is refused (error %d)", bad[i], (int)ierr);
      PetscCall(NeopModelDestroy(&m));
      PetscCall(PetscOptionsClearValue(NULL, "-fno_modes"));
      PetscCall(PetscOptionsClearValue(NULL, "-fno_padding"));
      PetscCall(PetscOptionsClearValue(NULL, "-fno_width"));
    }
  }
  {
    /* 12 modes on an 20-point grid: 2 * 12 > 20 in the first dim */
    NeopTape      *t;
    NeopTensor    *y;
    int            xs[4] = {1, 1, 20, 20};
    PetscErrorCode ierr;
    PetscCall(build("", &m));
    PetscCall(NeopTapeCreate(&t));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = forward(m, xs, t, &y);
    PetscCall(PetscPopErrorHandler());
    NeopTestCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, "12 modes on a 20 x 20 grid are refused (error %d)", (int)ierr);
    PetscCall(NeopTapeDestroy(&t));
    PetscCall(NeopModelDestroy(&m));
  }
  return NeopTestFinalize();
}
