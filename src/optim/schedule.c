/* Learning-rate schedules, as closed forms of the step and epoch counters
   (so a resumed run continues exactly): the formulas of
   torch.optim.lr_scheduler's StepLR, CosineAnnealingLR and OneCycleLR. */
#include "optim/optim_impl.h"
#include <math.h>

const char *const NeopScheduleKinds[] = {"constant", "step", "cosine", "onecycle"};

/* OneCycleLR's cosine annealing from start (pct = 0) to end (pct = 1) */
static double anneal_cos(double start, double end, double pct) { return end + (start - end) / 2.0 * (cos(M_PI * pct) + 1.0); }

PetscErrorCode NeopScheduleEvaluate(NeopOptimizer opt, int64_t step, int64_t epoch, double *lr, double *momentum)
{
  int64_t total = (int64_t)opt->epochs * opt->steps_per_epoch;

  PetscFunctionBegin;
  *lr       = opt->lr;
  *momentum = opt->method == NEOP_OPTIM_SGD ? opt->momentum : opt->beta1;
  switch (opt->schedule) {
  case NEOP_SCHED_CONSTANT:
    break;
  case NEOP_SCHED_STEP:
    *lr = opt->lr * pow(opt->gamma, (double)(epoch / opt->step_size));
    break;
  case NEOP_SCHED_COSINE:
    PetscCheck(total > 0, opt->comm, PETSC_ERR_ARG_WRONGSTATE,
               "-lr_schedule cosine needs the number of steps: call NeopOptimizerSetHorizon()");
    *lr = opt->lr_min + (opt->lr - opt->lr_min) * (1.0 + cos(M_PI * (double)step / (double)total)) / 2.0;
    break;
  case NEOP_SCHED_ONECYCLE: {
    double initial = opt->lr / opt->div_factor, final = initial / opt->final_div_factor;
    double end1 = opt->pct_start * (double)total - 1.0, end2 = (double)total - 1.0;
    /* torch refuses steps past the horizon; here the last value holds */
    double s = (double)PetscMin(step, total);

    PetscCheck(total > 0, opt->comm, PETSC_ERR_ARG_WRONGSTATE,
               "-lr_schedule onecycle needs the number of steps: call NeopOptimizerSetHorizon()");
    PetscCheck(end1 > 0 && end2 > end1, opt->comm, PETSC_ERR_ARG_OUTOFRANGE,
               "-lr_schedule onecycle: -onecycle_pct_start %g of %lld steps leaves an empty phase", opt->pct_start,
               (long long)total);
    if (s <= end1) {
      *lr = anneal_cos(initial, opt->lr, s / end1);
      if (opt->cycle_momentum) *momentum = anneal_cos(opt->max_momentum, opt->base_momentum, s / end1);
    } else {
      *lr = anneal_cos(opt->lr, final, (s - end1) / (end2 - end1));
      if (opt->cycle_momentum) *momentum = anneal_cos(opt->base_momentum, opt->max_momentum, (s - end1) / (end2 - end1));
    }
  } break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
