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
