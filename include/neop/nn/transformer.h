/* Transformer operators: fused layer norm, three kinds of multi-head attention
   (softmax, linear, physics), GLU feed-forward, pre-norm residual blocks and a
   reusable backbone object, NeopTransformer, that models embed under their own
   option prefix.

   Sequences are (N, tokens, features) tensors. Multi-head tensors keep the
   heads interleaved in the feature dim: q (N, tokens, heads * dh), head h in
   features [h dh, (h+1) dh), which is what a Linear layer produces.

   Every op follows neop/ops.h: tape first, output last, backward adds into the
   input gradients. Kernels are in a backend sub-table (NeopAttentionKernels),
   the CPU implementation in src/backend/cpu/attention*.c. */
#pragma once
#include <neop/ops.h>
#include <neop/params.h>
#include <neop/model.h>
#include <neop/nn/spectral_conv.h>

/* ---------------------------------------------------------------- kernels */

typedef enum {
  NEOP_LINATT_GALERKIN, /* Q (K^T V) / n: Galerkin Transformer (Cao 2021) */
  NEOP_LINATT_ELU       /* phi(Q) (phi(K)^T V), phi = 1 + elu: TransNormer's kernel (Qin 2022) */
} NeopLinearAttentionKind;

/* All pointers are backend memory. Shapes: B batch, H heads, N/Nq/Nk tokens,
   dh features per head, M slices; rows = product of the leading dims. Backward
   kernels ADD into the gradient arrays they get; a NULL gradient is skipped. */
typedef struct NeopAttentionKernels {
  /* layer norm over groups of C features: x, y (rows, G C); gamma, beta (G C);
     mean, rstd (rows G) saved for backward */
  void (*layer_norm_forward)(int64_t rows, int G, int C, float eps, const float *x, const float *gamma,
                             const float *beta, float *y, float *mean, float *rstd);
  void (*layer_norm_backward)(int64_t rows, int G, int C, const float *x, const float *gamma, const float *mean,
                              const float *rstd, const float *dy, float *dx, float *dgamma, float *dbeta);
  /* softmax attention in tiles (online softmax): q (B, Nq, H dh), k, v (B, Nk, H dh),
     o (B, Nq, H dh), lse (B, H, Nq) log-sum-exp of each row, saved for backward */
  void (*softmax_forward)(int B, int H, int Nq, int Nk, int dh, float scale, const float *q, const float *k,
                          const float *v, float *o, float *lse);
  /* recomputes the tiles; work (B, H, Nq) */
  void (*softmax_backward)(int B, int H, int Nq, int Nk, int dh, float scale, const float *q, const float *k,
                           const float *v, const float *o, const float *lse, const float *dout, float *work, float *dq,
                           float *dk, float *dv);
  /* linear attention: q, k, v, o (B, N, H dh); kv (B, H, dh, dh) = phi(K)^T V saved */
  void (*linear_forward)(NeopLinearAttentionKind kind, int B, int H, int N, int dh, const float *q, const float *k,
                         const float *v, float *o, float *kv);
  void (*linear_backward)(NeopLinearAttentionKind kind, int B, int H, int N, int dh, const float *q, const float *k,
                          const float *v, const float *kv, const float *dout, float *dq, float *dk, float *dv);
  /* Transolver's physics attention core, per head:
       w = softmax_M((x Ws^T + bs) / clamp(temp_h, 0.1, 5))      (N, M) slice weights
       t = (w^T f) / (colsum(w) + 1e-5)                          (M, dh) slice tokens
       a = softmax(t Wq^T (t Wk^T)^T / sqrt(dh)); s = a (t Wv^T)  (M, dh)
       y = w s                                                    (N, dh)
     x, f (B, N, ldx) (features [0, H dh) of each row), y (B, N, H dh); Ws (M, dh); bs (M); temp (H); Wq, Wk, Wv (dh, dh).
     Saved: w (B, H, N, M), norm (B, H, M) = colsum(w), tok (B, H, M, dh), att (B, H, M, M),
     st (B, H, M, dh). */
  void (*physics_forward)(int B, int H, int N, int dh, int M, int ldx, const float *x, const float *f, const float *Ws,
                          const float *bs, const float *temp, const float *Wq, const float *Wk, const float *Wv, float *y,
                          float *w, float *norm, float *tok, float *att, float *st);
  void (*physics_backward)(int B, int H, int N, int dh, int M, int ldx, const float *x, const float *f, const float *Ws,
                           const float *bs, const float *temp, const float *Wq, const float *Wk, const float *Wv,
                           const float *w, const float *norm, const float *tok, const float *att, const float *st,
                           const float *dy, float *dx, float *df, float *dWs, float *dbs, float *dtemp, float *dWq,
                           float *dWk, float *dWv);
  /* gated unit: h (rows, 2F) -> y (rows, F) = act(h[:, :F]) * h[:, F:] */
  void (*glu_forward)(NeopUnaryKind act, int64_t rows, int F, const float *h, float *y);
  void (*glu_backward)(NeopUnaryKind act, int64_t rows, int F, const float *h, const float *dy, float *dh);
  /* fields -> tokens: x (N, C, P) -> y (N, P, Cp + C) = [pos (P, Cp), x transposed] (Cp = 0: pos unused);
     add = 1: y[..., Cp:] += x transposed instead (backward of to_fields) */
  void (*to_tokens)(int N, int C, int P, int Cp, int add, const float *x, const float *pos, float *y);
  /* tokens -> fields: y (N, P, ldy), its first C features -> x (N, C, P); add = 1 accumulates */
  void (*to_fields)(int N, int C, int P, int ldy, int add, const float *y, float *x);
  /* k x k convolution (k odd, zero padding k/2, stride 1) of tokens on an S0 x S1 grid, channels last:
     x (B, S0 S1, Cin), y (B, S0 S1, Cout) = b + conv(x, W), W (Cout, Cin, k, k) (PyTorch's Conv2d), b (Cout) */
  void (*token_conv_forward)(int B, int S0, int S1, int Cin, int Cout, int k, const float *x, const float *W,
                             const float *b, float *y);
  void (*token_conv_backward)(int B, int S0, int S1, int Cin, int Cout, int k, const float *x, const float *W,
                              const float *dy, float *dx, float *dW, float *db);
} NeopAttentionKernels;

