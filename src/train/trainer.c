/* NeopTrainer lifecycle and the epoch loop. The step itself is in
   src/train/epoch.c, checkpoints in src/train/trainer_io.c. */
#include "train/trainer_impl.h"
#include <neop/log.h>
#include <neop/rng.h>
#include <sys/resource.h>

static const char *const norm_names[] = {"none", "pointwise", "scalar", "NeopNormKind", "NEOP_NORM_", NULL};

PetscErrorCode NeopTrainerCreate(MPI_Comm comm, NeopTrainer *tr)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(tr));
  (*tr)->comm             = comm;
  (*tr)->ntrain           = -1;
  (*tr)->ntest            = -1;
  (*tr)->sub              = 1;
  (*tr)->epochs           = 500;
  (*tr)->batch_size       = 20;
  (*tr)->test_batch_size  = 0;
  (*tr)->checkpoint_every = 1;
  (*tr)->loss             = NEOP_LOSS_REL_L2;
  (*tr)->loss_mean        = PETSC_FALSE;
  (*tr)->norm_a           = NEOP_NORM_POINTWISE;
  (*tr)->norm_u           = NEOP_NORM_POINTWISE;
  (*tr)->best             = PETSC_INFINITY;
  (*tr)->best_epoch       = -1;
  PetscCall(PetscStrncpy((*tr)->checkpoint, "neop_checkpoint.h5", sizeof((*tr)->checkpoint)));
  PetscCall(NeopTapeCreate(&(*tr)->tape));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerSetFromOptions(NeopTrainer tr)
{
  PetscBool set;
  char      loss[32] = "rel_l2";
  PetscEnum na = (PetscEnum)tr->norm_a, nu = (PetscEnum)tr->norm_u;

  PetscFunctionBegin;
  PetscOptionsBegin(tr->comm, NULL, "Training (neop train)", NULL);
  PetscCall(PetscOptionsString("-train", "training data file (neop, PDEBench or MATLAB)", NULL, tr->train_path, tr->train_path,
                               sizeof(tr->train_path), NULL));
  PetscCall(PetscOptionsString("-test", "test data file (default: the training file, after the training samples)", NULL,
                               tr->test_path, tr->test_path, sizeof(tr->test_path), NULL));
  PetscCall(PetscOptionsString("-a_key", "input dataset name (default: the format's)", NULL, tr->a_key, tr->a_key, sizeof(tr->a_key), NULL));
  PetscCall(PetscOptionsString("-u_key", "target dataset name (default: the format's)", NULL, tr->u_key, tr->u_key, sizeof(tr->u_key), NULL));
  PetscCall(PetscOptionsInt("-ntrain", "training samples (-1: all)", NULL, tr->ntrain, &tr->ntrain, NULL));
  PetscCall(PetscOptionsInt("-ntest", "test samples (-1: all that remain)", NULL, tr->ntest, &tr->ntest, NULL));
  PetscCall(PetscOptionsInt("-train_offset", "first training sample in the file", NULL, tr->train_offset, &tr->train_offset, NULL));
  PetscCall(PetscOptionsInt("-test_offset", "first test sample (default: 0 in a separate -test file, else after the training samples)", NULL,
                            tr->test_offset, &tr->test_offset, &set));
  if (!set) tr->test_offset = -1;
  PetscCall(PetscOptionsInt("-sub", "keep every sub-th grid point in each dimension", NULL, tr->sub, &tr->sub, NULL));
  PetscCall(PetscOptionsInt("-epochs", "epochs", NULL, tr->epochs, &tr->epochs, NULL));
  PetscCall(PetscOptionsInt("-batch_size", "global batch size (shared by all ranks)", NULL, tr->batch_size, &tr->batch_size, NULL));
  PetscCall(PetscOptionsInt("-test_batch_size", "samples per forward pass in testing (0: -batch_size)", NULL, tr->test_batch_size,
                            &tr->test_batch_size, NULL));
  PetscCall(PetscOptionsInt("-seed", "seed of the epoch shuffles", NULL, tr->seed, &tr->seed, NULL));
  PetscCall(PetscOptionsString("-loss", "training loss: rel_l2, h1, mse", NULL, loss, loss, sizeof(loss), NULL));
  PetscCall(PetscOptionsBool("-loss_mean", "average the loss over the global batch (default: sum, as the FNO scripts)", NULL, tr->loss_mean,
                             &tr->loss_mean, NULL));
  PetscCall(PetscOptionsEnum("-normalize_a", "input normaliser (point sets with per-sample nodes: scalar)", "NeopNormKind", norm_names, na,
                             &na, &tr->norm_a_set));
  PetscCall(PetscOptionsEnum("-normalize_u", "target normaliser (point sets with per-sample nodes: scalar)", "NeopNormKind", norm_names, nu,
                             &nu, &tr->norm_u_set));
  PetscCall(PetscOptionsString("-checkpoint", "best model by test error; the latest state goes to <name>.last.h5", NULL, tr->checkpoint,
                               tr->checkpoint, sizeof(tr->checkpoint), NULL));
  PetscCall(PetscOptionsString("-initial_checkpoint", "also write the initialised model, before the first step, here (to start another code from the same weights)",
                               NULL, tr->initial, tr->initial, sizeof(tr->initial), NULL));
  PetscCall(PetscOptionsInt("-checkpoint_every", "epochs between writes of the latest state", NULL, tr->checkpoint_every,
                            &tr->checkpoint_every, NULL));
  PetscCall(PetscOptionsInt("-stop_after", "stop after this many epochs of this run, as if interrupted (0: never)", NULL, tr->stop_after,
                            &tr->stop_after, NULL));
  PetscCall(PetscOptionsBool("-resume", "continue from <checkpoint>.last.h5", NULL, tr->resume, &tr->resume, NULL));
  PetscCall(PetscOptionsBool("-quiet", "no per-epoch lines", NULL, tr->quiet, &tr->quiet, NULL));
  PetscOptionsEnd();
  tr->norm_a = (NeopNormKind)na;
  tr->norm_u = (NeopNormKind)nu;
  PetscCall(NeopLossKindFromName(loss, &tr->loss));
  PetscCall(PetscOptionsHasHelp(NULL, &tr->help));
  if (tr->help) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(tr->train_path[0], tr->comm, PETSC_ERR_USER_INPUT, "neop train: no training data: give -train FILE");
  PetscCheck(tr->sub >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-sub %d: must be >= 1", (int)tr->sub);
  PetscCheck(tr->epochs >= 0, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-epochs %d: must be >= 0", (int)tr->epochs);
  PetscCheck(tr->batch_size >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-batch_size %d: must be >= 1", (int)tr->batch_size);
  PetscCheck(tr->checkpoint_every >= 1, tr->comm, PETSC_ERR_ARG_OUTOFRANGE, "-checkpoint_every %d: must be >= 1", (int)tr->checkpoint_every);
  if (!tr->test_batch_size) tr->test_batch_size = tr->batch_size;
  {
    /* refuse an unknown -model before reading any data */
    char type[32] = "fno", known[512];
    PetscCall(PetscOptionsGetString(NULL, NULL, "-model", type, sizeof(type), NULL));
    PetscCall(NeopModelTypeList(known, sizeof(known)));
    PetscCheck(NeopModelTypeRegistered(type), tr->comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "unknown model type '%s' (known: %s)", type, known);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads the data, fits the normalisers on the training set and encodes the inputs. */
static PetscErrorCode load_data(NeopTrainer tr)
{
  const char *ak = tr->a_key[0] ? tr->a_key : NULL, *uk = tr->u_key[0] ? tr->u_key : NULL;
  int         test_offset = (int)tr->test_offset;
  const char *test_path   = tr->test_path[0] ? tr->test_path : tr->train_path;
  NeopDataset *tn;

  PetscFunctionBegin;
  PetscCall(NeopDatasetLoad(tr->comm, tr->train_path, ak, uk, (int)tr->train_offset, (int)tr->ntrain, (int)tr->sub, &tr->train));
  tn = tr->train;
  PetscCheck(tn->cu > 0, tr->comm, PETSC_ERR_USER_INPUT, "training file %s has no targets (u)", tr->train_path);
  PetscCheck(tn->nglobal > 0, tr->comm, PETSC_ERR_USER_INPUT, "training file %s: no samples selected", tr->train_path);
  if (test_offset < 0) test_offset = tr->test_path[0] ? 0 : (int)tr->train_offset + tn->nglobal;
  PetscCall(NeopDatasetLoad(tr->comm, test_path, ak, uk, test_offset, (int)tr->ntest, (int)tr->sub, &tr->test));
  PetscCheck(tr->test->cu == tn->cu && tr->test->ca == tn->ca && tr->test->dim == tn->dim, tr->comm, PETSC_ERR_USER_INPUT,
             "test data %s (%d-D, %d -> %d channels) does not match training data %s (%d-D, %d -> %d channels)", test_path,
             tr->test->dim, tr->test->ca, tr->test->cu, tr->train_path, tn->dim, tn->ca, tn->cu);
  for (int d = 0; d < tn->dim; d++)
    PetscCheck(tr->test->grid[d] == tn->grid[d], tr->comm, PETSC_ERR_USER_INPUT,
               "test grid differs from the training grid in dim %d (%d vs %d): train and test at one resolution; use neop eval for others",
               d, tr->test->grid[d], tn->grid[d]);
  PetscCheck(tr->test->pdim == tn->pdim, tr->comm, PETSC_ERR_USER_INPUT, "test data %s and training data %s: %s",
             test_path, tr->train_path, tn->pdim ? "a point set and a grid" : "a grid and a point set");
  if (tn->pdim) {
    /* point i of one sample is not point i of another unless the nodes are shared: per-channel statistics */
    PetscBool same = (PetscBool)(tn->pos_shared && tr->test->pos_shared);
    PetscCheck(same || (!(tr->norm_a_set && tr->norm_a == NEOP_NORM_POINTWISE) && !(tr->norm_u_set && tr->norm_u == NEOP_NORM_POINTWISE)),
               tr->comm, PETSC_ERR_USER_INPUT,
               "%s: a point set whose nodes differ between samples: point-wise normalisation has no meaning there, use -normalize_a/-normalize_u scalar",
               tr->train_path);
    if (!same && !tr->norm_a_set) tr->norm_a = NEOP_NORM_SCALAR;
    if (!same && !tr->norm_u_set) tr->norm_u = NEOP_NORM_SCALAR;
    PetscCheck(tr->loss != NEOP_LOSS_H1, tr->comm, PETSC_ERR_USER_INPUT, "-loss h1 differentiates on a grid; %s is a point set: use rel_l2 or mse",
               tr->train_path);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode fit_normalizers(NeopTrainer tr)
{
  NeopDataset *tn     = tr->train;
  int64_t      points = 1;

  PetscFunctionBegin;
  for (int d = 0; d < tn->dim; d++) points *= tn->grid[d];
  PetscCall(NeopNormalizerFit(tr->comm, tr->norm_a, tn->ca, points, tn->nlocal, tn->a, &tr->na));
  PetscCall(NeopNormalizerFit(tr->comm, tr->norm_u, tn->cu, points, tn->nlocal, tn->u, &tr->nu));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerSetUp(NeopTrainer tr)
{
  char last[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  PetscCall(load_data(tr));
  /* the model is built once the data says its dimension, channels and grid */
  PetscCall(NeopModelCreate(tr->comm, &tr->model));
  if (tr->train->pdim) { /* point sets: the model's dimension is that of the coordinates */
    PetscCall(NeopModelSetShape(tr->model, tr->train->pdim, tr->train->ca, tr->train->cu));
    PetscCall(NeopModelSetPointSet(tr->model, PETSC_TRUE));
  } else {
    PetscCall(NeopModelSetShape(tr->model, tr->train->dim, tr->train->ca, tr->train->cu));
    PetscCall(NeopModelSetGrid(tr->model, tr->train->grid));
  }
  PetscCall(NeopModelSetFromOptions(tr->model));
  PetscCall(NeopModelSetUp(tr->model));
  PetscCall(NeopOptimizerCreate(tr->comm, tr->model->params, &tr->opt));
  PetscCall(NeopOptimizerSetFromOptions(tr->opt));
  PetscCall(NeopOptimizerSetHorizon(tr->opt, (int)tr->epochs, (tr->train->nglobal + (int)tr->batch_size - 1) / (int)tr->batch_size));
  if (tr->resume) {
    PetscCall(NeopTrainerLastPath(tr->checkpoint, last, sizeof(last)));
    PetscCall(NeopTrainerLoadState(tr, last));
  } else PetscCall(fit_normalizers(tr));
  PetscCall(NeopNormalizerEncode(&tr->na, tr->train->nlocal, tr->train->a));
  PetscCall(NeopNormalizerEncode(&tr->na, tr->test->nlocal, tr->test->a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerRun(NeopTrainer tr)
{
  PetscMPIInt size;
  char        last[PETSC_MAX_PATH_LEN];
  double      first = 0;

  PetscFunctionBegin;
  MPI_Comm_size(tr->comm, &size);
  PetscCall(NeopModelView(tr->model, NULL));
  PetscCall(NeopOptimizerView(tr->opt, NULL));
  PetscCall(PetscPrintf(tr->comm, "data: %d train, %d test samples, ", tr->train->nglobal, tr->test->nglobal));
  if (tr->train->pdim)
    PetscCall(PetscPrintf(tr->comm, "point sets of %d nodes in %d-D (%s)", tr->train->grid[0], tr->train->pdim,
                          tr->train->pos_shared ? "shared nodes" : "nodes per sample"));
  else {
    PetscCall(PetscPrintf(tr->comm, "grid"));
    for (int d = 0; d < tr->train->dim; d++) PetscCall(PetscPrintf(tr->comm, "%s%d", d ? " x " : " ", tr->train->grid[d]));
  }
  if (tr->model->ops.loss)
    PetscCall(PetscPrintf(tr->comm, "; %d rank%s, global batch %d, loss: the model's own (mean over the batch)\n", size, size > 1 ? "s" : "",
                          (int)tr->batch_size));
  else
    PetscCall(PetscPrintf(tr->comm, "; %d rank%s, global batch %d, loss %s (%s)\n", size, size > 1 ? "s" : "", (int)tr->batch_size,
                          NeopLossKindName(tr->loss), tr->loss_mean ? "mean" : "sum"));
  PetscCall(NeopTrainerLastPath(tr->checkpoint, last, sizeof(last)));
  if (tr->initial[0] && tr->epoch == 0) PetscCall(NeopTrainerSave(tr, tr->initial));
  for (int run = 0; tr->epoch < tr->epochs && !(tr->stop_after && run == tr->stop_after); run++) {
    double t0 = MPI_Wtime(), t1, loss, err, lr, row[NEOP_HISTORY_FIELDS];

    PetscCall(NeopOptimizerGetLR(tr->opt, &lr));
    PetscCall(NeopTrainerEpoch(tr, &loss));
    t1 = MPI_Wtime() - t0;
    PetscCall(NeopTrainerTest(tr, &err));
    PetscCall(NeopOptimizerEpochEnd(tr->opt));
    tr->epoch++;
    {
      /* every rank keeps the same clock, so the history is identical on all */
      double dt = MPI_Wtime() - t0;
      PetscCallMPI(MPI_Bcast(&dt, 1, MPI_DOUBLE, 0, tr->comm));
      row[0] = tr->epoch, row[1] = loss, row[2] = err, row[3] = lr, row[4] = dt;
    }
    PetscCall(NeopHistoryAppend(&tr->hist, row));
    if (!tr->quiet)
      PetscCall(PetscPrintf(tr->comm, "epoch %4d  train %.6f  test rel_l2 %.6f  lr %.3e  %.2f s  %.1f samples/s (steps %.2f s, %.2f samples/s)\n",
                            tr->epoch, loss, err, lr, row[4], tr->train->nglobal / row[4], t1, tr->train->nglobal / t1));
    /* the first epoch of a run also makes FFTW plans and grows the arena: left out of the summary unless alone */
    if (run == 0) first = t1;
    else tr->step_seconds += t1, tr->step_epochs++;
    if (err < tr->best) {
      tr->best       = err;
      tr->best_epoch = tr->epoch;
      PetscCall(NeopTrainerSave(tr, tr->checkpoint));
    }
    if (tr->epoch % tr->checkpoint_every == 0 || tr->epoch == tr->epochs) PetscCall(NeopTrainerSave(tr, last));
  }
  if (tr->best_epoch >= 0)
    PetscCall(PetscPrintf(tr->comm, "best test rel_l2 %.6f at epoch %d, in %s\n", tr->best, tr->best_epoch, tr->checkpoint));
  if (!tr->step_epochs) tr->step_seconds = first, tr->step_epochs = first > 0;
  if (tr->step_epochs && !tr->quiet) {
    struct rusage ru;
    double        rss = 0;

    /* peak resident memory of this process (Linux: KiB), the largest over the ranks */
    if (!getrusage(RUSAGE_SELF, &ru)) rss = (double)ru.ru_maxrss / 1024;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &rss, 1, MPI_DOUBLE, MPI_MAX, tr->comm));
    PetscCall(PetscPrintf(tr->comm, "training steps: %.2f samples/s over %d epoch%s (the first of a longer run left out); peak RSS %.1f MiB per rank, of which activations and their gradients %.1f MiB\n",
                          tr->train->nglobal * tr->step_epochs / tr->step_seconds, tr->step_epochs, tr->step_epochs > 1 ? "s" : "", rss,
                          (double)tr->tape->arena->peak / 1048576));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerHelp(NeopTrainer tr)
{
  NeopModel     m;
  NeopOptimizer opt;
  int           grid[2] = {64, 64};

  PetscFunctionBegin;
  /* a stand-in 2-D problem, so that the model and optimizer list their options */
  PetscCall(NeopModelCreate(tr->comm, &m));
  PetscCall(NeopModelSetShape(m, 2, 1, 1));
  PetscCall(NeopModelSetGrid(m, grid));
  PetscCall(NeopModelSetFromOptions(m));
  PetscCall(NeopModelSetUp(m));
  PetscCall(NeopOptimizerCreate(tr->comm, m->params, &opt));
  PetscCall(NeopOptimizerSetFromOptions(opt));
  PetscCall(NeopOptimizerDestroy(&opt));
  PetscCall(NeopModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerGetBest(NeopTrainer tr, double *best, int *epoch)
{
  PetscFunctionBegin;
  *best  = tr->best;
  *epoch = tr->best_epoch;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerDestroy(NeopTrainer *tr)
{
  PetscFunctionBegin;
  if (!*tr) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(NeopDatasetDestroy(&(*tr)->train));
  PetscCall(NeopDatasetDestroy(&(*tr)->test));
  PetscCall(NeopNormalizerDestroy(&(*tr)->na));
  PetscCall(NeopNormalizerDestroy(&(*tr)->nu));
  PetscCall(NeopOptimizerDestroy(&(*tr)->opt));
  PetscCall(NeopModelDestroy(&(*tr)->model));
  PetscCall(NeopTapeDestroy(&(*tr)->tape));
  PetscCall(NeopHistoryDestroy(&(*tr)->hist));
  PetscCall(PetscFree(*tr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
