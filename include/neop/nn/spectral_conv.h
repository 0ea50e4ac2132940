/* Spectral convolution (the Fourier layer of FNO) in 1, 2 and 3 spatial dims.

   x (N, Cin, *S) real -> X = rfftn(x) over the spatial dims -> keep the low
   modes -> Y[b,o,k] = sum_i X[b,i,k] W[i,o,k] (complex) -> y = irfftn(Y, s=S)
   (normalised like torch.fft.irfftn: 1/prod(S) on the inverse) -> (N, Cout, *S).

   Kept modes follow the original FNO scripts: with modes m_1..m_d, every dim
   but the last keeps the m_i lowest non-negative AND the m_i most negative
   frequencies (indices [0, m_i) and [S_i - m_i, S_i)), the last (rfft) dim
   keeps indices [0, m_d). The kept set splits into 2^(d-1) corners; corner c
   has bit i set when dim i takes its negative frequencies, and owns one
   weight tensor (Cin, Cout, m_1, ..., m_d, 2) (re, im), PyTorch's layout of
   weights1 (c = 0), weights2 (c = 1: negative first dim), weights3 (c = 2:
   negative second dim), weights4 (c = 3: both negative). */
#pragma once
#include <neop/ops.h>
#include <neop/params.h>

#define NEOP_SPECTRAL_MAX_CORNERS 4

/* How the truncated transforms are computed. Both give the same function up
   to rounding; the choice is speed:
     FFT:  FFTW (batched r2c/c2r along the last dim, complex FFTs over the
           leading dims on the kept columns only), O(S log S) per line;
     DFT:  the kept rows of the DFT matrices applied with sgemm/cgemm,
           O(S m) per line, faster while the modes are few (FNO's usual case);
     AUTO: DFT when its flop count is at most NEOP_SPECTRAL_DFT_FACTOR times
           the FFT's (measured with bench/bench_spectral, docs/fno.md). */
typedef enum { NEOP_SPECTRAL_AUTO, NEOP_SPECTRAL_FFT, NEOP_SPECTRAL_DFT } NeopSpectralMethod;
#define NEOP_SPECTRAL_DFT_FACTOR 8.0
/* "auto", "fft", "dft" (a PETSc enum list: PetscOptionsEnum takes it) */
extern const char *const NeopSpectralMethods[];

typedef struct {
  NeopSpectralMethod method; /* FFT or DFT (AUTO is resolved by the op) */
  int dim;      /* spatial dims d, 1..3 */
  int N;        /* batch */
  int cin, cout;
  int S[3];     /* grid points per spatial dim */
  int modes[3]; /* kept modes per dim (per sign in all dims but the last) */
  int diag;     /* 1: depthwise (spectral gating): cin == cout, w[c] (cin, *modes, 2), Y[b,i,k] = X[b,i,k] W[i,k] */
} NeopSpectralShape;

/* The backend's kernels of the layer (a sub-table of NeopBackend). Buffers are
   backend memory:
     x  (N, cin, *S), y (N, cout, *S), w[c] (cin, cout, *modes, 2) for each corner c,
     (diag: w[c] (cin, *modes, 2)),
   xk (K, N, cin, 2): the kept input modes, written by forward, read by backward,
     with K = NeopSpectralKeptModes(s).
   backward ADDS into dx and dw[c]; either may be NULL (dw: all corners NULL).
   The kernels keep transform plans and scratch per shape; cleanup releases
   them (called by NeopRuntimeTearDown before FFTW's own clean-up). */
typedef struct NeopSpectralKernels {
  PetscErrorCode (*forward)(const NeopSpectralShape *s, const float *x, const float *const *w, float *xk, float *y);
  PetscErrorCode (*backward)(const NeopSpectralShape *s, const float *dy, const float *const *w, const float *xk,
                             float *dx, float *const *dw);
  void (*cleanup)(void);
} NeopSpectralKernels;

/* Number of corners 2^(d-1) and of kept modes 2^(d-1) prod(modes). Not collective. */
int     NeopSpectralCorners(int dim);
int64_t NeopSpectralKeptModes(const NeopSpectralShape *s);

/* y = SpectralConv(x; w[0..nw)) as above, nw = NeopSpectralCorners(dim), the
   modes taken from the weight shapes, the transforms computed by 'method'.
   Refuses modes that overlap (2 m_i > S_i in a non-last dim, m_d > S_d/2 + 1).
   Not collective. */
PetscErrorCode NeopOpSpectralConv(NeopTape *t, NeopSpectralMethod method, NeopTensor *x, int nw, NeopTensor *const *w,
                                  NeopTensor **y);
/* Checks x (N, Cin, *S) against the corner weights w[0..nw) as NeopOpSpectralConv
   does and fills the kernels' shape s (AUTO resolved). Not collective. */
PetscErrorCode NeopSpectralShapeSet(NeopSpectralMethod method, const NeopTensor *x, int nw, NeopTensor *const *w,
                                    NeopSpectralShape *s);
/* The method AUTO chooses for a shape (FFT or DFT). Not collective. */
NeopSpectralMethod NeopSpectralChooseMethod(const NeopSpectralShape *s);

/* Declares the corner weights of one layer, named "<prefix>.weights1", ...,
   "<prefix>.weights<2^(d-1)>" as in the FNO scripts, initialised like them:
   1/(cin cout) * U(0, 1) for the real and the imaginary parts. w gets
   NeopSpectralCorners(dim) tensors. Not collective. */
PetscErrorCode NeopSpectralConvAddParams(NeopParams *p, const char *prefix, int dim, int cin, int cout, const int *modes,
                                         NeopTensor **w);

/* Spectral gating (SpectFormer / GFNet's global filter restricted to the kept
   modes): the transforms above with a depthwise mixing, each channel times its
   own complex weight per kept mode:
     y = irfftn(W * rfftn(x) on the kept modes, zero elsewhere), x, y (N, C, *S),
   w[c] (C, m_1, ..., m_d, 2) for each of the nw = NeopSpectralCorners(d) corners.
   Not collective. */
PetscErrorCode NeopOpSpectralGate(NeopTape *t, NeopSpectralMethod method, NeopTensor *x, int nw, NeopTensor *const *w,
                                  NeopTensor **y);
/* Declares the corner weights "<prefix>.weights1", ... (C, *modes, 2), each
   value N(0, std^2) (GFNet / SpectFormer: std 0.02). Not collective. */
PetscErrorCode NeopSpectralGateAddParams(NeopParams *p, const char *prefix, int dim, int C, const int *modes, double std,
                                         NeopTensor **w);
