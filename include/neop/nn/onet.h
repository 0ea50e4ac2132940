/* Operator networks on branch and trunk MLPs: DeepONet (Lu et al. 2021) and
   MultiONet (Zang & Koutsourelakis 2025), the first derivatives of their output
   with respect to the trunk coordinates (forward-mode tangents built from ops,
   so parameter gradients of losses that contain du/dx come from the tape), and
   the ops these need: activation derivatives, grid interpolation, top-k sums.

   Shapes: trunk coordinates x (P, d) shared by the batch, branch inputs
   beta (N, in), outputs u (N, P), derivatives du (N, d, P) (the Cartesian
   product form: one trunk pass per batch, an sgemm per summed layer).
   Kernels are in a backend sub-table (NeopONetKernels), the CPU ones in
   src/backend/cpu/onet.c. Not collective. */
#pragma once
#include <neop/ops.h>
#include <neop/params.h>
#include <neop/model.h>

/* ---------------------------------------------------------------- kernels */

/* All pointers are backend memory; backward kernels ADD into their outputs. */
typedef struct NeopONetKernels {
  /* y = f'(x);  dx += f''(x) dy */
  void (*unary_deriv)(NeopUnaryKind kind, int64_t n, const float *x, float *y);
  void (*unary_deriv_backward)(NeopUnaryKind kind, int64_t n, const float *x, const float *dy, float *dx);
  /* node values g (R, S[0], ..., S[d-1]) on [0,1]^d (h = 1/(S-1)) at points pts (P, d) -> y (R, P):
     multilinear interpolation, or the nearest node's value (nearest = 1) */
  void (*grid_interp)(int R, int d, const int *S, int P, int nearest, const float *pts, const float *g, float *y);
  void (*grid_interp_backward)(int R, int d, const int *S, int P, int nearest, const float *pts, const float *dy,
                               float *dg);
  /* per row of x (N, M): idx (N, k) of the k largest values, y (N) their sum; work: 8 M bytes */
  void (*topk_sum)(int N, int M, int k, const float *x, void *work, int *idx, float *y);
  void (*topk_sum_backward)(int N, int M, int k, const int *idx, const float *dy, float *dx);
  /* y (N, C) = (1/Q) sum_j sum_q F[n, j, c Q + q] w[j, q] with F (N, J, C Q) and w (J, Q) double,
     accumulated in double (weak-form quadrature, src/nn/weak_form.c) */
  void (*weak_reduce)(int N, int J, int C, int Q, const float *F, const double *w, float *y);
  void (*weak_reduce_backward)(int N, int J, int C, int Q, const double *w, const float *dy, float *dF);
  /* bias and activation of a linear layer or conv: y = f(z + b[c]) and, when d != NULL, d = f'(z + b[c]),
     with z, y, d (outer, C, inner) (a linear layer: inner 1), b (C) or NULL (y and d may be z);
     act_grad: dy *= d (n values) in place, the first step of the adjoint */
  void (*bias_act)(NeopUnaryKind kind, int64_t outer, int C, int64_t inner, const float *b, const float *z, float *y, float *d);
  void (*act_grad)(int64_t n, const float *d, float *dy);
} NeopONetKernels;

extern const NeopONetKernels NeopONetKernelsCPU;

/* -------------------------------------------------------------------- ops */

/* y = f'(x), any shape; its backward uses f''(x). */
PetscErrorCode NeopOpUnaryDeriv(NeopTape *t, NeopUnaryKind kind, NeopTensor *x, NeopTensor **y);
/* Values of node fields g (N, C, *S) (d = g->ndim - 2 spatial dims, node grid on [0,1]^d)
   at points pts (P, d) -> y (N, C, P); gradients flow to g (not to the points). */
PetscErrorCode NeopOpGridInterp(NeopTape *t, NeopTensor *g, NeopTensor *pts, PetscBool nearest, NeopTensor **y);
/* Sum of the k largest entries of each row: x (N, M) -> y (N). */
PetscErrorCode NeopOpTopKSum(NeopTape *t, NeopTensor *x, int k, NeopTensor **y);
/* y (..., out) = f(x (..., in) W^T + b), b may be NULL: a linear layer and its activation as one node
   that keeps f'(z) for the backward instead of z. */
PetscErrorCode NeopOpLinearAct(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopUnaryKind act, NeopTensor **y);
/* y = f(z + b) for fields z (N, C, *S) with a bias per channel b (C) (NULL: none), keeping f'(z + b) for
   the backward: the bias and activation after a conv without bias. */
PetscErrorCode NeopOpBiasAct(NeopTape *t, NeopTensor *z, NeopTensor *b, NeopUnaryKind act, NeopTensor **y);
/* u (N, M) = z + alpha w B (N, H) T (M, H)^T: one summed inner product of a MultiONet; z (N, M) and w (1)
   may be NULL (read as 0 and 1). */
PetscErrorCode NeopOpONetInner(NeopTape *t, NeopTensor *z, double alpha, NeopTensor *w, NeopTensor *B, NeopTensor *T, NeopTensor **u);

/* ------------------------------------------------------------ the network */

#define NEOP_ONET_MAX_LAYERS 16

typedef struct {
  /* configuration */
  PetscBool     deeponet;      /* DeepONet: last layers linear, one inner product, weight 1 */
  int           width, layers; /* widths [width] * layers for both MLPs */
  int           sum_layers;    /* l: inner products of the last l layers (DeepONet: 1) */
  NeopUnaryKind act_trunk, act_branch;
  int           in_trunk, in_branch;
  /* parameters */
  NeopTensor *Wt[NEOP_ONET_MAX_LAYERS], *bt[NEOP_ONET_MAX_LAYERS]; /* trunk (width, in or width), (width) */
  NeopTensor *Wb[NEOP_ONET_MAX_LAYERS], *bb[NEOP_ONET_MAX_LAYERS]; /* branch */
  NeopTensor *w[NEOP_ONET_MAX_LAYERS];                             /* (1) each, MultiONet only */
  NeopTensor *bias;                                                /* (1) */
} NeopONet;

/* Reads -<sub>width -<sub>layers -<sub>sum_layers -<sub>act_trunk -<sub>act_branch
   (inside the model's PetscOptionsBegin, so with its prefix) and records them in m
   as "-<m->prefix><sub>...". Defaults come from *net. Collective. */
PetscErrorCode NeopONetSetFromOptions(NeopONet *net, NeopModel m, PetscOptionItems *PetscOptionsObject, const char *sub);
/* Declares "<name>.trunk.<i>.weight", ..., "<name>.w.<k>", "<name>.bias" with PyTorch's
   Linear initialisation; w and bias start at 0 as in the reference code. Not collective. */
PetscErrorCode NeopONetSetUp(NeopONet *net, NeopParams *p, const char *name, int in_trunk, int in_branch);
/* u (N, P) = (1/l) sum_k w_k <t_k(x), b_k(beta)> + bias, and with du != NULL
   du (N, d, P) = d u / d x. x (P, d), beta (N, in_branch). */
PetscErrorCode NeopONetEvaluate(NeopONet *net, NeopTape *t, NeopTensor *x, NeopTensor *beta, NeopTensor **u,
                                NeopTensor **du);
PetscErrorCode NeopONetView(NeopONet *net, const char *name, PetscViewer viewer);

/* t = the node coordinates (P, dim) of an S[0] x ... x S[dim-1] grid on [0,1]^dim,
   in backend memory owned by t (freed and reallocated when called again). Not collective. */
PetscErrorCode NeopGridCoordsTensor(int dim, const int *S, NeopTensor *t);