extern const NeopAttentionKernels NeopAttentionKernelsCPU;

/* -------------------------------------------------------------------- ops */

/* Layer norm over groups: x (..., G C), gamma and beta (G C) (G = 1: PyTorch's
   LayerNorm(C); G = heads: one LayerNorm(dh) per head). */
PetscErrorCode NeopOpLayerNorm(NeopTape *t, NeopTensor *x, int groups, NeopTensor *gamma, NeopTensor *beta, double eps,
                               NeopTensor **y);
/* Multi-head softmax attention softmax(Q K^T / sqrt(dh)) V, tiled so memory is
   linear in the tokens: q (N, Nq, H dh), k and v (N, Nk, H dh) -> (N, Nq, H dh). */
PetscErrorCode NeopOpAttention(NeopTape *t, NeopTensor *q, NeopTensor *k, NeopTensor *v, int heads, NeopTensor **y);
/* Multi-head linear attention, no softmax: q, k, v (N, n, H dh) -> (N, n, H dh). */
PetscErrorCode NeopOpLinearAttention(NeopTape *t, NeopLinearAttentionKind kind, NeopTensor *q, NeopTensor *k,
                                     NeopTensor *v, int heads, NeopTensor **y);
/* Physics attention core (see the kernel table): x, f (N, n, H dh) -> (N, n, H dh);
   Ws (M, dh), bs (M), temp (H), Wqkv (3, dh, dh) = [Wq, Wk, Wv]. f = NULL: x is
   (N, n, 2 H dh) holding [x, f] side by side (NeopOpTokenConvPair's output). */
PetscErrorCode NeopOpPhysicsAttention(NeopTape *t, NeopTensor *x, NeopTensor *f, NeopTensor *Ws, NeopTensor *bs,
                                      NeopTensor *temp, NeopTensor *Wqkv, int heads, NeopTensor **y);
