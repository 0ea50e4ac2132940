/* Relative H1 loss computed with FFTs, as in the MgNO training code (its
   HsLoss with k = 1): for each sample i,
     L_i = || w . F(pred_i - u_i) || / || w . F(u_i) ||
   with F the FFT over the spatial dims of every channel, the norm over all
   channels and modes, and the weight per mode
     w = sqrt(1 + kx'^2 + ky'^2),  k' = |k| if |k| < NEOP_H1_KMAX else 0,
   where the wave number of index i of an extent n is k = i for i < n/2
   (floor) and i - n otherwise (torch's cat(arange(0, n//2), arange(-n//2, 0))).
   So modes with |k| >= 20 keep their L2 part and lose their derivative part.
   1-D fields use sqrt(1 + kx'^2). The batch reduction is a sum over the local
   samples (NEOP_REDUCTION_SUM, what MgNO trains with) or that sum divided by
   the GLOBAL batch size nglobal (NEOP_REDUCTION_MEAN; data parallel: see
   neop/data.h).

   The FFTs run behind the backend's sub-table NeopH1Kernels (CPU: FFTW). */
#pragma once
#include <neop/ops.h>

#define NEOP_H1_KMAX 20

typedef struct NeopH1Kernels {
  /* Per sample i of n, over c planes of grid (1-D: grid[0]; 2-D: grid[0] x grid[1]):
     num[i] = sum |w F(p_i - u_i)|^2, den[i] = sum |w F(u_i)|^2, unnormalised FFT. */
  PetscErrorCode (*norms)(int dim, const int *grid, int n, int c, const float *pred, const float *target, double *num,
                          double *den);
  /* dpred_i += a[i] G(p_i - u_i);  dtarget_i += b[i] G(u_i) - a[i] G(p_i - u_i), where
     G(v) = gradient of num/2 = real inverse FFT of (w^2 F v). dpred or dtarget may be NULL. */
  PetscErrorCode (*grad)(int dim, const int *grid, int n, int c, const float *pred, const float *target, const double *a,
                         const double *b, float *dpred, float *dtarget);
} NeopH1Kernels;

extern const NeopH1Kernels NeopH1KernelsCPU;

/* loss (scalar) = sum_i L_i (SUM), or divided by nglobal (MEAN), over the n
   local samples of pred and target (n, C, *S), 1-D or 2-D. Gradients flow to
   both. Not collective. */
PetscErrorCode NeopOpLossH1(NeopTape *t, NeopTensor *pred, NeopTensor *target, NeopReduction red, int nglobal,
                            NeopTensor **loss);
/* err[i] = L_i for every sample (evaluation metric). Not collective. */
PetscErrorCode NeopLossH1PerSample(const NeopTensor *pred, const NeopTensor *target, double *err);
