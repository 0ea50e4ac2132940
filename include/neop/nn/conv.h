/* Convolutions in 1-D and 2-D, PyTorch's conventions:
     conv            x (N, Cin, *S),  W (Cout, Cin, *k), b (Cout) -> y (N, Cout, *So)
                     So = (S + 2 p - k) / s + 1 (floor), padding of mode zero,
                     circular or reflect (torch's padding_mode)
     transposed conv x (N, Cin, *S),  W (Cin, Cout, *k), b (Cout) -> y (N, Cout, *So)
                     So = (S - 1) s - 2 p + k + output_padding (zero padding only, as torch)
   1-D fields are (N, C, L) with 1-D kernels (Cout, Cin, k); 2-D fields are
   (N, C, H, W). Spec arrays are given per spatial dim, in order.

   Kernels run behind the backend's conv sub-table (NeopConvKernels): the CPU
   one (src/backend/cpu/conv*.c) is an implicit GEMM over phase planes of the
   padded image for kernels up to 7x7 of any stride, im2col + sgemm otherwise.
   A conv is described to the kernels in "conv direction": an image X
   (n, cx, h, w) and a kernel side Y (n, cy, ho, wo) with Y = W * X, W (cy, cx,
   kh, kw). The transposed conv is the adjoint map X = W^T * Y, so both use the
   same three kernels. Not collective. */
#pragma once
#include <neop/ops.h>

typedef enum { NEOP_PAD_ZERO, NEOP_PAD_CIRCULAR, NEOP_PAD_REFLECT, NEOP_PAD_COUNT } NeopPadMode;

/* Name <-> mode: "zero", "circular", "reflect" ("zeros" accepted, as torch). */
PetscErrorCode NeopPadModeFromName(const char *name, NeopPadMode *mode);
const char    *NeopPadModeName(NeopPadMode mode);

typedef struct {
  int         stride[2];          /* per spatial dim; 0 is read as 1 */
  int         padding[2];
  int         output_padding[2];  /* transposed conv only, < stride */
  NeopPadMode mode;               /* conv only; transposed conv pads with zeros */
} NeopConvSpec;

/* Geometry of one conv in conv direction (1-D: h = ho = kh = sh = 1, ph = 0). */
typedef struct {
  int         n;                  /* samples */
  int         cx, cy;             /* channels of the image side X and the kernel side Y */
  int         h, w;               /* X spatial extent */
  int         ho, wo;             /* Y spatial extent */
  int         kh, kw, sh, sw, ph, pw;
  NeopPadMode mode;
} NeopConvGeom;

/* Backend kernels. Pointers are backend memory; 'work' holds workspace(g) floats.
   conv and conv_adjoint write their output as z + the product in one pass: z of
   the output's shape, NULL (read as zeros) or the output itself (accumulate). */
typedef struct NeopConvKernels {
  size_t (*workspace)(const NeopConvGeom *g);
  /* Y = Z + alpha W * X (padding of g->mode applied to X) */
  void (*conv)(const NeopConvGeom *g, float alpha, const float *x, const float *w, const float *z, float *y, float *work);
  /* X = Z + alpha W^T * Y: the adjoint of conv, padding adjoint included */
  void (*conv_adjoint)(const NeopConvGeom *g, float alpha, const float *y, const float *w, const float *z, float *x, float *work);
  /* dW (cy, cx, kh, kw) += alpha sum over samples of dY (x) patches of X */
  void (*conv_weight_grad)(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work);
  /* xp (nc, h + 2 ph, w + 2 pw) = x (nc, h, w) padded; x += adjoint of that map applied to dxp */
  void (*pad)(NeopPadMode mode, int nc, int h, int w, int ph, int pw, const float *x, float *xp);
  void (*pad_adjoint)(NeopPadMode mode, int nc, int h, int w, int ph, int pw, const float *dxp, float *dx);
} NeopConvKernels;

extern const NeopConvKernels NeopConvKernelsCPU;

/* y = conv(x, W) + b; b may be NULL. */
PetscErrorCode NeopOpConv(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, const NeopConvSpec *spec, NeopTensor **y);
/* y = z + alpha conv(x, W) + b, fused (z of the output's shape, or NULL): the
   smoothing steps u + S(f - A u) of a V-cycle are two of these. Biases use
   the backend's bias_add/bias_grad. */
PetscErrorCode NeopOpConvAdd(NeopTape *t, NeopTensor *z, float alpha, NeopTensor *x, NeopTensor *W, NeopTensor *b,
                             const NeopConvSpec *spec, NeopTensor **y);
/* y = conv_transpose(x, W) + b, and y = z + alpha conv_transpose(x, W) + b. */
PetscErrorCode NeopOpConvTranspose(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, const NeopConvSpec *spec,
                                   NeopTensor **y);
PetscErrorCode NeopOpConvTransposeAdd(NeopTape *t, NeopTensor *z, float alpha, NeopTensor *x, NeopTensor *W, NeopTensor *b,
                                      const NeopConvSpec *spec, NeopTensor **y);
/* y = act(z + conv1x1(x, W) + b) in one op (src/nn/conv1x1_act.c): x (N, Cin, *S),
   z (N, Cout, *S), W (Cout, Cin, 1[, 1]), b (Cout) or NULL; the field kernels
   of neop/nn/field_kernels.h (MgNO's layer output). */
PetscErrorCode NeopOpConv1x1AddAct(NeopTape *t, NeopTensor *z, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopUnaryKind act,
                                   NeopTensor **y);
/* y = x padded by pad[d] on both sides of spatial dim d (torch's F.pad with
   mode constant-0 / circular / reflect), 1-D or 2-D fields. */
PetscErrorCode NeopOpPadSpatial(NeopTape *t, NeopTensor *x, const int *pad, NeopPadMode mode, NeopTensor **y);