/* Gated linear unit: h (..., 2F) -> (..., F) = act(first half) * second half. */
PetscErrorCode NeopOpGLU(NeopTape *t, NeopUnaryKind act, NeopTensor *h, NeopTensor **y);
/* Fields (N, C, *S) -> tokens (N, prod S, Cp + C): constant features pos
   (prod S, Cp) (NULL: none) first, as Transolver's cat((pos, fx), -1), then the channels. */
PetscErrorCode NeopOpFieldToTokens(NeopTape *t, NeopTensor *x, NeopTensor *pos, NeopTensor **y);
/* Tokens (N, prod S, C) -> fields (N, C, *S), S taken from 'like' (N', C', *S). */
PetscErrorCode NeopOpTokensToField(NeopTape *t, NeopTensor *y, const NeopTensor *like, NeopTensor **x);
/* k x k convolution of tokens on a 2-D grid S (row-major points), zero padding k/2,
   in the token layout: x (N, S0 S1, Cin) -> (N, S0 S1, Cout); W (Cout, Cin, k, k), b (Cout) or NULL.
   The same map as NeopOpConv on the field (N, Cin, S0, S1). */
PetscErrorCode NeopOpTokenConv(NeopTape *t, NeopTensor *x, const int S[2], NeopTensor *W, NeopTensor *b, NeopTensor **y);
/* Two such convolutions of the same x (one k, both with bias), outputs side by side:
   (N, S0 S1, C1 + C2) = [conv(x, W1) + b1, conv(x, W2) + b2]; one pass over x for both. */
PetscErrorCode NeopOpTokenConvPair(NeopTape *t, NeopTensor *x, const int S[2], NeopTensor *W1, NeopTensor *b1, NeopTensor *W2,
                                   NeopTensor *b2, NeopTensor **y);

/* ------------------------------------------------- positional information */

/* Grid coordinates: pos (P, dim), point p = (i0, ..., i_{dim-1}) row-major,
   coordinate d = i_d / (S_d - 1) in [0, 1] (np.linspace(0, 1, S)). Host array
   'pos' of P dim floats. Not collective. */
PetscErrorCode NeopPositionGrid(int dim, const int *S, float *pos);
/* Fourier features of the grid coordinates: pos (P, 2 m) = [sin(2 pi B x), cos(2 pi B x)]
   with B (m, dim) ~ N(0, sigma^2) drawn from the stream (seed, NEOP_RNG_MODEL, index 0x464f55524945ULL). */
PetscErrorCode NeopPositionFourier(int dim, const int *S, int m, double sigma, uint64_t seed, float *pos);
/* Transolver's unified position: distances to a ref^dim reference grid on [0, 1]^dim:
   pos (P, ref^dim). */
PetscErrorCode NeopPositionUnified(int dim, const int *S, int ref, float *pos);

/* ----------------------------------------------------------------- layers */

typedef enum { NEOP_ATTN_SOFTMAX, NEOP_ATTN_GALERKIN, NEOP_ATTN_NORM, NEOP_ATTN_PHYSICS, NEOP_ATTN_COUNT } NeopAttentionType;
typedef enum { NEOP_FFN_GELU, NEOP_FFN_GEGLU, NEOP_FFN_SWIGLU, NEOP_FFN_COUNT } NeopFFNType;
extern const char *const NeopAttentionTypes[]; /* "softmax", "galerkin", "norm", "physics", then PETSc's enum tail */
extern const char *const NeopFFNTypes[];       /* "gelu", "geglu", "swiglu", ... */

/* Layer norm parameters. */
typedef struct {
  NeopTensor *weight, *bias; /* (groups C) */
  int         groups;
  double      eps;
} NeopLayerNorm;

