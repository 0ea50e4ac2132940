/* The fused ops NeopOpFourierLayer and NeopOpChannelMLP: finite-difference
   gradients w.r.t. every input, and values and gradients equal to the chains
   of single ops they replace (spectral conv + channel linear + add + unary;
   channel linear + unary + channel linear); the same bits with 2 threads as
   with 1 (the CPU kernels split the samples over the threads); bad shapes
   refused. The whole FNO built on them is compared with PyTorch by
   test_fno_torch. */
#include "testing.h"
#include <cblas.h>
#include <omp.h>
#include <neop/nn/fourier_layer.h>
#include <neop/nn/channel_mlp.h>

typedef struct {
  NeopSpectralMethod method;
  NeopUnaryKind      act;
  int                nw;
  PetscBool          fused, bias;
} Case;

/* in: v, w[0..nw), W, b */
static PetscErrorCode fourier_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  Case       *c = (Case *)ctx;
  NeopTensor *k, *s;

  PetscFunctionBegin;
  if (c->fused) PetscCall(NeopOpFourierLayer(t, c->method, in[0], c->nw, in + 1, in[1 + c->nw], in[2 + c->nw], c->act, out));
  else {
    PetscCall(NeopOpSpectralConv(t, c->method, in[0], c->nw, in + 1, &k));
    PetscCall(NeopOpChannelLinear(t, in[0], in[1 + c->nw], in[2 + c->nw], &s));
    PetscCall(NeopOpAdd(t, k, s, out));
    if (c->act != NEOP_UNARY_IDENTITY) PetscCall(NeopOpUnary(t, c->act, *out, out));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* in: x, W1, b1, W2, b2 */
static PetscErrorCode mlp_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  Case       *c = (Case *)ctx;
  NeopTensor *h, *b1 = c->bias ? in[2] : NULL, *b2 = c->bias ? in[4] : NULL;

  PetscFunctionBegin;
  if (c->fused) PetscCall(NeopOpChannelMLP(t, in[0], in[1], b1, c->act, in[3], b2, out));
  else {
    PetscCall(NeopOpChannelLinear(t, in[0], in[1], b1, &h));
    PetscCall(NeopOpUnary(t, c->act, h, &h));
    PetscCall(NeopOpChannelLinear(t, h, in[3], b2, out));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* value of fn and the gradients of sum(r * y) w.r.t. every input; y and g PetscFree'd by the caller */
static PetscErrorCode eval(NeopTestFn fn, Case *c, int nin, const int *ndim, const int (*shape)[NEOP_MAX_DIMS], float **data, float **y,
                           int64_t *ny, float **g)
{
  NeopTape   *t;
  NeopTensor *in[8], *out, *r, *loss;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  for (int k = 0; k < nin; k++) {
    PetscCall(NeopTapeTensor(t, ndim[k], shape[k], &in[k]));
    PetscCall(PetscArraycpy(in[k]->data, data[k], in[k]->size));
    in[k]->requires_grad = PETSC_TRUE;
  }
  PetscCall(fn(t, in, c, &out));
  PetscCall(NeopTapeTensorLike(t, out, &r));
  NeopTestRandom(99, r->size, -1, 1, r->data);
  PetscCall(NeopOpMul(t, out, r, &loss));
  PetscCall(NeopOpSum(t, loss, &loss));
  PetscCall(PetscMalloc1(out->size, y));
  PetscCall(PetscArraycpy(*y, out->data, out->size));
  *ny = out->size;
  PetscCall(NeopTapeBackward(t, loss));
  for (int k = 0; k < nin; k++) {
    PetscCall(PetscMalloc1(in[k]->size, &g[k]));
    if (in[k]->grad) PetscCall(PetscArraycpy(g[k], in[k]->grad, in[k]->size));
    else PetscCall(PetscArrayzero(g[k], in[k]->size));
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* gradients by finite differences, then fused == chain (values and gradients) */
static PetscErrorCode check(const char *name, NeopTestFn fn, Case *c, int nin, const int *ndim, const int (*shape)[NEOP_MAX_DIMS], uint64_t seed)
{
  float  *data[8], *y[3], *g[3][8];
  int64_t size[8], ny[3];
  char    what[160];

  PetscFunctionBegin;
  for (int k = 0; k < nin; k++) {
    size[k] = 1;
    for (int i = 0; i < ndim[k]; i++) size[k] *= shape[k][i];
    PetscCall(PetscMalloc1(size[k], &data[k]));
    NeopTestRandom(seed + (uint64_t)k, size[k], -1, 1, data[k]);
  }
  c->fused = PETSC_TRUE;
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s (%s, %s)", name, NeopSpectralMethods[c->method], NeopUnaryKindName(c->act)));
  PetscCall(NeopTestGradCheck(what, fn, c, nin, ndim, shape, data, 1e-2, 1e-2, 1e-3));
  for (int f = 0; f < 3; f++) { /* fused, chain, fused on 2 threads */
    int nt = omp_get_max_threads();
    c->fused = (PetscBool)(f != 1);
    if (f == 2) {
      omp_set_num_threads(2);
      openblas_set_num_threads(2);
    }
    PetscCall(eval(fn, c, nin, ndim, shape, data, &y[f], &ny[f], g[f]));
    omp_set_num_threads(nt);
    openblas_set_num_threads(nt);
  }
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s (%s, %s): fused vs chain of ops, value", name, NeopSpectralMethods[c->method],
                          NeopUnaryKindName(c->act)));
  NeopTestClose(what, ny[0], y[0], y[1], 1e-5, 1e-6);
  for (int k = 0; k < nin; k++) {
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s (%s, %s): fused vs chain of ops, gradient of input %d", name,
                            NeopSpectralMethods[c->method], NeopUnaryKindName(c->act), k));
    NeopTestClose(what, size[k], g[0][k], g[1][k], 1e-5, 1e-6);
  }
  {
    PetscBool same = (PetscBool)(ny[2] == ny[0] && !memcmp(y[2], y[0], sizeof(float) * (size_t)ny[0]));
    for (int k = 0; k < nin; k++) same = (PetscBool)(same && !memcmp(g[2][k], g[0][k], sizeof(float) * (size_t)size[k]));
    NeopTestCheck(same, "%s (%s, %s): 2 threads give the bits of 1 (value and every gradient)", name, NeopSpectralMethods[c->method],
                  NeopUnaryKindName(c->act));
  }
  for (int f = 0; f < 3; f++) {
    PetscCall(PetscFree(y[f]));
    for (int k = 0; k < nin; k++) PetscCall(PetscFree(g[f][k]));
  }
  for (int k = 0; k < nin; k++) PetscCall(PetscFree(data[k]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    /* Fourier layer, C = 3 -> 2 channels, 1-D / 2-D / 3-D, each activation kind that
       uses x, y or nothing, both transforms */
    const int     S[3][3] = {{11}, {8, 7}, {6, 5, 4}}, m[3][3] = {{4}, {3, 2}, {2, 2, 2}};
    NeopUnaryKind acts[3] = {NEOP_UNARY_GELU, NEOP_UNARY_TANH, NEOP_UNARY_IDENTITY};
    for (int d = 1; d <= 3; d++)
      for (int a = 0; a < 3; a++)
        for (int meth = NEOP_SPECTRAL_FFT; meth <= NEOP_SPECTRAL_DFT; meth++) {
          int  nw = 1 << (d - 1), nin = nw + 3, ndim[8], shape[8][NEOP_MAX_DIMS], cin = 3, cout = 2;
          Case c = {(NeopSpectralMethod)meth, acts[a], nw, PETSC_TRUE, PETSC_TRUE};
          char name[32];
          ndim[0]     = d + 2;
          shape[0][0] = 2;
          shape[0][1] = cin;
          for (int i = 0; i < d; i++) shape[0][2 + i] = S[d - 1][i];
          for (int k = 1; k <= nw; k++) {
            ndim[k]     = d + 3;
            shape[k][0] = cin;
            shape[k][1] = cout;
            for (int i = 0; i < d; i++) shape[k][2 + i] = m[d - 1][i];
            shape[k][2 + d] = 2;
          }
          ndim[nw + 1]     = 2;
          shape[nw + 1][0] = cout;
          shape[nw + 1][1] = cin;
          ndim[nw + 2]     = 1;
          shape[nw + 2][0] = cout;
          PetscCall(PetscSNPrintf(name, sizeof(name), "Fourier layer %d-D", d));
          PetscCall(check(name, fourier_fn, &c, nin, ndim, (const int(*)[NEOP_MAX_DIMS])shape, 100 + 10 * (uint64_t)d + (uint64_t)a));
        }
  }
  {
    /* channel MLP 3 -> 5 -> 2 channels on a 2-D grid, with and without biases */
    NeopUnaryKind acts[2] = {NEOP_UNARY_GELU, NEOP_UNARY_TANH};
    int           ndim[5] = {4, 2, 1, 2, 1}, shape[5][NEOP_MAX_DIMS] = {{2, 3, 4, 5}, {5, 3}, {5}, {2, 5}, {2}};
    for (int a = 0; a < 2; a++)
      for (int bias = 0; bias < 2; bias++) {
        Case c = {NEOP_SPECTRAL_AUTO, acts[a], 0, PETSC_TRUE, (PetscBool)bias};
        PetscCall(check(bias ? "channel MLP" : "channel MLP without biases", mlp_fn, &c, 5, ndim, (const int(*)[NEOP_MAX_DIMS])shape,
                        200 + 2 * (uint64_t)a + (uint64_t)bias));
      }
  }
  {
    /* bad shapes: W of the wrong size, W2 not matching W1 */
    NeopTape      *t;
    NeopTensor    *v, *w[2], *W, *b, *y, *x, *W1, *W2;
    PetscErrorCode e1, e2;
    int            sv[4] = {1, 3, 8, 8}, sw[5] = {3, 3, 2, 2, 2}, sW[2] = {3, 2}, sb[1] = {3}, sx[4] = {1, 3, 4, 4}, s1[2] = {5, 3}, s2[2] = {2, 4};
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, sv, &v));
    PetscCall(NeopTapeTensor(t, 5, sw, &w[0]));
    PetscCall(NeopTapeTensor(t, 5, sw, &w[1]));
    PetscCall(NeopTapeTensor(t, 2, sW, &W));
    PetscCall(NeopTapeTensor(t, 1, sb, &b));
    PetscCall(NeopTapeTensor(t, 4, sx, &x));
    PetscCall(NeopTapeTensor(t, 2, s1, &W1));
    PetscCall(NeopTapeTensor(t, 2, s2, &W2));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    e1 = NeopOpFourierLayer(t, NEOP_SPECTRAL_AUTO, v, 2, w, W, b, NEOP_UNARY_GELU, &y);
    e2 = NeopOpChannelMLP(t, x, W1, NULL, NEOP_UNARY_GELU, W2, NULL, &y);
    PetscCall(PetscPopErrorHandler());
    NeopTestCheck(e1 == PETSC_ERR_ARG_SIZ, "Fourier layer refuses W (3, 2) for 3 -> 3 channels (error %d)", (int)e1);
    NeopTestCheck(e2 == PETSC_ERR_ARG_SIZ, "channel MLP refuses W2 (2, 4) after W1 (5, 3) (error %d)", (int)e2);
    PetscCall(NeopTapeDestroy(&t));
  }
  return NeopTestFinalize();
}
