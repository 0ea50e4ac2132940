/* The optimizer object, private to src/optim and src/io (checkpoints). */
#pragma once
#include <neop/optim.h>

typedef enum { NEOP_OPTIM_SGD, NEOP_OPTIM_ADAM, NEOP_OPTIM_ADAMW } NeopOptimMethod;
typedef enum { NEOP_SCHED_CONSTANT, NEOP_SCHED_STEP, NEOP_SCHED_COSINE, NEOP_SCHED_ONECYCLE } NeopSchedKind;

extern const char *const NeopOptimMethods[];   /* "sgd", "adam", "adamw" */
extern const char *const NeopScheduleKinds[];  /* "constant", "step", "cosine", "onecycle" */

#define NEOP_OPTIM_MAX_OPTIONS 24

struct NeopOptimizer_s {
  MPI_Comm        comm;
  NeopParams     *params;
  NeopOptimMethod method;
  double          lr;                  /* base lr (max_lr for onecycle) */
  double          weight_decay;
  double          momentum;            /* sgd */
  PetscBool       nesterov;
  double          beta1, beta2, eps;   /* adam, adamw */
  double          clip_norm;           /* 0: no clipping */
  NeopSchedKind   schedule;
  int             step_size;           /* step: epochs between decays */
  double          gamma;               /* step: factor per decay */
  double          lr_min;              /* cosine: eta_min */
  double          pct_start, div_factor, final_div_factor; /* onecycle */
  PetscBool       cycle_momentum;      /* onecycle: cycle sgd's momentum / adam's beta1 */
  double          base_momentum, max_momentum;
  int             epochs, steps_per_epoch; /* horizon */
  int64_t         step, epoch;         /* optimizer steps and epochs done */
  double          grad_norm;           /* of the summed gradient at the last step, before clipping */
  float          *m, *v;               /* [params->total] moments (backend memory) or NULL */
  int             noptions;            /* every option value in use, for checkpoints */
  char            option_name[NEOP_OPTIM_MAX_OPTIONS][32];
  char            option_value[NEOP_OPTIM_MAX_OPTIONS][64];
};

/* Learning rate and momentum (sgd's momentum or adam's beta1) that the
   schedule gives at optimizer step 'step' of epoch 'epoch'. Not collective. */
PetscErrorCode NeopScheduleEvaluate(NeopOptimizer opt, int64_t step, int64_t epoch, double *lr, double *momentum);