/* Multi-head attention of one of the kinds above, with its projections. */
typedef struct {
  NeopAttentionType type;
  int               width, heads, dh, slices;
  NeopTensor       *Wq, *bq, *Wk, *bk, *Wv, *bv; /* (width, width), (width) */
  NeopTensor       *Wx, *bx, *Wf, *bf;           /* physics: in_project_x, in_project_fx (width, width), (width);
                                                    conv projections: (width, width, k, k), (width) */
  int               conv;                        /* physics: kernel k of the conv projections, 0: Linear */
  int               grid[2];                     /* conv projections: the 2-D grid (S0, S1) of the tokens */
  NeopTensor       *Ws, *bs, *temp, *Wqkv;       /* physics: in_project_slice (M, dh), (M); temperature (H); (3, dh, dh) */
  NeopLayerNorm     nk, nv, no;                  /* galerkin: per-head norms of K and V; norm: output norm */
  NeopTensor       *Wo, *bo;                     /* (width, width), (width) */
} NeopAttentionLayer;

/* Feed-forward: gelu: W2 GELU(W1 x); glu: W2 (act(W1a x) * W1b x), W1 (2 hidden, width). */
typedef struct {
  NeopFFNType type;
  int         width, hidden;
  NeopTensor *W1, *b1, *W2, *b2;
} NeopFeedForward;

/* How weights are initialised: std = 0: PyTorch's Linear default;
   std > 0: weights N(0, std^2) and zero biases (Transolver's trunc_normal(0.02)). */
typedef struct {
  double std;
} NeopTransformerInit;

/* Declare parameters named "<name>.<...>" in p. Not collective. */
PetscErrorCode NeopTransformerLinearSetUp(NeopParams *p, const char *name, int out, int in, PetscBool bias,
                                          NeopTransformerInit init, NeopTensor **W, NeopTensor **b);
PetscErrorCode NeopLayerNormSetUp(NeopLayerNorm *ln, NeopParams *p, const char *name, int groups, int C, double eps);
PetscErrorCode NeopAttentionLayerSetUp(NeopAttentionLayer *a, NeopParams *p, const char *name, NeopAttentionType type,
                                       int width, int heads, int slices, NeopTransformerInit init);
/* Physics attention whose x / fx projections are k x k convolutions (zero
   padding k/2) over a 2-D grid, as Transolver's structured-mesh code
   (Physics_Attention_Structured_Mesh_2D); set a->grid before the forward.
   Conv weights start as PyTorch's Conv2d default. Not collective. */
PetscErrorCode NeopAttentionLayerSetUpConv(NeopAttentionLayer *a, NeopParams *p, const char *name, int width, int heads,
                                           int slices, int kernel, NeopTransformerInit init);
PetscErrorCode NeopFeedForwardSetUp(NeopFeedForward *f, NeopParams *p, const char *name, NeopFFNType type, int width,
                                    int hidden, NeopTransformerInit init);
/* Forward passes: x (N, n, width) -> (N, n, width). */
PetscErrorCode NeopLayerNormForward(NeopLayerNorm *ln, NeopTape *t, NeopTensor *x, NeopTensor **y);
PetscErrorCode NeopAttentionLayerForward(NeopAttentionLayer *a, NeopTape *t, NeopTensor *x, NeopTensor **y);
PetscErrorCode NeopFeedForwardForward(NeopFeedForward *f, NeopTape *t, NeopTensor *x, NeopTensor **y);

/* Spectral token mixing (SpectFormer-style spectral gating) over the grid of
   the tokens: tokens (N, P, width), P = prod S points in row-major order ->
   field (N, width, *S) -> NeopOpSpectralGate (one complex weight per channel
   and kept FNO mode, zero beyond) -> tokens (N, P, width). */
typedef struct {
  int                width, dim, modes[3];
  int                grid[3];                      /* the grid of the tokens (NeopTransformerSetGrid) */
  NeopSpectralMethod method;
  NeopTensor        *w[NEOP_SPECTRAL_MAX_CORNERS]; /* corner weights (width, *modes, 2) */
} NeopSpectralMixer;

/* Declares "<name>.weights1", ... N(0, 0.02^2) as GFNet / SpectFormer. Not collective. */
PetscErrorCode NeopSpectralMixerSetUp(NeopSpectralMixer *s, NeopParams *p, const char *name, int width, int dim, const int *modes,
                                      NeopSpectralMethod method);
/* x (N, prod grid, width) -> (N, prod grid, width); s->grid must be set. */
PetscErrorCode NeopSpectralMixerForward(NeopSpectralMixer *s, NeopTape *t, NeopTensor *x, NeopTensor **y);

