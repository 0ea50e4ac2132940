/* The fused nodes of the operator networks against the ops they replace and
   against finite differences: NeopOpLinearAct (linear layer + bias +
   activation keeping f'(z)) for every activation, with and without bias, on
   2-D and 3-D inputs; NeopOpBiasAct (per-channel bias + activation of a
   field) for every activation, with and without bias, and with z used again
   (its gradient then does not start as the node's); NeopOpONetInner (u = z +
   alpha w B T^T) with and without z and w. "Agreement" compares values and all
   input gradients of the fused node with those of the unfused chain
   (NeopOpLinear + NeopOpUnary; NeopOpBiasAdd + NeopOpUnary; NeopOpLinear +
   NeopOpMul + NeopOpScale + NeopOpAdd), both through NeopTapeBackward on the
   same random seed gradient. */
#include "testing.h"
#include <neop/nn/onet.h>

typedef struct {
  NeopUnaryKind act;
  PetscBool     bias, fused;
} LCtx;

static PetscErrorCode fn_linear_act(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  LCtx       *c = ctx;
  NeopTensor *z;

  PetscFunctionBegin;
  if (c->fused) PetscCall(NeopOpLinearAct(t, in[0], in[1], c->bias ? in[2] : NULL, c->act, out));
  else {
    PetscCall(NeopOpLinear(t, in[0], in[1], c->bias ? in[2] : NULL, &z));
    PetscCall(NeopOpUnary(t, c->act, z, out));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  NeopUnaryKind act;
  PetscBool     bias, fused, twice; /* twice: z also added to the output (a second consumer of z) */
} BCtx;

/* inputs z (N, C, *S), then b (C) */
static PetscErrorCode fn_bias_act(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  BCtx       *c = ctx;
  NeopTensor *b = c->bias ? in[1] : NULL, *h;

  PetscFunctionBegin;
  if (c->fused) PetscCall(NeopOpBiasAct(t, in[0], b, c->act, &h));
  else {
    NeopTensor *zb = in[0];
    if (b) PetscCall(NeopOpBiasAdd(t, in[0], b, &zb));
    PetscCall(NeopOpUnary(t, c->act, zb, &h));
  }
  if (c->twice) PetscCall(NeopOpAdd(t, h, in[0], &h));
  *out = h;
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  PetscBool z, w, fused;
  double    alpha;
} ICtx;

/* inputs B (N, H), T (M, H), then z (N, M) and w (1) when used */
static PetscErrorCode fn_inner(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  ICtx       *c = ctx;
  NeopTensor *z = c->z ? in[2] : NULL, *w = c->w ? in[c->z ? 3 : 2] : NULL, *u, *s;

  PetscFunctionBegin;
  if (c->fused) PetscCall(NeopOpONetInner(t, z, c->alpha, w, in[0], in[1], out));
  else {
    PetscCall(NeopOpLinear(t, in[0], in[1], NULL, &u));
    if (w) {
      PetscCall(NeopOpMul(t, u, w, &s));
      u = s;
    }
    PetscCall(NeopOpScale(t, u, c->alpha, &s));
    if (z) PetscCall(NeopOpAdd(t, z, s, &s));
    *out = s;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* values of fn and the gradients of sum(out * seed) with respect to all inputs (grads[i] allocated here) */
static PetscErrorCode eval(NeopTestFn fn, void *ctx, int nin, const int *ndim, const int (*shape)[NEOP_MAX_DIMS], float **data, float **y,
                           int64_t *ny, float **grads)
{
  NeopTape   *t;
  NeopTensor *in[4], *out, *seed, *p, *loss;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  for (int i = 0; i < nin; i++) {
    PetscCall(NeopTapeTensor(t, ndim[i], shape[i], &in[i]));
    PetscCall(PetscArraycpy(in[i]->data, data[i], in[i]->size));
    in[i]->requires_grad = PETSC_TRUE;
  }
  PetscCall(fn(t, in, ctx, &out));
  *ny = out->size;
  PetscCall(PetscMalloc1(out->size, y));
  PetscCall(PetscArraycpy(*y, out->data, out->size));
  /* loss = sum(out * seed) through the tape's own backward (gradient recycling, pass-through) */
  PetscCall(NeopTapeTensorLike(t, out, &seed));
  NeopTestRandom(5, out->size, -1, 1, seed->data);
  PetscCall(NeopOpMul(t, out, seed, &p));
  PetscCall(NeopOpSum(t, p, &loss));
  PetscCall(NeopTapeBackward(t, loss));
  for (int i = 0; i < nin; i++) {
    PetscCall(PetscMalloc1(in[i]->size, &grads[i]));
    if (in[i]->grad) PetscCall(PetscArraycpy(grads[i], in[i]->grad, in[i]->size));
    else PetscCall(PetscArrayzero(grads[i], in[i]->size));
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* fused (ctx with fused = TRUE) against unfused (fused = FALSE), then finite differences of the fused node */
static PetscErrorCode compare(const char *name, NeopTestFn fn, void *ctx, PetscBool *fused, int nin, const int *ndim,
                              const int (*shape)[NEOP_MAX_DIMS], float **data)
{
  float  *y[2], *g[2][4];
  int64_t ny[2];
  char    what[160];

  PetscFunctionBegin;
  for (int f = 0; f < 2; f++) {
    *fused = f ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(eval(fn, ctx, nin, ndim, shape, data, &y[f], &ny[f], g[f]));
  }
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s: values, fused vs unfused", name));
  NeopTestClose(what, ny[1], y[1], y[0], 1e-5, 1e-6);
  for (int i = 0; i < nin; i++) {
    NeopTensor s;
    PetscCall(NeopTensorSetShape(&s, ndim[i], shape[i]));
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s: gradient of input %d, fused vs unfused", name, i));
    NeopTestClose(what, s.size, g[1][i], g[0][i], 1e-5, 1e-5);
  }
  for (int f = 0; f < 2; f++) {
    PetscCall(PetscFree(y[f]));
    for (int i = 0; i < nin; i++) PetscCall(PetscFree(g[f][i]));
  }
  *fused = PETSC_TRUE;
  PetscCall(NeopTestGradCheck(name, fn, ctx, nin, ndim, shape, data, 1e-3, 1e-2, 1e-3));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  /* linear + activation: x (3, 5) or (2, 3, 5), W (20, 5), b (20) (rows of 20: one vector of 16 and a remainder) */
  for (int k = 0; k < NEOP_UNARY_COUNT; k++)
    for (int v = 0; v < 2; v++) {
      LCtx  c = {(NeopUnaryKind)k, v == 0, PETSC_TRUE};
      int   ndim[3] = {v ? 3 : 2, 2, 1}, shape[3][NEOP_MAX_DIMS] = {{3, 5}, {20, 5}, {20}};
      float x[30], W[100], b[20], *data[3] = {x, W, b};
      char  name[96];
      if (v) shape[0][0] = 2, shape[0][1] = 3, shape[0][2] = 5;
      NeopTestRandom(11 + k, 30, -1, 1, x);
      NeopTestRandom(31 + k, 100, -1, 1, W);
      NeopTestRandom(51 + k, 20, -0.5f, 0.5f, b);
      PetscCall(PetscSNPrintf(name, sizeof(name), "linear_act %s, %s, %d-D input", NeopUnaryKindName(c.act), c.bias ? "bias" : "no bias", ndim[0]));
      PetscCall(compare(name, fn_linear_act, &c, &c.fused, c.bias ? 3 : 2, ndim, (const int(*)[NEOP_MAX_DIMS])shape, data));
    }
  /* bias + activation on fields: z (2, 3, 4, 5) (rows of 20 values per channel), b (3) */
  for (int k = 0; k < NEOP_UNARY_COUNT; k++)
    for (int v = 0; v < 3; v++) {
      BCtx  c = {(NeopUnaryKind)k, v < 2, PETSC_TRUE, v == 1};
      int   ndim[2] = {4, 1}, shape[2][NEOP_MAX_DIMS] = {{2, 3, 4, 5}, {3}};
      float z[120], b[3], *data[2] = {z, b};
      char  name[96];
      NeopTestRandom(81 + k, 120, -1.5f, 1.5f, z);
      NeopTestRandom(91 + k, 3, -0.5f, 0.5f, b);
      PetscCall(PetscSNPrintf(name, sizeof(name), "bias_act %s, %s%s", NeopUnaryKindName(c.act), c.bias ? "bias" : "no bias",
                              c.twice ? ", z also added" : ""));
      PetscCall(compare(name, fn_bias_act, &c, &c.fused, c.bias ? 2 : 1, ndim, (const int(*)[NEOP_MAX_DIMS])shape, data));
    }
  /* summed inner products: B (3, 6), T (7, 6), z (3, 7), w (1) */
  for (int v = 0; v < 4; v++) {
    ICtx  c = {(v & 1) ? PETSC_TRUE : PETSC_FALSE, (v & 2) ? PETSC_TRUE : PETSC_FALSE, PETSC_TRUE, 0.25};
    int   nin = 2, ndim[4] = {2, 2}, shape[4][NEOP_MAX_DIMS] = {{3, 6}, {7, 6}};
    float B[18], T[42], z[21], w[1] = {0.7f}, *data[4] = {B, T};
    char  name[96];
    NeopTestRandom(71, 18, -1, 1, B);
    NeopTestRandom(72, 42, -1, 1, T);
    NeopTestRandom(73, 21, -1, 1, z);
    if (c.z) ndim[nin] = 2, shape[nin][0] = 3, shape[nin][1] = 7, data[nin++] = z;
    if (c.w) ndim[nin] = 1, shape[nin][0] = 1, data[nin++] = w;
    PetscCall(PetscSNPrintf(name, sizeof(name), "onet_inner%s%s", c.z ? " + z" : "", c.w ? ", weight w" : ""));
    PetscCall(compare(name, fn_inner, &c, &c.fused, nin, ndim, (const int(*)[NEOP_MAX_DIMS])shape, data));
  }
  return NeopTestFinalize();
}
