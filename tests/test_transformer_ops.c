/* Transformer ops: finite-difference gradients, a direct (untiled) check of
   the tiled softmax attention, and memory linear in the number of tokens. */
#include "testing.h"
#include <neop/nn/transformer.h>
#include <neop/nn/conv.h>
#include <math.h>

static PetscErrorCode layer_norm_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpLayerNorm(t, in[0], *(int *)ctx, in[1], in[2], 1e-5, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode attention_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpAttention(t, in[0], in[1], in[2], 2, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode linear_attention_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpLinearAttention(t, *(NeopLinearAttentionKind *)ctx, in[0], in[1], in[2], 2, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode physics_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpPhysicsAttention(t, in[0], in[1], in[2], in[3], in[4], in[5], 2, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode glu_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpGLU(t, *(NeopUnaryKind *)ctx, in[0], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* field (2, 3, 3, 4) -> tokens with 2 position features (2, 12, 5) -> field (2, 5, 3, 4) */
static PetscErrorCode tokens_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  NeopTensor *pos, *y;
  int         shape[2] = {12, 2}, S[2] = {3, 4};

  PetscFunctionBegin;
  PetscCall(NeopTapeTensor(t, 2, shape, &pos));
  PetscCall(NeopPositionGrid(2, S, pos->data));
  PetscCall(NeopOpFieldToTokens(t, in[0], pos, &y));
  PetscCall(NeopOpTokensToField(t, y, in[0], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* k x k conv of tokens (N, S0 S1, Cin) on the grid S = ctx, with bias */
static PetscErrorCode token_conv_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpTokenConv(t, in[0], (const int *)ctx, in[1], in[2], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* two 3 x 3 convs of one x side by side, on the grid S = ctx */
static PetscErrorCode token_conv_pair_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpTokenConvPair(t, in[0], (const int *)ctx, in[1], in[2], in[3], in[4], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* physics attention on a packed [x, f] (2, 20, 2 x 2 x 4) */
static PetscErrorCode physics_packed_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopOpPhysicsAttention(t, in[0], NULL, in[1], in[2], in[3], in[4], 2, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The token conv against NeopOpConv on the field (which test_conv checks
   against PyTorch): x (2, 13 x 23 = 299 tokens: three tiles of 128, the last
   ragged, 5), W (6, 5, k, k): output, dx, dW and db after one backward. */
static PetscErrorCode token_conv_vs_field_conv(int k)
{
  const int    N = 2, S[2] = {13, 23}, P = 299, Cin = 5, Cout = 6;
  NeopTape    *t;
  NeopTensor  *x, *W, *b, *xf, *ya, *yb, *yt, *l;
  NeopConvSpec spec = {{1, 1}, {k / 2, k / 2}, {0, 0}, NEOP_PAD_ZERO};
  int          xs[3] = {N, P, Cin}, ws[4] = {Cout, Cin, k, k}, fs[4] = {N, Cin, S[0], S[1]}, ys[3] = {N, P, Cout};
  float       *w, *ga, *gb, *gW, *gbias;
  char         what[64];

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, 3, xs, &x));
  PetscCall(NeopTapeTensor(t, 4, ws, &W));
  PetscCall(NeopTapeTensor(t, 1, &Cout, &b));
  PetscCall(NeopTapeTensor(t, 3, ys, &yt));
  NeopTestRandom(51, x->size, -1, 1, x->data);
  NeopTestRandom(52, W->size, -0.5, 0.5, W->data);
  NeopTestRandom(53, b->size, -0.5, 0.5, b->data);
  NeopTestRandom(54, yt->size, -1, 1, yt->data);
  x->requires_grad = W->requires_grad = b->requires_grad = PETSC_TRUE;
  PetscCall(PetscMalloc5(x->size, &ga, x->size, &gb, W->size, &gW, Cout, &gbias, yt->size, &w));
  /* reference: tokens -> field -> conv -> tokens, loss sum(y * yt) */
  {
    NeopTensor like;
    PetscCall(PetscMemzero(&like, sizeof(like)));
    PetscCall(NeopTensorSetShape(&like, 4, fs));
    PetscCall(NeopOpTokensToField(t, x, &like, &xf));
    PetscCall(NeopOpConv(t, xf, W, b, &spec, &ya));
    PetscCall(NeopOpFieldToTokens(t, ya, NULL, &ya));
  }
  PetscCall(NeopOpMul(t, ya, yt, &l));
  PetscCall(NeopOpSum(t, l, &l));
  PetscCall(NeopTapeBackward(t, l));
  PetscCall(PetscArraycpy(ga, x->grad, x->size));
  PetscCall(PetscArraycpy(gW, W->grad, W->size));
  PetscCall(PetscArraycpy(gbias, b->grad, Cout));
  PetscCall(PetscArraycpy(w, ya->data, ya->size));
  PetscCall(PetscArrayzero(x->grad, x->size));
  PetscCall(PetscArrayzero(W->grad, W->size));
  PetscCall(PetscArrayzero(b->grad, Cout));
  t->nnodes = 0;
  PetscCall(NeopOpTokenConv(t, x, S, W, b, &yb));
  PetscCall(NeopOpMul(t, yb, yt, &l));
  PetscCall(NeopOpSum(t, l, &l));
  PetscCall(NeopTapeBackward(t, l));
  PetscCall(PetscArraycpy(gb, x->grad, x->size));
  PetscCall(PetscSNPrintf(what, sizeof(what), "token conv %dx%d vs field conv: output", k, k));
  NeopTestClose(what, yb->size, yb->data, w, 1e-5, 1e-5);
  PetscCall(PetscSNPrintf(what, sizeof(what), "token conv %dx%d vs field conv: dx", k, k));
  NeopTestClose(what, x->size, gb, ga, 1e-5, 1e-5);
  PetscCall(PetscSNPrintf(what, sizeof(what), "token conv %dx%d vs field conv: dW", k, k));
  NeopTestClose(what, W->size, W->grad, gW, 1e-5, 1e-4);
  PetscCall(PetscSNPrintf(what, sizeof(what), "token conv %dx%d vs field conv: db", k, k));
  NeopTestClose(what, Cout, b->grad, gbias, 1e-5, 1e-4);
  PetscCall(PetscFree5(ga, gb, gW, gbias, w));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* softmax attention in double, with the full score matrix */
static void attention_direct(int B, int H, int Nq, int Nk, int dh, const float *q, const float *k, const float *v, float *o)
{
  int     ld = H * dh;
  double *s  = malloc(sizeof(double) * Nk);
  for (int b = 0; b < B; b++)
    for (int h = 0; h < H; h++)
      for (int i = 0; i < Nq; i++) {
        double mx = -INFINITY, sum = 0;
        for (int j = 0; j < Nk; j++) {
          double a = 0;
          for (int c = 0; c < dh; c++) a += (double)q[((int64_t)b * Nq + i) * ld + h * dh + c] * k[((int64_t)b * Nk + j) * ld + h * dh + c];
          s[j] = a / sqrt((double)dh);
          mx   = s[j] > mx ? s[j] : mx;
        }
        for (int j = 0; j < Nk; j++) sum += (s[j] = exp(s[j] - mx));
        for (int c = 0; c < dh; c++) {
          double a = 0;
          for (int j = 0; j < Nk; j++) a += s[j] * v[((int64_t)b * Nk + j) * ld + h * dh + c];
          o[((int64_t)b * Nq + i) * ld + h * dh + c] = (float)(a / sum);
        }
      }
  free(s);
}

/* peak arena bytes of one forward + backward of softmax attention over n tokens */
static PetscErrorCode attention_peak(int n, size_t *peak)
{
  NeopTape   *t;
  NeopTensor *q, *k, *v, *y;
  int         shape[3] = {1, n, 16};
  float      *g;

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, 3, shape, &q));
  PetscCall(NeopTapeTensor(t, 3, shape, &k));
  PetscCall(NeopTapeTensor(t, 3, shape, &v));
  NeopTestRandom(41, q->size, -1, 1, q->data);
  NeopTestRandom(42, k->size, -1, 1, k->data);
  NeopTestRandom(43, v->size, -1, 1, v->data);
  q->requires_grad = k->requires_grad = v->requires_grad = PETSC_TRUE;
  PetscCall(NeopOpAttention(t, q, k, v, 2, &y));
  PetscCall(NeopTapeGrad(t, y, &g));
  for (int64_t i = 0; i < y->size; i++) g[i] = 1;
  PetscCall(t->nodes[0].backward(t, &t->nodes[0]));
  *peak = t->arena->peak;
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  for (int groups = 1; groups <= 2; groups++) {
    /* x (2, 3, 8), gamma, beta (8) */
    int   ndim[3] = {3, 1, 1}, shape[3][NEOP_MAX_DIMS] = {{2, 3, 8}, {8}, {8}};
    float x[48], g[8], b[8], *d[3] = {x, g, b};
    char  name[64];
    NeopTestRandom(1, 48, -2, 2, x);
    NeopTestRandom(2, 8, 0.5, 1.5, g);
    NeopTestRandom(3, 8, -1, 1, b);
    PetscCall(PetscSNPrintf(name, sizeof(name), "layer norm, %d group(s)", groups));
    PetscCall(NeopTestGradCheck(name, layer_norm_fn, &groups, 3, ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    /* q (2, 70, 2 x 4), k, v (2, 67, 8): several tiles of 64 and ragged ends */
    int    ndim[3] = {3, 3, 3}, shape[3][NEOP_MAX_DIMS] = {{2, 70, 8}, {2, 67, 8}, {2, 67, 8}};
    float *q, *k, *v, *d[3];
    PetscCall(PetscMalloc3(1120, &q, 1072, &k, 1072, &v));
    NeopTestRandom(4, 1120, -1.5, 1.5, q);
    NeopTestRandom(5, 1072, -1.5, 1.5, k);
    NeopTestRandom(6, 1072, -1, 1, v);
    d[0] = q, d[1] = k, d[2] = v;
    PetscCall(NeopTestGradCheck("softmax attention", attention_fn, NULL, 3, ndim, shape, d, 1e-2, 1e-2, 1e-3));
    {
      NeopTape   *t;
      NeopTensor *tq, *tk, *tv, *y;
      float       ref[1120];
      PetscCall(NeopTapeCreate(&t));
      PetscCall(NeopTapeTensor(t, 3, shape[0], &tq));
      PetscCall(NeopTapeTensor(t, 3, shape[1], &tk));
      PetscCall(NeopTapeTensor(t, 3, shape[2], &tv));
      PetscCall(PetscArraycpy(tq->data, q, 1120));
      PetscCall(PetscArraycpy(tk->data, k, 1072));
      PetscCall(PetscArraycpy(tv->data, v, 1072));
      PetscCall(NeopOpAttention(t, tq, tk, tv, 2, &y));
      attention_direct(2, 2, 70, 67, 4, q, k, v, ref);
      NeopTestClose("tiled softmax attention vs direct", 1120, y->data, ref, 1e-5, 1e-6);
      PetscCall(NeopTapeDestroy(&t));
    }
    PetscCall(PetscFree3(q, k, v));
  }
  for (int kind = 0; kind < 2; kind++) {
    NeopLinearAttentionKind lk = (NeopLinearAttentionKind)kind;
    int   ndim[3] = {3, 3, 3}, shape[3][NEOP_MAX_DIMS] = {{2, 9, 6}, {2, 9, 6}, {2, 9, 6}};
    float q[108], k[108], v[108], *d[3] = {q, k, v};
    NeopTestRandom(7, 108, -1.5, 1.5, q);
    NeopTestRandom(8, 108, -1.5, 1.5, k);
    NeopTestRandom(9, 108, -1, 1, v);
    PetscCall(NeopTestGradCheck(kind ? "linear attention (1 + elu)" : "linear attention (Galerkin)", linear_attention_fn, &lk, 3,
                                ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    /* x, f (2, 20, 2 x 4), Ws (3, 4), bs (3), temperature (2), Wqkv (3, 4, 4) */
    int   ndim[6] = {3, 3, 2, 1, 1, 3}, shape[6][NEOP_MAX_DIMS] = {{2, 20, 8}, {2, 20, 8}, {3, 4}, {3}, {2}, {3, 4, 4}};
    float x[320], f[320], Ws[12], bs[3], temp[2] = {0.5f, 1.3f}, W[48], *d[6] = {x, f, Ws, bs, temp, W};
    NeopTestRandom(10, 320, -1, 1, x);
    NeopTestRandom(11, 320, -1, 1, f);
    NeopTestRandom(12, 12, -1, 1, Ws);
    NeopTestRandom(13, 3, -0.5, 0.5, bs);
    NeopTestRandom(14, 48, -0.7, 0.7, W);
    PetscCall(NeopTestGradCheck("physics attention", physics_fn, NULL, 6, ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    /* packed: xf (2, 20, 16) = [x, f], as NeopOpTokenConvPair hands it over */
    int   ndim[5] = {3, 2, 1, 1, 3}, shape[5][NEOP_MAX_DIMS] = {{2, 20, 16}, {3, 4}, {3}, {2}, {3, 4, 4}};
    float xf[640], Ws[12], bs[3], temp[2] = {0.7f, 0.4f}, W[48], *d[5] = {xf, Ws, bs, temp, W};
    NeopTestRandom(30, 640, -1, 1, xf);
    NeopTestRandom(31, 12, -1, 1, Ws);
    NeopTestRandom(32, 3, -0.5, 0.5, bs);
    NeopTestRandom(33, 48, -0.7, 0.7, W);
    PetscCall(NeopTestGradCheck("physics attention, packed [x, f]", physics_packed_fn, NULL, 5, ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    NeopUnaryKind acts[2] = {NEOP_UNARY_GELU, NEOP_UNARY_SILU};
    for (int a = 0; a < 2; a++) {
      int   ndim = 3, shape[1][NEOP_MAX_DIMS] = {{2, 3, 10}};
      float h[60], *d[1] = {h};
      char  name[64];
      NeopTestRandom(15 + a, 60, -2, 2, h);
      PetscCall(PetscSNPrintf(name, sizeof(name), "glu (%s)", NeopUnaryKindName(acts[a])));
      PetscCall(NeopTestGradCheck(name, glu_fn, &acts[a], 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
    }
  }
  {
    int   ndim = 4, shape[1][NEOP_MAX_DIMS] = {{2, 3, 3, 4}};
    float x[72], *d[1] = {x};
    NeopTestRandom(17, 72, -1, 1, x);
    PetscCall(NeopTestGradCheck("fields <-> tokens", tokens_fn, NULL, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    /* token conv: x (2, 4 x 5, 3), W (4, 3, 3, 3), b (4); 5 x 5 on a 3 x 4 grid (kernel wider than the grid) */
    int   S3[2] = {4, 5}, S5[2] = {3, 4};
    int   ndim[3] = {3, 4, 1}, shape3[3][NEOP_MAX_DIMS] = {{2, 20, 3}, {4, 3, 3, 3}, {4}};
    int   shape5[3][NEOP_MAX_DIMS] = {{2, 12, 3}, {4, 3, 5, 5}, {4}};
    float x[120], W[300], b[4], *d[3] = {x, W, b};
    NeopTestRandom(18, 120, -1, 1, x);
    NeopTestRandom(19, 300, -0.5, 0.5, W);
    NeopTestRandom(20, 4, -0.5, 0.5, b);
    PetscCall(NeopTestGradCheck("token conv 3x3", token_conv_fn, S3, 3, ndim, shape3, d, 1e-2, 1e-2, 1e-3));
    PetscCall(NeopTestGradCheck("token conv 5x5", token_conv_fn, S5, 3, ndim, shape5, d, 1e-2, 1e-2, 1e-3));
    {
      int   pdim[5] = {3, 4, 1, 4, 1}, pshape[5][NEOP_MAX_DIMS] = {{2, 20, 3}, {4, 3, 3, 3}, {4}, {2, 3, 3, 3}, {2}};
      float W2[54], b2[2], *pd[5] = {x, W, b, W2, b2};
      NeopTestRandom(21, 54, -0.5, 0.5, W2);
      NeopTestRandom(22, 2, -0.5, 0.5, b2);
      PetscCall(NeopTestGradCheck("token conv pair 3x3 (4 + 2 outputs)", token_conv_pair_fn, S3, 5, pdim, pshape, pd, 1e-2, 1e-2, 1e-3));
    }
    PetscCall(token_conv_vs_field_conv(3));
    PetscCall(token_conv_vs_field_conv(5));
  }
  {
    /* Without tiling, 4x the tokens would take 16x the score memory; tiled it is ~4x. */
    size_t p1, p4;
    PetscCall(attention_peak(1024, &p1));
    PetscCall(attention_peak(4096, &p4));
    NeopTestCheck((double)p4 / p1 < 4.2, "softmax attention peak arena bytes: %zu at 1024 tokens, %zu at 4096 (ratio %.2f, linear: 4)", p1,
                  p4, (double)p4 / p1);
    NeopTestCheck(p4 < (size_t)4096 * 4096 * sizeof(float), "no 4096 x 4096 buffer: peak %zu bytes", p4);
  }
  {
    /* positions: grid corners, sin^2 + cos^2 = 1, unified distances to the reference corners */
    int   S[2] = {3, 5};
    float g[30], fo[15 * 8], u[15 * 4];
    PetscCall(NeopPositionGrid(2, S, g));
    NeopTestCheck(g[0] == 0 && g[1] == 0 && g[28] == 1 && g[29] == 1 && g[2 * 7] == 0.5f && g[2 * 7 + 1] == 0.5f,
                  "grid coordinates of corners and centre");
    PetscCall(NeopPositionFourier(2, S, 4, 1.0, 7, fo));
    double e = 0;
    for (int p = 0; p < 15; p++)
      for (int i = 0; i < 4; i++) e = fmax(e, fabs(fo[p * 8 + i] * fo[p * 8 + i] + fo[p * 8 + 4 + i] * fo[p * 8 + 4 + i] - 1));
    NeopTestCheck(e < 1e-6 && fo[0] == 0 && fo[4] == 1, "Fourier features: sin^2 + cos^2 = 1 (err %g), zero phase at the origin", e);
    PetscCall(NeopPositionUnified(2, S, 2, u));
    NeopTestCheck(u[0] == 0 && fabsf(u[3] - sqrtf(2.f)) < 1e-6f && u[14 * 4 + 3] == 0, "unified position distances");
  }
  return NeopTestFinalize();
}
