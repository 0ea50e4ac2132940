/* NeopOptimizer: SGD (momentum, Nesterov), Adam and AdamW over the flat
   parameter buffers, with torch.optim's semantics; gradient-norm clipping as
   torch.nn.utils.clip_grad_norm_; one MPI_Allreduce per step. */
#include "optim/optim_impl.h"
#include <neop/backend.h>
#include <neop/log.h>
#include <math.h>
#include <limits.h>
#include <stdarg.h>

const char *const NeopOptimMethods[] = {"sgd", "adam", "adamw"};

static PetscLogEvent ev_allreduce, ev_optimizer;

static PetscErrorCode record(NeopOptimizer opt, const char *name, const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(3, 4);
static PetscErrorCode record(NeopOptimizer opt, const char *name, const char *fmt, ...)
{
  va_list ap;

  PetscFunctionBegin;
  PetscCheck(opt->noptions < NEOP_OPTIM_MAX_OPTIONS, PETSC_COMM_SELF, PETSC_ERR_PLIB, "too many optimizer options");
  PetscCall(PetscStrncpy(opt->option_name[opt->noptions], name, sizeof(opt->option_name[0])));
  va_start(ap, fmt);
  vsnprintf(opt->option_value[opt->noptions], sizeof(opt->option_value[0]), fmt, ap);
  va_end(ap);
  opt->noptions++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* SGD keeps one buffer when momentum is (or may become, under onecycle) non-zero; Adam two. */
static PetscErrorCode alloc_moments(NeopOptimizer opt)
{
  const NeopBackend *be    = NeopBackendGet();
  size_t             bytes = (size_t)opt->params->total * sizeof(float);
  PetscBool          need_m, need_v;

  PetscFunctionBegin;
  need_v = opt->method != NEOP_OPTIM_SGD;
  need_m = need_v || opt->momentum > 0 || (opt->schedule == NEOP_SCHED_ONECYCLE && opt->cycle_momentum);
  if (opt->m) PetscCall(be->free(opt->m));
  if (opt->v) PetscCall(be->free(opt->v));
  opt->m = opt->v = NULL;
  if (need_m) {
    PetscCall(be->alloc(bytes, (void **)&opt->m));
    PetscCall(be->zero(opt->m, bytes));
  }
  if (need_v) {
    PetscCall(be->alloc(bytes, (void **)&opt->v));
    PetscCall(be->zero(opt->v, bytes));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerCreate(MPI_Comm comm, NeopParams *params, NeopOptimizer *opt)
{
  NeopOptimizer o;

  PetscFunctionBegin;
  PetscCheck(params->finalized, comm, PETSC_ERR_ARG_WRONGSTATE, "NeopOptimizerCreate: parameters not finalized (set the model up first)");
  if (!ev_allreduce) PetscCall(NeopLogEvent("NeopAllreduce", &ev_allreduce));
  if (!ev_optimizer) PetscCall(NeopLogEvent("NeopOptimizer", &ev_optimizer));
  PetscCall(PetscNew(&o));
  o->comm             = comm;
  o->params           = params;
  o->method           = NEOP_OPTIM_ADAM;
  o->lr               = 1e-3;
  o->beta1            = 0.9;
  o->beta2            = 0.999;
  o->eps              = 1e-8;
  o->schedule         = NEOP_SCHED_CONSTANT;
  o->step_size        = 100;
  o->gamma            = 0.5;
  o->pct_start        = 0.3;
  o->div_factor       = 25;
  o->final_div_factor = 1e4;
  o->cycle_momentum   = PETSC_TRUE;
  o->base_momentum    = 0.85;
  o->max_momentum     = 0.95;
  PetscCall(alloc_moments(o));
  *opt = o;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerSetFromOptions(NeopOptimizer opt)
{
  PetscInt  method = opt->method, sched = opt->schedule, step_size = opt->step_size;
  PetscReal lr = opt->lr, wd, mom = opt->momentum, b1 = opt->beta1, b2 = opt->beta2, eps = opt->eps;
  PetscReal clip = opt->clip_norm, gamma = opt->gamma, lr_min = opt->lr_min, pct = opt->pct_start;
  PetscReal div = opt->div_factor, fdiv = opt->final_div_factor, bm = opt->base_momentum, mm = opt->max_momentum;
  PetscBool nesterov = opt->nesterov, cyc = opt->cycle_momentum;

  PetscFunctionBegin;
  PetscOptionsBegin(opt->comm, NULL, "Optimizer", NULL);
  PetscCall(PetscOptionsEList("-optim", "optimizer", NULL, NeopOptimMethods, 3, NeopOptimMethods[method], &method, NULL));
  /* torch's defaults: AdamW decays by 1e-2, the others not at all */
  wd = method == NEOP_OPTIM_ADAMW ? 1e-2 : 0;
  PetscCall(PetscOptionsReal("-lr", "learning rate (onecycle: max_lr)", NULL, lr, &lr, NULL));
  PetscCall(PetscOptionsReal("-weight_decay", "weight decay (adam, sgd: added to the gradient; adamw: decoupled)", NULL, wd, &wd, NULL));
  PetscCall(PetscOptionsReal("-momentum", "sgd momentum", NULL, mom, &mom, NULL));
  PetscCall(PetscOptionsBool("-nesterov", "sgd: Nesterov momentum", NULL, nesterov, &nesterov, NULL));
  PetscCall(PetscOptionsReal("-beta1", "adam: first-moment decay", NULL, b1, &b1, NULL));
  PetscCall(PetscOptionsReal("-beta2", "adam: second-moment decay", NULL, b2, &b2, NULL));
  PetscCall(PetscOptionsReal("-eps", "adam: denominator term", NULL, eps, &eps, NULL));
  PetscCall(PetscOptionsReal("-clip_norm", "clip the global gradient norm to this (0: off)", NULL, clip, &clip, NULL));
  PetscCall(PetscOptionsEList("-lr_schedule", "learning-rate schedule", NULL, NeopScheduleKinds, 4, NeopScheduleKinds[sched], &sched, NULL));
  PetscCall(PetscOptionsInt("-lr_step_size", "step: epochs between decays", NULL, step_size, &step_size, NULL));
  PetscCall(PetscOptionsReal("-lr_gamma", "step: decay factor", NULL, gamma, &gamma, NULL));
  PetscCall(PetscOptionsReal("-lr_min", "cosine: final learning rate (eta_min)", NULL, lr_min, &lr_min, NULL));
  PetscCall(PetscOptionsReal("-onecycle_pct_start", "onecycle: fraction of steps increasing the lr", NULL, pct, &pct, NULL));
  PetscCall(PetscOptionsReal("-onecycle_div_factor", "onecycle: initial lr = lr / this", NULL, div, &div, NULL));
  PetscCall(PetscOptionsReal("-onecycle_final_div_factor", "onecycle: final lr = initial lr / this", NULL, fdiv, &fdiv, NULL));
  PetscCall(PetscOptionsBool("-onecycle_cycle_momentum", "onecycle: cycle sgd momentum / adam beta1 inversely to the lr", NULL, cyc, &cyc, NULL));
  PetscCall(PetscOptionsReal("-onecycle_base_momentum", "onecycle: lowest momentum", NULL, bm, &bm, NULL));
  PetscCall(PetscOptionsReal("-onecycle_max_momentum", "onecycle: highest momentum", NULL, mm, &mm, NULL));
  PetscOptionsEnd();

  PetscCheck(lr > 0, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr %g: must be positive", (double)lr);
  PetscCheck(wd >= 0, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-weight_decay %g: must be >= 0", (double)wd);
  PetscCheck(mom >= 0 && mom < 1, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-momentum %g: must be in [0, 1)", (double)mom);
  PetscCheck(!nesterov || mom > 0 || (sched == NEOP_SCHED_ONECYCLE && cyc), opt->comm, PETSC_ERR_ARG_INCOMP,
             "-nesterov needs -momentum > 0");
  PetscCheck(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-beta1 %g -beta2 %g: must be in [0, 1)",
             (double)b1, (double)b2);
  PetscCheck(eps > 0, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-eps %g: must be positive", (double)eps);
  PetscCheck(clip >= 0, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-clip_norm %g: must be >= 0", (double)clip);
  PetscCheck(step_size >= 1, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr_step_size %d: must be >= 1", (int)step_size);
  PetscCheck(gamma > 0, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr_gamma %g: must be positive", (double)gamma);
  PetscCheck(lr_min >= 0 && lr_min <= lr, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-lr_min %g: must be in [0, -lr %g]", (double)lr_min,
             (double)lr);
  PetscCheck(pct > 0 && pct < 1, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-onecycle_pct_start %g: must be in (0, 1)", (double)pct);
  PetscCheck(div > 0 && fdiv > 0, opt->comm, PETSC_ERR_ARG_OUTOFRANGE, "-onecycle_div_factor %g / -onecycle_final_div_factor %g: must be positive",
             (double)div, (double)fdiv);
  PetscCheck(bm >= 0 && bm <= mm && mm < 1, opt->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "-onecycle_base_momentum %g -onecycle_max_momentum %g: need 0 <= base <= max < 1", (double)bm, (double)mm);

  opt->method           = (NeopOptimMethod)method;
  opt->lr               = lr;
  opt->weight_decay     = wd;
  opt->momentum         = mom;
  opt->nesterov         = nesterov;
  opt->beta1            = b1;
  opt->beta2            = b2;
  opt->eps              = eps;
  opt->clip_norm        = clip;
  opt->schedule         = (NeopSchedKind)sched;
  opt->step_size        = (int)step_size;
  opt->gamma            = gamma;
  opt->lr_min           = lr_min;
  opt->pct_start        = pct;
  opt->div_factor       = div;
  opt->final_div_factor = fdiv;
  opt->cycle_momentum   = cyc;
  opt->base_momentum    = bm;
  opt->max_momentum     = mm;

  /* the values in use, for checkpoints and View */
  opt->noptions = 0;
  PetscCall(record(opt, "-optim", "%s", NeopOptimMethods[method]));
  PetscCall(record(opt, "-lr", "%.15g", (double)lr));
  PetscCall(record(opt, "-weight_decay", "%.15g", (double)wd));
  if (method == NEOP_OPTIM_SGD) {
    PetscCall(record(opt, "-momentum", "%.15g", (double)mom));
    PetscCall(record(opt, "-nesterov", "%s", nesterov ? "true" : "false"));
  } else {
    PetscCall(record(opt, "-beta1", "%.15g", (double)b1));
    PetscCall(record(opt, "-beta2", "%.15g", (double)b2));
    PetscCall(record(opt, "-eps", "%.15g", (double)eps));
  }
  PetscCall(record(opt, "-clip_norm", "%.15g", (double)clip));
  PetscCall(record(opt, "-lr_schedule", "%s", NeopScheduleKinds[sched]));
  if (sched == NEOP_SCHED_STEP) {
    PetscCall(record(opt, "-lr_step_size", "%d", (int)step_size));
    PetscCall(record(opt, "-lr_gamma", "%.15g", (double)gamma));
  } else if (sched == NEOP_SCHED_COSINE) {
    PetscCall(record(opt, "-lr_min", "%.15g", (double)lr_min));
  } else if (sched == NEOP_SCHED_ONECYCLE) {
    PetscCall(record(opt, "-onecycle_pct_start", "%.15g", (double)pct));
    PetscCall(record(opt, "-onecycle_div_factor", "%.15g", (double)div));
    PetscCall(record(opt, "-onecycle_final_div_factor", "%.15g", (double)fdiv));
    PetscCall(record(opt, "-onecycle_cycle_momentum", "%s", cyc ? "true" : "false"));
    PetscCall(record(opt, "-onecycle_base_momentum", "%.15g", (double)bm));
    PetscCall(record(opt, "-onecycle_max_momentum", "%.15g", (double)mm));
  }
  PetscCall(alloc_moments(opt));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerSetHorizon(NeopOptimizer opt, int epochs, int steps_per_epoch)
{
  PetscFunctionBegin;
  PetscCheck(epochs >= 1 && steps_per_epoch >= 1, opt->comm, PETSC_ERR_ARG_OUTOFRANGE,
             "optimizer horizon of %d epochs x %d steps: both must be positive", epochs, steps_per_epoch);
  opt->epochs          = epochs;
  opt->steps_per_epoch = steps_per_epoch;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerStep(NeopOptimizer opt)
{
  const NeopBackend      *be = NeopBackendGet();
  const NeopOptimKernels *k  = be->optim;
  NeopParams             *p  = opt->params;
  double                  lr, mom;

  PetscFunctionBegin;
  PetscCheck(p->total <= INT_MAX, opt->comm, PETSC_ERR_SUP, "%lld parameters: more than one MPI_Allreduce can sum",
             (long long)p->total);
  PetscCall(PetscLogEventBegin(ev_allreduce, 0, 0, 0, 0));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, p->grad, (PetscMPIInt)p->total, MPI_FLOAT, MPI_SUM, opt->comm));
  PetscCall(PetscLogEventEnd(ev_allreduce, 0, 0, 0, 0));

  PetscCall(PetscLogEventBegin(ev_optimizer, 0, 0, 0, 0));
  opt->grad_norm = sqrt(k->sumsq(p->total, p->grad));
  if (opt->clip_norm > 0) {
    /* clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1 */
    double coef = opt->clip_norm / (opt->grad_norm + 1e-6);
    if (coef < 1) k->scale(p->total, (float)coef, p->grad);
  }
  PetscCall(NeopScheduleEvaluate(opt, opt->step, opt->epoch, &lr, &mom));
  if (opt->method == NEOP_OPTIM_SGD) {
    k->sgd(p->total, (float)lr, (float)mom, (float)opt->weight_decay, opt->nesterov, p->grad, p->data, opt->m);
  } else {
    double       t = (double)(opt->step + 1);
    NeopAdamCoef c;
    c.lr        = (float)lr;
    c.beta1     = (float)mom;
    c.beta2     = (float)opt->beta2;
    c.eps       = (float)opt->eps;
    c.wd        = opt->method == NEOP_OPTIM_ADAM ? (float)opt->weight_decay : 0.f;
    c.decay     = opt->method == NEOP_OPTIM_ADAMW ? (float)(1.0 - lr * opt->weight_decay) : 1.f;
    c.step_size = (float)(lr / (1.0 - pow(mom, t)));
    c.bc2_sqrt  = (float)sqrt(1.0 - pow(opt->beta2, t));
    k->adam(p->total, &c, p->grad, p->data, opt->m, opt->v);
  }
  opt->step++;
  PetscCall(PetscLogEventEnd(ev_optimizer, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerEpochEnd(NeopOptimizer opt)
{
  PetscFunctionBegin;
  opt->epoch++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerGetLR(NeopOptimizer opt, double *lr)
{
  double mom;

  PetscFunctionBegin;
  PetscCall(NeopScheduleEvaluate(opt, opt->step, opt->epoch, lr, &mom));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerGetGradNorm(NeopOptimizer opt, double *norm)
{
  PetscFunctionBegin;
  *norm = opt->grad_norm;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerView(NeopOptimizer opt, PetscViewer viewer)
{
  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(opt->comm, &viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "NeopOptimizer %s, schedule %s, step %lld, epoch %lld\n", NeopOptimMethods[opt->method],
                                   NeopScheduleKinds[opt->schedule], (long long)opt->step, (long long)opt->epoch));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  for (int i = 0; i < opt->noptions; i++) PetscCall(PetscViewerASCIIPrintf(viewer, "%s %s\n", opt->option_name[i], opt->option_value[i]));
  if (opt->epochs) PetscCall(PetscViewerASCIIPrintf(viewer, "horizon: %d epochs x %d steps\n", opt->epochs, opt->steps_per_epoch));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerDestroy(NeopOptimizer *opt)
{
  const NeopBackend *be = NeopBackendGet();

  PetscFunctionBegin;
  if (!*opt) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*opt)->m) PetscCall(be->free((*opt)->m));
  if ((*opt)->v) PetscCall(be->free((*opt)->v));
  PetscCall(PetscFree(*opt));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerGetState(NeopOptimizer opt, float **m, float **v, int64_t *step, int64_t *epoch)
{
  PetscFunctionBegin;
  if (m) *m = opt->m;
  if (v) *v = opt->v;
  if (step) *step = opt->step;
  if (epoch) *epoch = opt->epoch;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOptimizerSetCounters(NeopOptimizer opt, int64_t step, int64_t epoch)
{
  PetscFunctionBegin;
  PetscCheck(step >= 0 && epoch >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "optimizer counters step %lld epoch %lld: must be >= 0",
             (long long)step, (long long)epoch);
  opt->step  = step;
  opt->epoch = epoch;
  PetscFunctionReturn(PETSC_SUCCESS);
}
