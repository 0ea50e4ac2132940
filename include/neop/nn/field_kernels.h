/* Point-wise kernels on fields (outer, C, P), the work of FNO's fused ops
   (and of MgNO's layer output, NeopOpConv1x1AddAct) around their matrix products (a sub-table of NeopBackend, pointed to by
   NeopBackend.field; CPU: src/backend/cpu/field.c, field_linear.c). Buffers
   are backend memory. They exist so that the 1x1 products, the bias, the
   activation, its derivative and the bias gradient of a sample run back to
   back while the sample is in cache, and so that a backend can spread the
   samples over its threads. */
#pragma once
#include <neop/backend.h>

typedef struct NeopFieldKernels {
  /* Per sample s of N, x[s] (Cin, P), z[s] and y[s] (Cout, P), W (Cout, Cin):
     z[s] = W x[s] + beta z[s] (beta 0 or 1), then z[s] += b[c] (b may be NULL),
     y[s] = act(z[s]) and, when dact is not NULL, dact[s] = act'(z[s]). dact may
     be z (overwritten by the derivative); y may be z when dact is NULL. */
  PetscErrorCode (*linear_act)(int N, int cin, int cout, int64_t P, const float *W, const float *x, float beta, const float *b,
                               NeopUnaryKind act, float *z, float *y, float *dact);
  /* linear_act with the sum started from z0 (N, Cout, P) instead: z[s] = z0[s] + W x[s]
     (z0 is read only and does not alias z), then the bias, y, dact as there. */
  PetscErrorCode (*add_linear_act)(int N, int cin, int cout, int64_t P, const float *W, const float *x, const float *z0, const float *b,
                                   NeopUnaryKind act, float *z, float *y, float *dact);
  /* The adjoint of linear_act (and of add_linear_act, whose dz0 is its dz) from g = dy (N, Cout, P): first g *= dact in place
     (g becomes dz; skipped when dact is NULL), then db[c] += the sum of g over
     samples and points, dx[s] = W^T g[s] + beta_dx dx[s] (beta_dx 0 or 1),
     dW += sum_s g[s] x[s]^T (db, dx, dW may be NULL). */
  PetscErrorCode (*linear_backward)(int N, int cin, int cout, int64_t P, const float *W, const float *x, const float *dact, float *g,
                                    float beta_dx, float *dx, float *dW, float *db);
  /* The channel MLP y[s] = W2 act(W1 x[s] + b1) + b2: x (N, Cin, P), y (N, Cout, P),
     W1 (Cmid, Cin), W2 (Cout, Cmid), b1 and b2 may be NULL. With h and dact
     (N, Cmid, P) given they receive act(z) and act'(z), z = W1 x + b1; with both
     NULL the hidden layer lives in scratch (no backward). */
  PetscErrorCode (*mlp_forward)(int N, int cin, int cmid, int cout, int64_t P, const float *W1, const float *b1, NeopUnaryKind act,
                                const float *W2, const float *b2, const float *x, float *h, float *dact, float *y);
  /* Its adjoint from dy (N, Cout, P) with the h and dact of mlp_forward:
     dx = its gradient + beta_dx dx (beta_dx 0 or 1); dW1, db1, dW2 += theirs
     (each may be NULL; the gradient of b2 is bias_grad's). */
  PetscErrorCode (*mlp_backward)(int N, int cin, int cmid, int cout, int64_t P, const float *W1, const float *W2, const float *x,
                                 const float *h, const float *dact, const float *dy, float beta_dx, float *dx, float *dW1, float *db1,
                                 float *dW2);
  /* Block copy between the spatial layouts A and B (3 extents each, missing
     leading dims 1) of 'outer' fields: dst[o, i, j, k] = src[o, i, j, k]
     (add: +=) on the common region i < min(A0, B0), ...; without add, the
     entries of dst outside it are set to 0 (domain padding), with add they
     are left alone (the adjoint of cropping). */
  void (*resize)(int64_t outer, const int *A, const float *src, const int *B, float *dst, PetscBool add);
} NeopFieldKernels;