/* One pre-norm residual block: x + Attn(LN1(x)), then + FFN(LN2(.)).
   A spectral block mixes with 'spec' instead of 'attn'. */
typedef struct {
  NeopLayerNorm      ln1, ln2;
  NeopAttentionLayer attn;
  NeopFeedForward    ffn;
  NeopSpectralMixer  spec;
} NeopTransformerBlock;

PetscErrorCode NeopTransformerBlockForward(NeopTransformerBlock *b, NeopTape *t, NeopTensor *x, NeopTensor **y);
/* The spectral block: x + SpectralMixer(LN1(x)), then + FFN(LN2(.)). */
PetscErrorCode NeopTransformerSpectralBlockForward(NeopTransformerBlock *b, NeopTape *t, NeopTensor *x, NeopTensor **y);

/* ----------------------------------------------------------- the backbone */

/* L blocks of width 'width' and an optional final layer norm; maps
   (N, n, width) -> (N, n, width). Lifecycle:
     NeopTransformerCreate(comm, &tr);
     NeopTransformerSetOptionsPrefix(tr, "dgno_enc_");   (options -dgno_enc_layers, ...)
     NeopTransformerSetDefaults(tr, ...);                 (optional: the caller's defaults)
     NeopTransformerSetFromOptions(tr);
     NeopTransformerRecordOptions(tr, model);             (for checkpoints)
     NeopTransformerSetUp(tr, model->params, "enc.");     (declares "enc.blocks.0.ln1.weight", ...)
     NeopTransformerForward(tr, tape, x, &y);
     NeopTransformerDestroy(&tr);                                                          */
typedef struct NeopTransformer_s *NeopTransformer;

typedef struct {
  int               layers, width, heads, slices;
  double            mlp_ratio;
  NeopAttentionType attention;
  NeopFFNType       ffn;
  PetscBool         final_norm;
  double            init_std;    /* see NeopTransformerInit */
  int               conv_embed;  /* physics attention: kernel of conv x / fx projections on 2-D grids, 0: Linear */
  int               spectral_layers;    /* the first k blocks mix tokens with NeopSpectralMixer (needs NeopTransformerSetSpatialDim) */
  int               spectral_modes[3];  /* their kept modes per dim (0: 12) */
  NeopSpectralMethod spectral_transform;
} NeopTransformerConfig;

/* Collective on comm. */
PetscErrorCode NeopTransformerCreate(MPI_Comm comm, NeopTransformer *tr);
PetscErrorCode NeopTransformerSetOptionsPrefix(NeopTransformer tr, const char *prefix);
PetscErrorCode NeopTransformerSetDefaults(NeopTransformer tr, const NeopTransformerConfig *cfg);
/* Options (with the prefix): -layers -width -heads -attention -slices -mlp_ratio -ffn -final_norm -init_std -conv_embed
   -spectral_layers -spectral_modes -spectral_transform. */
PetscErrorCode NeopTransformerSetFromOptions(NeopTransformer tr);
PetscErrorCode NeopTransformerGetConfig(NeopTransformer tr, NeopTransformerConfig *cfg);
/* Records every option value in the model (not collective). */
PetscErrorCode NeopTransformerRecordOptions(NeopTransformer tr, NeopModel m);
PetscErrorCode NeopTransformerSetUp(NeopTransformer tr, NeopParams *p, const char *name_prefix);
/* Spatial dims of the token grid, before SetUp: the shape of the spectral blocks' weights. Not collective. */
PetscErrorCode NeopTransformerSetSpatialDim(NeopTransformer tr, int dim);
/* The grid of the tokens (row-major points of a dim-D grid S): needed by conv projections and spectral blocks. Not collective. */
PetscErrorCode NeopTransformerSetGrid(NeopTransformer tr, int dim, const int *S);
PetscErrorCode NeopTransformerForward(NeopTransformer tr, NeopTape *t, NeopTensor *x, NeopTensor **y);
PetscErrorCode NeopTransformerView(NeopTransformer tr, PetscViewer viewer);
PetscErrorCode NeopTransformerDestroy(NeopTransformer *tr);
