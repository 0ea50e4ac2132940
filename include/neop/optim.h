/* Optimizers, learning-rate schedules and gradient clipping over the flat
   parameter buffers (neop/params.h). Moments live in flat buffers parallel to
   the parameters.

   Options (prefix-free): -optim sgd|adam|adamw  -lr  -weight_decay
   -momentum (sgd)  -beta1 -beta2 -eps (adam*)  -clip_norm (0: off)
   -lr_schedule constant|step|cosine|onecycle
   -lr_step_size (epochs) -lr_gamma (step)  -lr_min (cosine)
   -onecycle_pct_start -onecycle_div_factor -onecycle_final_div_factor (as torch's OneCycleLR,
   where -lr is max_lr). step is applied per epoch, cosine and onecycle per optimizer step. */
#pragma once
#include <neop/params.h>
#include <petscviewer.h>

typedef struct NeopOptimizer_s *NeopOptimizer;

/* Collective on comm (the data-parallel communicator). */
PetscErrorCode NeopOptimizerCreate(MPI_Comm comm, NeopParams *params, NeopOptimizer *opt);
PetscErrorCode NeopOptimizerSetFromOptions(NeopOptimizer opt);
/* The schedule's horizon: needed by cosine and onecycle. */
PetscErrorCode NeopOptimizerSetHorizon(NeopOptimizer opt, int epochs, int steps_per_epoch);
/* Sums the gradients over the ranks of comm (one MPI_Allreduce of the flat
   buffer), clips their global norm, updates the parameters, advances the
   step counter and the per-step schedules. */
PetscErrorCode NeopOptimizerStep(NeopOptimizer opt);
/* Advances the per-epoch schedules. */
PetscErrorCode NeopOptimizerEpochEnd(NeopOptimizer opt);
PetscErrorCode NeopOptimizerGetLR(NeopOptimizer opt, double *lr);
/* Norm of the summed gradient before clipping, at the last step. */
PetscErrorCode NeopOptimizerGetGradNorm(NeopOptimizer opt, double *norm);
PetscErrorCode NeopOptimizerView(NeopOptimizer opt, PetscViewer viewer);
PetscErrorCode NeopOptimizerDestroy(NeopOptimizer *opt);

/* State for checkpoints: the moment buffers ([params->total] each, NULL when
   the method has none) and the counters. Not collective. */
PetscErrorCode NeopOptimizerGetState(NeopOptimizer opt, float **m, float **v, int64_t *step, int64_t *epoch);
PetscErrorCode NeopOptimizerSetCounters(NeopOptimizer opt, int64_t step, int64_t epoch);

/* Optimizer kernels: a backend sub-table (NeopBackendGet()->optim), so that
   the update runs where the flat buffers live. All buffers are [n] floats of
   backend memory. */
typedef struct {
  float lr;        /* learning rate of this step */
  float beta1, beta2, eps;
  float wd;        /* Adam: added to the gradient, g + wd p */
  float decay;     /* AdamW: p *= decay = 1 - lr wd before the update; 1 for Adam */
  float step_size; /* lr / (1 - beta1^t) */
  float bc2_sqrt;  /* sqrt(1 - beta2^t) */
} NeopAdamCoef;

typedef struct NeopOptimKernels {
  /* sum of x^2, accumulated in double */
  double (*sumsq)(int64_t n, const float *x);
  /* x *= a */
  void (*scale)(int64_t n, float a, float *x);
  /* torch.optim.SGD with dampening 0: d = g + wd p; b = mu b + d (mu > 0);
     d = nesterov ? d + mu b : b; p -= lr d. b may be NULL when mu == 0. */
  void (*sgd)(int64_t n, float lr, float mu, float wd, PetscBool nesterov, const float *g, float *p, float *b);
  /* torch.optim.Adam / AdamW: m = beta1 m + (1 - beta1) d; v = beta2 v + (1 - beta2) d^2;
     p -= step_size m / (sqrt(v) / bc2_sqrt + eps), d = g + wd p */
  void (*adam)(int64_t n, const NeopAdamCoef *c, const float *g, float *p, float *m, float *v);
} NeopOptimKernels;
