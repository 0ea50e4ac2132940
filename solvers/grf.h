/* Gaussian random fields on [0,1]^d (d = 1, 2) with the cosine (Neumann)
   basis, as in the FNO data (GRF.m): the Karhunen-Loeve expansion

     g(x) = sum_{k != 0} sqrt(lambda_k) xi_k phi_k(x),
     sqrt(lambda_k) = tau^(alpha-1) (pi^2 |k|^2 + tau^2)^(-alpha/2),
     phi_k(x) = prod_i c(k_i) cos(pi k_i x_i),  c(0) = 1, c(k > 0) = sqrt(2),

   k in {0..n-1}^d, xi_k ~ N(0,1) independent, the mean mode k = 0 dropped:
   covariance tau^(2 alpha - 2) (-Laplacian + tau^2)^(-alpha) with zero
   Neumann conditions, truncated. phi_k is orthonormal in L2(0,1)^d, which is
   what GRF.m's "s * coef" with MATLAB's orthonormal idct2 amounts to, so the
   field's law does not depend on n. It is evaluated exactly at the n nodes
   x_j = j / (n - 1) (boundary included) with FFTW's DCT-I (REDFT00), in
   double. The xi_k are drawn in row-major order of k from the stream
   (seed, NEOP_RNG_DATA, index). */
#pragma once
#include <neop/petsc_compat.h>
#include <stdint.h>

typedef struct NeopGRF_s *NeopGRF;

/* Not collective: every rank may hold its own. n >= 2 nodes per dim. */
PetscErrorCode NeopGRFCreate(int dim, int n, double alpha, double tau, NeopGRF *grf);
/* field (n^dim) row-major, the last dim fastest. Not collective. */
PetscErrorCode NeopGRFSample(NeopGRF grf, uint64_t seed, uint64_t index, double *field);
/* sqrt(lambda_k) for the multi-index k[0..dim-1]. */
double         NeopGRFSqrtEigenvalue(NeopGRF grf, const int *k);
PetscErrorCode NeopGRFDestroy(NeopGRF *grf);
