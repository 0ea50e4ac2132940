/* Spectral convolution and FNO against PyTorch (tests/reference/fno.py ->
   tests/fixtures/fno.h5): the same weights and inputs give the same outputs,
   and the gradients of loss = 0.5 sum(y^2) with respect to the input and to
   every parameter agree, to 1e-4 of each tensor's largest magnitude. */
#include "testing.h"
#include <neop/model.h>
#include <neop/nn/spectral_conv.h>
#include <hdf5.h>
#include <math.h>

static const char *fixture = "fno.h5";

/* a / ref agree to rtol 1e-4 of each value plus 1e-4 of the largest |ref| */
static void compare(const char *scase, const char *what, int64_t n, const float *a, const float *ref)
{
  double big = 0;
  char   name[160];
  for (int64_t i = 0; i < n; i++) big = fmax(big, fabs((double)ref[i]));
  PetscSNPrintf(name, sizeof(name), "%s %s vs PyTorch", scase, what);
  NeopTestClose(name, n, a, ref, 1e-4, 1e-4 * big);
}

/* A float32 dataset /<case>/<what> of the fixture with its shape. */
static PetscErrorCode read(const char *scase, const char *what, float **v, int *ndim, int *shape)
{
  const char *dir = getenv("NEOP_FIXTURES");
  char        path[PETSC_MAX_PATH_LEN], name[160];
  hid_t       f, d, s;
  hsize_t     dims[8];
  int64_t     n = 1;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures", fixture));
  PetscCall(PetscSNPrintf(name, sizeof(name), "/%s/%s", scase, what));
  f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open fixture %s", path);
  d = H5Dopen2(f, name, H5P_DEFAULT);
  PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s has no dataset %s", path, name);
  s     = H5Dget_space(d);
  *ndim = H5Sget_simple_extent_dims(s, dims, NULL);
  PetscCheck(*ndim >= 0 && *ndim <= NEOP_MAX_DIMS, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s:%s has rank %d", path, name, *ndim);
  for (int i = 0; i < *ndim; i++) {
    shape[i] = (int)dims[i];
    n *= (int64_t)dims[i];
  }
  PetscCall(PetscMalloc1(n + 1, v));
  PetscCheck(H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ,
             "cannot read %s:%s", path, name);
  H5Sclose(s);
  H5Dclose(d);
  H5Fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A new tape tensor holding /<case>/<what>. */
static PetscErrorCode read_tensor(NeopTape *t, const char *scase, const char *what, NeopTensor **x)
{
  float *v;
  int    ndim, shape[NEOP_MAX_DIMS];

  PetscFunctionBegin;
  PetscCall(read(scase, what, &v, &ndim, shape));
  PetscCall(NeopTapeTensor(t, ndim, shape, x));
  PetscCall(PetscArraycpy((*x)->data, v, (*x)->size));
  PetscCall(PetscFree(v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Compares a tensor's values (or gradient) with /<case>/<what>, shapes included. */
static PetscErrorCode check(const char *scase, const char *label, const char *what, const NeopTensor *like, const float *a)
{
  float *v;
  int    ndim, shape[NEOP_MAX_DIMS];
  char   buf[96];

  PetscFunctionBegin;
  PetscCall(read(scase, what, &v, &ndim, shape));
  PetscBool same = (PetscBool)(ndim == like->ndim);
  for (int i = 0; same && i < ndim; i++) same = (PetscBool)(shape[i] == like->shape[i]);
  NeopTestCheck(same, "%s %s: neop's shape %s matches PyTorch's", label, what, NeopTensorShapeString(like, buf, sizeof(buf)));
  if (same) compare(label, what, like->size, a ? a : like->data, v);
  PetscCall(PetscFree(v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The string attribute "options" of a case. */
static PetscErrorCode read_options(const char *scase, char *opts, size_t len)
{
  const char *dir = getenv("NEOP_FIXTURES");
  char        path[PETSC_MAX_PATH_LEN], *s = NULL;
  hid_t       f, a, t;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures", fixture));
  f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(f >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open fixture %s", path);
  a = H5Aopen_by_name(f, scase, "options", H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(a >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s: no attribute %s/options", path, scase);
  t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  PetscCheck(H5Aread(a, t, &s) >= 0 && s, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "fixture %s: cannot read %s/options", path, scase);
  PetscCall(PetscStrncpy(opts, s, len));
  H5free_memory(s);
  H5Tclose(t);
  H5Aclose(a);
  H5Fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Runs the tape backward from y with d loss / d y = y (loss = 0.5 sum y^2). */
static PetscErrorCode backward_sum_squares(NeopTape *t, NeopTensor *y)
{
  float *g;
  PetscFunctionBegin;
  PetscCall(NeopTapeGrad(t, y, &g));
  PetscCall(PetscArraycpy(g, y->data, y->size));
  for (int i = t->nnodes - 1; i >= 0; i--)
    if (t->nodes[i].out->grad) PetscCall(t->nodes[i].backward(t, &t->nodes[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static double half_sum_squares(const NeopTensor *y)
{
  double s = 0;
  for (int64_t i = 0; i < y->size; i++) s += 0.5 * (double)y->data[i] * y->data[i];
  return s;
}

static PetscErrorCode check_layer(const char *scase, int d, NeopSpectralMethod method)
{
  NeopTape   *t;
  NeopTensor *x, *w[NEOP_SPECTRAL_MAX_CORNERS], *y, *loss;
  int         nw = NeopSpectralCorners(d);
  char        what[64], label[96];

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(read_tensor(t, scase, "x", &x));
  x->requires_grad = PETSC_TRUE;
  for (int c = 0; c < nw; c++) {
    PetscCall(PetscSNPrintf(what, sizeof(what), "param/weights%d", c + 1));
    PetscCall(read_tensor(t, scase, what, &w[c]));
    w[c]->requires_grad = PETSC_TRUE;
  }
  PetscCall(NeopOpSpectralConv(t, method, x, nw, w, &y));
  PetscCall(PetscSNPrintf(label, sizeof(label), "%s (%s)", scase, NeopSpectralMethods[method]));
  PetscCall(check(scase, label, "y", y, NULL));
  PetscCall(read_tensor(t, scase, "loss", &loss));
  compare(label, "loss", 1, (float[]){(float)half_sum_squares(y)}, loss->data);
  PetscCall(backward_sum_squares(t, y));
  PetscCall(check(scase, label, "grad_x", x, x->grad));
  for (int c = 0; c < nw; c++) {
    PetscCall(PetscSNPrintf(what, sizeof(what), "grad/weights%d", c + 1));
    PetscCall(check(scase, label, what, w[c], w[c]->grad));
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_model(const char *scase, int d, const char *transform)
{
  static const char *names[] = {"-fno_modes", "-fno_width", "-fno_layers", "-fno_padding", "-fno_channel_mlp", "-fno_proj_width", "-fno_activation", "-fno_transform"};
  NeopModel          m;
  NeopTape          *t;
  NeopTensor        *x, *y, *loss;
  char               opts[320], what[96], label[96];
  PetscBool          view;

  PetscFunctionBegin;
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) PetscCall(PetscOptionsClearValue(NULL, names[i]));
  PetscCall(read_options(scase, opts, sizeof(opts)));
  PetscCall(PetscStrlcat(opts, " -fno_transform ", sizeof(opts)));
  PetscCall(PetscStrlcat(opts, transform, sizeof(opts)));
  PetscCall(PetscSNPrintf(label, sizeof(label), "%s (%s)", scase, transform));
  PetscCall(PetscOptionsInsertString(NULL, opts));
  PetscCall(NeopModelCreate(PETSC_COMM_SELF, &m));
  PetscCall(NeopModelSetType(m, "fno"));
  PetscCall(NeopModelSetShape(m, d, 1, 1));
  PetscCall(NeopModelSetFromOptions(m));
  PetscCall(NeopModelSetUp(m));
  /* every neop parameter by name, with PyTorch's shape */
  for (int i = 0; i < m->params->n; i++) {
    NeopParam *p = m->params->list[i];
    float     *v;
    int        ndim, shape[NEOP_MAX_DIMS];
    PetscBool  same;
    PetscCall(PetscSNPrintf(what, sizeof(what), "param/%s", p->name));
    PetscCall(read(scase, what, &v, &ndim, shape));
    same = (PetscBool)(ndim == p->tensor.ndim);
    for (int k = 0; same && k < ndim; k++) same = (PetscBool)(shape[k] == p->tensor.shape[k]);
    PetscCheck(same, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: parameter %s has another shape in PyTorch", scase, p->name);
    PetscCall(PetscArraycpy(p->tensor.data, v, p->tensor.size));
    PetscCall(PetscFree(v));
  }
  PetscCall(NeopParamsZeroGrad(m->params));
  PetscCall(NeopTapeCreate(&t));
  PetscCall(read_tensor(t, scase, "x", &x));
  x->requires_grad = PETSC_TRUE;
  PetscCall(NeopModelForward(m, t, x, &y));
  PetscCall(check(scase, label, "y", y, NULL));
  PetscCall(read_tensor(t, scase, "loss", &loss));
  compare(label, "loss", 1, (float[]){(float)half_sum_squares(y)}, loss->data);
  PetscCall(backward_sum_squares(t, y));
  PetscCall(check(scase, label, "grad_x", x, x->grad));
  for (int i = 0; i < m->params->n; i++) {
    NeopParam *p = m->params->list[i];
    PetscCall(PetscSNPrintf(what, sizeof(what), "grad/%s", p->name));
    PetscCall(check(scase, label, what, &p->tensor, p->tensor.grad));
  }
  PetscCall(PetscOptionsHasName(NULL, NULL, "-view", &view));
  if (view) PetscCall(NeopModelView(m, PETSC_VIEWER_STDOUT_SELF));
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(NeopModelDestroy(&m));
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) PetscCall(PetscOptionsClearValue(NULL, names[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  for (int k = NEOP_SPECTRAL_FFT; k <= NEOP_SPECTRAL_DFT; k++) {
    PetscCall(check_layer("spectral1d", 1, (NeopSpectralMethod)k));
    PetscCall(check_layer("spectral2d", 2, (NeopSpectralMethod)k));
    PetscCall(check_layer("spectral3d", 3, (NeopSpectralMethod)k));
    PetscCall(check_model("fno1d", 1, NeopSpectralMethods[k]));
    PetscCall(check_model("fno2d", 2, NeopSpectralMethods[k]));
    PetscCall(check_model("fno3d", 3, NeopSpectralMethods[k]));
  }
  return NeopTestFinalize();
}
