/* DGNO (Zang & Koutsourelakis 2025): an encoder a -> beta in (-1,1)^latent and
   two MultiONet decoders beta -> u(x), beta -> a(x), trained without labelled u
   through weak-form residuals (neop/nn/weak_form.h). These functions give the
   pieces to code outside the model family (neop invert). Model type "dgno";
   not collective. */
#pragma once
#include <neop/model.h>

/* Latent size and spatial dims of a "dgno" model (refuses other types). */
PetscErrorCode NeopDgnoGetLatent(NeopModel m, int *latent);
/* beta (N, latent) = tanh(encoder(a)), a (N, Cin, *S). */
PetscErrorCode NeopDgnoEncode(NeopModel m, NeopTape *t, NeopTensor *a, NeopTensor **beta);
/* Decoders at points x (P, d): u (N, P) with the boundary factor, du (N, d, P) when du != NULL,
   a (N, P) in physical units (Bernoulli: low + (high - low) sigmoid) when a != NULL. */
PetscErrorCode NeopDgnoDecode(NeopModel m, NeopTape *t, NeopTensor *beta, NeopTensor *x, NeopTensor **u, NeopTensor **du,
                              NeopTensor **a);
/* Weak residuals r (N, ncentres) with the centres of 'step' (a as below). */
PetscErrorCode NeopDgnoResidual(NeopModel m, NeopTape *t, NeopTensor *beta, NeopTensor *agrid, uint64_t step, NeopTensor **r);
/* Weak-form PDE loss of the latents beta (N, latent) with centres of 'step'; the
   coefficient at the quadrature points from agrid (N, 1, *S) node values, or from
   the a-decoder when agrid is NULL. nglobal: the global batch. */
PetscErrorCode NeopDgnoPdeLoss(NeopModel m, NeopTape *t, NeopTensor *beta, NeopTensor *agrid, uint64_t step, int nglobal,
                               NeopTensor **loss);

/* Inverse problem: sparse noisy observations of u of one sample. */
typedef struct {
  int    M, dim;
  float *x_obs;     /* (M, dim) */
  float *u_obs;     /* (M) */
  double noise_std; /* of the observations (from the SNR), 0: unknown */
  int    S;         /* nodes per dim of the truth (0: none) */
  float *a_true;    /* (S^dim) or NULL */
  float *u_true;    /* (S^dim) or NULL */
} NeopObservations;

typedef struct {
  int       steps;       /* Adam steps on the latent */
  PetscBool mlp;         /* MAP over beta = tanh(MLP(1)), MLP 1-64-64-latent (SiLU), as the reference; else beta = tanh(z) */
  double    lr, weight_decay, w_data, w_pde;
  int      lr_step;      /* halve the rate every lr_step steps (0: never) */
  int      samples, burn; /* MALA samples kept after burn-in (0: no sampling) */
  double   mala_step;    /* Langevin step size h */
  double   pde_sigma;    /* std of the virtual residual observations in the posterior */
  uint64_t seed;
  int      S;            /* output grid nodes per dim */
} NeopInvertOptions;

typedef struct {
  float *beta;                   /* (latent) MAP latent */
  float *a_map, *u_map;          /* (S^dim) */
  float *a_mean, *a_std, *u_mean, *u_std; /* (S^dim), NULL without sampling */
  double err_a, err_u;           /* relative L2 errors of the MAP against the truth (-1: no truth) */
  double err_a_mean, err_u_mean; /* of the posterior means */
  double acceptance;             /* MALA acceptance rate */
  double loss;                   /* final optimisation loss */
} NeopInvertResult;

/* Freezes the decoders, fits beta = tanh(MLP(1)) (opt->mlp) or tanh(z) by Adam (L2 weight decay)
   to w_data ||u(x_obs) - u_obs|| / ||u_obs|| + w_pde * PDE loss, then (samples > 0) samples the posterior of z with MALA:
   U(z) = |u(x_obs) - u_obs|^2 / (2 sigma^2) + |r(z)|^2 / (2 pde_sigma^2) + |z|^2 / 2 with the
   residual centres fixed. Fills res (arrays PetscMalloc'ed: NeopInvertResultDestroy). Not
   collective: every rank that calls it computes the same result. */
PetscErrorCode NeopDgnoInvert(NeopModel m, const NeopObservations *obs, const NeopInvertOptions *opt, NeopInvertResult *res);
PetscErrorCode NeopInvertResultDestroy(NeopInvertResult *res);
