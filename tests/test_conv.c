/* Convolutions: finite-difference gradients for every padding mode, stride,
   1-D/2-D, the transposed conv, the fused z + alpha conv form, the layer
   output act(z + conv1x1(x) + b) and the pad op; values and gradients against
   torch (tests/reference/conv.py -> conv.h5). */
#include "testing.h"
#include <neop/nn/conv.h>
#include <math.h>

typedef struct {
  NeopConvSpec spec;
  PetscBool    transposed, bias, add; /* add: y = z + alpha conv, z the last input */
  float        alpha;
} ConvCase;

static PetscErrorCode conv_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  ConvCase   *c = (ConvCase *)ctx;
  NeopTensor *b = c->bias ? in[2] : NULL, *z = c->add ? in[c->bias ? 3 : 2] : NULL;

  PetscFunctionBegin;
  if (c->transposed) PetscCall(NeopOpConvTransposeAdd(t, z, c->add ? c->alpha : 1.f, in[0], in[1], b, &c->spec, out));
  else PetscCall(NeopOpConvAdd(t, z, c->add ? c->alpha : 1.f, in[0], in[1], b, &c->spec, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Output extent of one dim, for the shape of z. */
static int out_extent(const ConvCase *c, int d, int n, int k)
{
  int s = c->spec.stride[d] ? c->spec.stride[d] : 1, p = c->spec.padding[d];
  return c->transposed ? (n - 1) * s - 2 * p + k + c->spec.output_padding[d] : (n + 2 * p - k) / s + 1;
}

/* One finite-difference check: x (2, cin, *S), kernel k per dim. */
static PetscErrorCode gradcheck(const char *name, ConvCase *c, int dims, const int *S, const int *k, int cin, int cout)
{
  int   ndim[4], shape[4][NEOP_MAX_DIMS], nin = 2;
  float *data[4];

  PetscFunctionBegin;
  ndim[0] = ndim[1] = dims + 2;
  shape[0][0] = 2, shape[0][1] = cin;
  shape[1][0] = c->transposed ? cin : cout, shape[1][1] = c->transposed ? cout : cin;
  for (int d = 0; d < dims; d++) shape[0][2 + d] = S[d], shape[1][2 + d] = k[d];
  if (c->bias) ndim[nin] = 1, shape[nin][0] = cout, nin++;
  if (c->add) {
    ndim[nin] = dims + 2, shape[nin][0] = 2, shape[nin][1] = cout;
    for (int d = 0; d < dims; d++) shape[nin][2 + d] = out_extent(c, d, S[d], k[d]);
    nin++;
  }
  for (int i = 0; i < nin; i++) {
    int64_t n = 1;
    for (int d = 0; d < ndim[i]; d++) n *= shape[i][d];
    PetscCall(PetscMalloc1(n, &data[i]));
    NeopTestRandom(100 + i, n, -1, 1, data[i]);
  }
  PetscCall(NeopTestGradCheck(name, conv_fn, c, nin, ndim, (const int(*)[NEOP_MAX_DIMS])shape, data, 1e-2, 1e-2, 1e-3));
  for (int i = 0; i < nin; i++) PetscCall(PetscFree(data[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* y = act(z + conv1x1(x, W) + b): in = x, W, b, z */
static PetscErrorCode conv_act_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpConv1x1AddAct(t, in[3], in[0], in[1], in[2], *(NeopUnaryKind *)ctx, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Finite differences of the layer output op: x (2, cin, *S), z (2, cout, *S). */
static PetscErrorCode gradcheck_act(const char *name, NeopUnaryKind act, int dims, const int *S, int cin, int cout)
{
  int    ndim[4] = {dims + 2, dims + 2, 1, dims + 2}, shape[4][NEOP_MAX_DIMS] = {{2, cin}, {cout, cin}, {cout}, {2, cout}};
  float *data[4];

  PetscFunctionBegin;
  for (int d = 0; d < dims; d++) shape[0][2 + d] = shape[3][2 + d] = S[d], shape[1][2 + d] = 1;
  for (int i = 0; i < 4; i++) {
    int64_t n = 1;
    for (int d = 0; d < ndim[i]; d++) n *= shape[i][d];
    PetscCall(PetscMalloc1(n, &data[i]));
    NeopTestRandom(400 + i, n, -1, 1, data[i]);
  }
  PetscCall(NeopTestGradCheck(name, conv_act_fn, &act, 4, ndim, (const int(*)[NEOP_MAX_DIMS])shape, data, 1e-2, 1e-2, 1e-3));
  for (int i = 0; i < 4; i++) PetscCall(PetscFree(data[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* MgNO's layer as the fused op or as a 1x1 conv add plus an activation op, z the output of a
   3x3 conv (so that the tape hands the gradient over to it): out[0] = y, out[1..4] = the
   gradients of the leaves x, Wz, W, b, through NeopTapeBackward. */
static PetscErrorCode layer_output(PetscBool fused, NeopUnaryKind act, float **out, int64_t *n)
{
  NeopTape    *t;
  NeopTensor  *leaf[4], *z, *s, *y, *wts, *loss;
  NeopConvSpec s3 = {{1, 1}, {1, 1}, {0, 0}, NEOP_PAD_ZERO}, one = {{1, 1}, {0, 0}, {0, 0}, NEOP_PAD_ZERO};
  const int    shapes[4][4] = {{3, 5, 9, 11}, {7, 5, 3, 3}, {7, 5, 1, 1}, {7}};

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  for (int k = 0; k < 4; k++) {
    PetscCall(NeopTapeTensor(t, k == 3 ? 1 : 4, shapes[k], &leaf[k]));
    NeopTestRandom(500 + k, leaf[k]->size, -2, 2, leaf[k]->data);
    leaf[k]->requires_grad = PETSC_TRUE;
  }
  PetscCall(NeopOpConv(t, leaf[0], leaf[1], NULL, &s3, &z));
  if (fused) PetscCall(NeopOpConv1x1AddAct(t, z, leaf[0], leaf[2], leaf[3], act, &y));
  else {
    PetscCall(NeopOpConvAdd(t, z, 1.f, leaf[0], leaf[2], leaf[3], &one, &s));
    PetscCall(NeopOpUnary(t, act, s, &y));
  }
  PetscCall(NeopTapeTensorLike(t, y, &wts));
  NeopTestRandom(600, wts->size, -1, 1, wts->data);
  PetscCall(NeopOpMul(t, y, wts, &loss));
  PetscCall(NeopOpSum(t, loss, &loss));
  PetscCall(NeopTapeBackward(t, loss));
  n[0] = y->size;
  PetscCall(PetscMalloc1(y->size, &out[0]));
  PetscCall(PetscArraycpy(out[0], y->data, y->size));
  for (int k = 0; k < 4; k++) {
    n[1 + k] = leaf[k]->size;
    PetscCall(PetscMalloc1(leaf[k]->size, &out[1 + k]));
    PetscCall(PetscArraycpy(out[1 + k], leaf[k]->grad, leaf[k]->size));
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode pad_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  const int *p = (const int *)ctx;
  PetscFunctionBegin;
  PetscCall(NeopOpPadSpatial(t, in[0], p + 1, (NeopPadMode)p[0], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static double max_abs(int64_t n, const float *v)
{
  double m = 0;
  for (int64_t i = 0; i < n; i++) m = PetscMax(m, fabs((double)v[i]));
  return m;
}

/* |a - b| <= 1e-5 (|b| + max |b|): relative to each value and to the array's scale */
static void compare(const char *name, const char *what, int64_t n, const float *a, const float *b)
{
  char msg[128];
  PetscCallVoid(PetscSNPrintf(msg, sizeof(msg), "%s %s vs torch", name, what));
  NeopTestClose(msg, n, a, b, 1e-5, 1e-5 * max_abs(n, b));
}

static PetscErrorCode torch_case(int icase)
{
  char        ds[64], name[64];
  float      *cfg, *data;
  int64_t     ncfg, ndata, off = 0;
  NeopTape   *t;
  NeopTensor *x, *W, *b = NULL, *y;
  ConvCase    c;
  int         xs[4], ws[4], ys[4], dims;
  int64_t     nx = 1, nw = 1, ny = 1, nb;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "case%d/config", icase));
  PetscCall(NeopTestReadFixture("conv.h5", ds, &cfg, &ncfg));
  PetscCall(PetscSNPrintf(ds, sizeof(ds), "case%d/data", icase));
  PetscCall(NeopTestReadFixture("conv.h5", ds, &data, &ndata));
  PetscCall(PetscMemzero(&c, sizeof(c)));
  c.transposed = cfg[0] != 0;
  dims         = (int)cfg[1];
  for (int d = 0; d < 2; d++) {
    c.spec.stride[d]         = (int)cfg[2 + d];
    c.spec.padding[d]        = (int)cfg[4 + d];
    c.spec.output_padding[d] = (int)cfg[6 + d];
  }
  c.spec.mode = (NeopPadMode)(int)cfg[8];
  c.bias      = cfg[9] != 0;
  for (int d = 0; d < dims + 2; d++) {
    xs[d] = (int)cfg[10 + d], ws[d] = (int)cfg[14 + d], ys[d] = (int)cfg[18 + d];
    nx *= xs[d], nw *= ws[d], ny *= ys[d];
  }
  nb = c.bias ? (c.transposed ? ws[1] : ws[0]) : 0;
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s%dd s%d p%d k%d %s%s", c.transposed ? "convT" : "conv", dims,
                          c.spec.stride[dims - 1], c.spec.padding[dims - 1], ws[dims + 1], NeopPadModeName(c.spec.mode),
                          c.bias ? "" : " nobias"));

  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, dims + 2, xs, &x));
  PetscCall(NeopTapeTensor(t, dims + 2, ws, &W));
  PetscCall(PetscArraycpy(x->data, data + off, nx));
  off += nx;
  PetscCall(PetscArraycpy(W->data, data + off, nw));
  off += nw;
  x->requires_grad = W->requires_grad = PETSC_TRUE;
  if (c.bias) {
    PetscCall(NeopTapeTensor(t, 1, (int[]){(int)nb}, &b));
    PetscCall(PetscArraycpy(b->data, data + off, nb));
    off += nb;
    b->requires_grad = PETSC_TRUE;
  }
  if (c.transposed) PetscCall(NeopOpConvTranspose(t, x, W, b, &c.spec, &y));
  else PetscCall(NeopOpConv(t, x, W, b, &c.spec, &y));
  NeopTestCheck(y->size == ny && y->ndim == dims + 2, "%s output size %lld, torch %lld", name, (long long)y->size, (long long)ny);
  PetscCheck(y->size == ny, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: output size mismatch", name);
  /* seed dy = g and run the tape */
  PetscCall(NeopTapeGrad(t, y, &y->grad));
  PetscCall(PetscArraycpy(y->grad, data + off, ny));
  off += ny;
  for (int i = t->nnodes - 1; i >= 0; i--) PetscCall(t->nodes[i].backward(t, &t->nodes[i]));
  compare(name, "y", ny, y->data, data + off), off += ny;
  compare(name, "dx", nx, x->grad, data + off), off += nx;
  compare(name, "dW", nw, W->grad, data + off), off += nw;
  if (c.bias) compare(name, "db", nb, b->grad, data + off), off += nb;
  NeopTestCheck(off == ndata, "%s: fixture holds %lld values, read %lld", name, (long long)ndata, (long long)off);
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(PetscFree(cfg));
  PetscCall(PetscFree(data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A piece of V-cycle whose fused adds hand their output's gradient over to z in
   NeopTapeBackward (z a leaf, z an output also read by a later conv, z the conv's
   own input, where no hand-over may happen). grads[k] (leaves f, S, A, S2, R, P, W)
   from NeopTapeBackward (handover) or from running every node's backward in turn
   (no hand-over). */
static PetscErrorCode vcycle_grads(PetscBool handover, float **grads)
{
  NeopTape    *t;
  NeopTensor  *leaf[7], *u, *r, *u2, *c, *u3, *y, *wts, *loss;
  NeopConvSpec s1 = {{1, 1}, {1, 1}, {0, 0}, NEOP_PAD_REFLECT}, s2 = {{2, 2}, {1, 1}, {0, 0}, NEOP_PAD_CIRCULAR};
  NeopConvSpec pr = {{2, 2}, {1, 1}, {0, 0}, NEOP_PAD_ZERO};
  const int    shapes[7][4] = {{2, 3, 8, 9}, {4, 3, 3, 3}, {3, 4, 3, 3}, {4, 3, 3, 3}, {4, 4, 3, 3}, {4, 4, 4, 3}, {4, 4, 3, 3}};

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  for (int k = 0; k < 7; k++) {
    PetscCall(NeopTapeTensor(t, 4, shapes[k], &leaf[k]));
    NeopTestRandom(200 + k, leaf[k]->size, -1, 1, leaf[k]->data);
    leaf[k]->requires_grad = PETSC_TRUE;
  }
  PetscCall(NeopOpConv(t, leaf[0], leaf[1], NULL, &s1, &u));                      /* u = S f */
  PetscCall(NeopOpConvAdd(t, leaf[0], -1.f, u, leaf[2], NULL, &s1, &r));          /* r = f - A u (z a leaf) */
  PetscCall(NeopOpConvAdd(t, u, 1.f, r, leaf[3], NULL, &s1, &u2));                /* u2 = u + S2 r */
  PetscCall(NeopOpConv(t, u2, leaf[4], NULL, &s2, &c));                           /* c = R u2 (reads u2 again) */
  PetscCall(NeopOpConvTransposeAdd(t, u2, 1.f, c, leaf[5], NULL, &pr, &u3));      /* u3 = u2 + P c, P 4x3 */
  PetscCall(NeopOpConvAdd(t, u3, 0.5f, u3, leaf[6], NULL, &s1, &y));              /* y = u3 + W u3 (z is x) */
  PetscCall(NeopTapeTensorLike(t, y, &wts));
  NeopTestRandom(300, wts->size, -1, 1, wts->data);
  PetscCall(NeopOpMul(t, y, wts, &loss));
  PetscCall(NeopOpSum(t, loss, &loss));
  if (handover) PetscCall(NeopTapeBackward(t, loss));
  else {
    float *g, one = 1.f;
    PetscCall(NeopTapeGrad(t, loss, &g));
    PetscCall(PetscArraycpy(g, &one, 1));
    for (int i = t->nnodes - 1; i >= 0; i--)
      if (t->nodes[i].out->grad) PetscCall(t->nodes[i].backward(t, &t->nodes[i]));
  }
  for (int k = 0; k < 7; k++) {
    PetscCall(PetscMalloc1(leaf[k]->size, &grads[k]));
    PetscCall(PetscArraycpy(grads[k], leaf[k]->grad, leaf[k]->size));
  }
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  char name[128];

  PetscCall(NeopTestInitialize(&argc, &argv));
  /* finite differences: every mode and stride, 1-D and 2-D, odd kernels 3 and 5, 1x1 */
  for (int m = 0; m < NEOP_PAD_COUNT; m++)
    for (int s = 1; s <= 2; s++)
      for (int k = 3; k <= 5; k += 2) {
        ConvCase c = {.spec = {.stride = {s, s}, .padding = {k / 2, k / 2}, .mode = (NeopPadMode)m}, .bias = PETSC_TRUE};
        PetscCall(PetscSNPrintf(name, sizeof(name), "conv2d k%d s%d %s", k, s, NeopPadModeName((NeopPadMode)m)));
        PetscCall(gradcheck(name, &c, 2, (int[]){6, 7}, (int[]){k, k}, 2, 3));
        PetscCall(PetscSNPrintf(name, sizeof(name), "conv1d k%d s%d %s", k, s, NeopPadModeName((NeopPadMode)m)));
        PetscCall(gradcheck(name, &c, 1, (int[]){9}, (int[]){k}, 2, 3));
      }
  {
    ConvCase c = {.spec = {.stride = {1, 1}}, .bias = PETSC_TRUE};
    PetscCall(gradcheck("conv2d 1x1", &c, 2, (int[]){4, 5}, (int[]){1, 1}, 3, 2));
  }
  {
    ConvCase c = {.spec = {.stride = {2, 1}, .padding = {1, 2}, .mode = NEOP_PAD_CIRCULAR}, .add = PETSC_TRUE, .alpha = -1.f};
    PetscCall(gradcheck("z - conv2d (fused add, k3x5, circular)", &c, 2, (int[]){6, 5}, (int[]){3, 5}, 2, 3));
  }
  for (int k = 3; k <= 4; k++)
    for (int op = 0; op <= 1; op++) {
      ConvCase c = {.spec = {.stride = {2, 2}, .padding = {1, 1}, .output_padding = {op, op}}, .transposed = PETSC_TRUE,
                    .bias = op == 0};
      PetscCall(PetscSNPrintf(name, sizeof(name), "conv_transpose2d k%d s2 p1 op%d", k, op));
      PetscCall(gradcheck(name, &c, 2, (int[]){4, 3}, (int[]){k, k}, 3, 2));
      PetscCall(PetscSNPrintf(name, sizeof(name), "conv_transpose1d k%d s2 p1 op%d", k, op));
      PetscCall(gradcheck(name, &c, 1, (int[]){5}, (int[]){k}, 3, 2));
      c.add = PETSC_TRUE, c.alpha = 0.5f;
      PetscCall(PetscSNPrintf(name, sizeof(name), "z + 0.5 conv_transpose2d k%d op%d (fused add)", k, op));
      PetscCall(gradcheck(name, &c, 2, (int[]){3, 4}, (int[]){k, k}, 2, 3));
    }
  /* the layer output op: finite differences, and the same values and gradients as a 1x1 conv add plus an activation */
  PetscCall(gradcheck_act("gelu(z + conv1x1 + b) 2-D", NEOP_UNARY_GELU, 2, (int[]){4, 5}, 3, 2));
  PetscCall(gradcheck_act("tanh(z + conv1x1 + b) 1-D", NEOP_UNARY_TANH, 1, (int[]){7}, 2, 3));
  PetscCall(gradcheck_act("z + conv1x1 + b (identity) 2-D", NEOP_UNARY_IDENTITY, 2, (int[]){3, 4}, 2, 2));
  for (int a = 0; a < 2; a++) {
    NeopUnaryKind act = a ? NEOP_UNARY_SILU : NEOP_UNARY_GELU;
    const char   *names[5] = {"y", "dx", "dWz", "dW", "db"};
    float        *f[5], *o[5];
    int64_t       n[5];
    PetscCall(layer_output(PETSC_TRUE, act, f, n));
    PetscCall(layer_output(PETSC_FALSE, act, o, n));
    for (int k = 0; k < 5; k++) {
      PetscCall(PetscSNPrintf(name, sizeof(name), "%s(z + conv1x1 + b) fused = conv add + activation op: %s", a ? "silu" : "gelu", names[k]));
      NeopTestClose(name, n[k], f[k], o[k], 1e-5, 1e-5);
      PetscCall(PetscFree(f[k]));
      PetscCall(PetscFree(o[k]));
    }
  }
  for (int m = 0; m < NEOP_PAD_COUNT; m++) {
    int   p[3] = {m, 2, 3}, ndim = 4, shape[1][NEOP_MAX_DIMS] = {{2, 2, 4, 5}};
    float x[80], *d[1] = {x};
    NeopTestRandom(7, 80, -1, 1, x);
    PetscCall(PetscSNPrintf(name, sizeof(name), "pad2d %s", NeopPadModeName((NeopPadMode)m)));
    PetscCall(NeopTestGradCheck(name, pad_fn, p, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  /* gradient hand-over of the fused adds in NeopTapeBackward: the same gradients as without */
  {
    float      *a[7], *b[7];
    const char *names[7] = {"f", "S", "A", "S2", "R", "P", "W"};
    PetscCall(vcycle_grads(PETSC_TRUE, a));
    PetscCall(vcycle_grads(PETSC_FALSE, b));
    for (int k = 0; k < 7; k++) {
      int64_t n = k == 0 ? 2 * 3 * 8 * 9 : k == 5 ? 4 * 4 * 4 * 3 : (k == 1 || k == 3 ? 4 * 3 : k == 2 ? 3 * 4 : 4 * 4) * 9;
      PetscCall(PetscSNPrintf(name, sizeof(name), "V-cycle piece: d%s with gradient hand-over", names[k]));
      NeopTestClose(name, n, a[k], b[k], 1e-6, 1e-7);
      PetscCall(PetscFree(a[k]));
      PetscCall(PetscFree(b[k]));
    }
  }
  /* torch */
  {
    float  *n;
    int64_t one;
    PetscCall(NeopTestReadFixture("conv.h5", "cases", &n, &one));
    for (int i = 0; i < (int)n[0]; i++) PetscCall(torch_case(i));
    PetscCall(PetscFree(n));
  }
  return NeopTestFinalize();
}
