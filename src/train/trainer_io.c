/* The trainer's state in a checkpoint: model, optimizer, normalisers,
   history and counters, so that -resume continues exactly and `neop eval`
   finds everything it needs. */
#include "train/trainer_impl.h"
#include <neop/backend.h>

static const char *const norm_kind_names[] = {"none", "pointwise", "scalar"};

PetscErrorCode NeopTrainerLastPath(const char *checkpoint, char *last, size_t len)
{
  size_t n = strlen(checkpoint);

  PetscFunctionBegin;
  if (n > 3 && !strcmp(checkpoint + n - 3, ".h5")) PetscCall(PetscSNPrintf(last, len, "%.*s.last.h5", (int)(n - 3), checkpoint));
  else PetscCall(PetscSNPrintf(last, len, "%s.last.h5", checkpoint));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNormalizerSave(NeopCheckpoint ck, const char *name, const NeopNormalizer *nz)
{
  char group[128], path[160];
  int  len = nz->kind == NEOP_NORM_POINTWISE ? (int)nz->n : nz->channels;

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(group, sizeof(group), "/normalizer/%s", name));
  PetscCall(NeopCheckpointWriteAttrString(ck, group, "kind", norm_kind_names[nz->kind]));
  PetscCall(NeopCheckpointWriteAttrReal(ck, group, "channels", nz->channels));
  PetscCall(NeopCheckpointWriteAttrReal(ck, group, "points", (double)nz->points));
  PetscCall(NeopCheckpointWriteAttrReal(ck, group, "eps", nz->eps));
  if (nz->kind != NEOP_NORM_NONE) {
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/mean", group));
    PetscCall(NeopCheckpointWriteArray(ck, path, 1, &len, nz->mean));
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/std", group));
    PetscCall(NeopCheckpointWriteArray(ck, path, 1, &len, nz->std));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNormalizerLoad(NeopCheckpoint ck, const char *name, NeopNormalizer *nz, PetscBool *found)
{
  char      group[128], path[160], kind[32];
  double    channels, points, eps;
  int       ndim, shape[NEOP_MAX_DIMS];
  PetscBool has;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(nz, sizeof(*nz)));
  PetscCall(PetscSNPrintf(group, sizeof(group), "/normalizer/%s", name));
  PetscCall(NeopCheckpointReadAttrString(ck, group, "kind", kind, sizeof(kind), found));
  if (!*found) PetscFunctionReturn(PETSC_SUCCESS);
  nz->kind = NEOP_NORM_NONE;
  for (int k = 0; k < 3; k++)
    if (!strcmp(kind, norm_kind_names[k])) nz->kind = (NeopNormKind)k;
  PetscCall(NeopCheckpointReadAttrReal(ck, group, "channels", &channels, &has));
  PetscCall(NeopCheckpointReadAttrReal(ck, group, "points", &points, &has));
  PetscCall(NeopCheckpointReadAttrReal(ck, group, "eps", &eps, &has));
  nz->channels = (int)channels;
  nz->points   = (int64_t)points;
  nz->n        = nz->channels * nz->points;
  nz->eps      = (float)eps;
  if (nz->kind != NEOP_NORM_NONE) {
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/mean", group));
    PetscCall(NeopCheckpointReadArray(ck, path, &ndim, shape, &nz->mean, &has));
    PetscCheck(has, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint: normaliser %s has no mean", name);
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/std", group));
    PetscCall(NeopCheckpointReadArray(ck, path, &ndim, shape, &nz->std, &has));
    PetscCheck(has, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint: normaliser %s has no std", name);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerSave(NeopTrainer tr, const char *path)
{
  NeopCheckpoint ck;
  char           name[96];

  PetscFunctionBegin;
  PetscCall(NeopCheckpointCreate(tr->comm, path, &ck));
  PetscCall(NeopCheckpointWriteModel(ck, tr->model));
  PetscCall(NeopCheckpointWriteOptimizer(ck, tr->opt));
  PetscCall(NeopNormalizerSave(ck, "a", &tr->na));
  PetscCall(NeopNormalizerSave(ck, "u", &tr->nu));
  for (int f = 0; f < NEOP_HISTORY_FIELDS; f++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "/history/%s", NeopHistoryNames[f]));
    PetscCall(NeopCheckpointWriteSeries(ck, name, tr->hist.n, tr->hist.v[f]));
  }
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", "epoch", tr->epoch));
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", "best_rel_l2", tr->best));
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", "best_epoch", tr->best_epoch));
  PetscCall(NeopCheckpointWriteAttrString(ck, "/train", "train", tr->train_path));
  PetscCall(NeopCheckpointWriteAttrString(ck, "/train", "test", tr->test_path[0] ? tr->test_path : tr->train_path));
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", "ntrain", tr->train->nglobal));
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", "ntest", tr->test->nglobal));
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", "sub", (double)tr->sub));
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", "batch_size", (double)tr->batch_size));
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", "seed", (double)tr->seed));
  PetscCall(NeopCheckpointWriteAttrString(ck, "/train", "loss", NeopLossKindName(tr->loss)));
  for (int d = 0; d < tr->train->dim; d++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "grid%d", d));
    PetscCall(NeopCheckpointWriteAttrReal(ck, "/train", name, tr->train->grid[d]));
  }
  PetscCall(NeopCheckpointCommit(&ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The command line must describe the model stored in the file. */
static PetscErrorCode check_same_model(NeopTrainer tr, NeopCheckpoint ck, const char *path)
{
  NeopModel m = tr->model;
  char      stored[256];
  PetscBool found;

  PetscFunctionBegin;
  for (int i = 0; i < m->noptions; i++) {
    PetscCall(NeopCheckpointReadAttrString(ck, "/model", m->option_name[i], stored, sizeof(stored), &found));
    PetscCheck(found, tr->comm, PETSC_ERR_USER_INPUT, "-resume: %s records no %s", path, m->option_name[i]);
    PetscCheck(!strcmp(stored, m->option_value[i]), tr->comm, PETSC_ERR_USER_INPUT,
               "-resume: %s is %s in %s but %s here: resume with the options of the original run", m->option_name[i], stored, path,
               m->option_value[i]);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerLoadState(NeopTrainer tr, const char *path)
{
  const NeopBackend *be = NeopBackendGet();
  NeopCheckpoint     ck;
  NeopParams        *p = tr->model->params;
  PetscBool          found;
  double             v;
  char               name[96];

  PetscFunctionBegin;
  PetscCall(NeopCheckpointOpen(tr->comm, path, &ck));
  PetscCall(check_same_model(tr, ck, path));
  for (int i = 0; i < p->n; i++) {
    NeopParam *q = p->list[i];
    float     *w;
    int        ndim, shape[NEOP_MAX_DIMS];
    PetscCall(PetscSNPrintf(name, sizeof(name), "/params/%s", q->name));
    PetscCall(NeopCheckpointReadArray(ck, name, &ndim, shape, &w, &found));
    PetscCheck(found, tr->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: parameter %s missing", path, q->name);
    {
      NeopTensor t;
      PetscCall(NeopTensorSetShape(&t, ndim, shape));
      PetscCheck(NeopTensorSameShape(&t, &q->tensor), tr->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: parameter %s has another shape", path, q->name);
    }
    PetscCall(be->from_host(q->tensor.data, w, sizeof(float) * (size_t)q->tensor.size));
    PetscCall(PetscFree(w));
  }
  PetscCall(NeopCheckpointReadOptimizer(ck, tr->opt));
  PetscCall(NeopNormalizerLoad(ck, "a", &tr->na, &found));
  PetscCheck(found, tr->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no input normaliser", path);
  PetscCall(NeopNormalizerLoad(ck, "u", &tr->nu, &found));
  PetscCheck(found, tr->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no target normaliser", path);
  PetscCall(NeopCheckpointReadAttrReal(ck, "/train", "epoch", &v, &found));
  PetscCheck(found, tr->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: not a training state (no /train epoch)", path);
  tr->epoch = (int)v;
  PetscCall(NeopCheckpointReadAttrReal(ck, "/train", "best_rel_l2", &tr->best, &found));
  PetscCall(NeopCheckpointReadAttrReal(ck, "/train", "best_epoch", &v, &found));
  tr->best_epoch = (int)v;
  for (int f = 0; f < NEOP_HISTORY_FIELDS; f++) {
    int     n;
    double *s;
    PetscCall(PetscSNPrintf(name, sizeof(name), "/history/%s", NeopHistoryNames[f]));
    PetscCall(NeopCheckpointReadSeries(ck, name, &n, &s, &found));
    PetscCheck(found, tr->comm, PETSC_ERR_FILE_UNEXPECTED, "%s: history %s missing", path, NeopHistoryNames[f]);
    if (f == 0) PetscCall(NeopHistoryDestroy(&tr->hist));
    if (f == 0)
      for (int r = 0; r < n; r++) {
        double row[NEOP_HISTORY_FIELDS] = {0};
        PetscCall(NeopHistoryAppend(&tr->hist, row));
      }
    for (int r = 0; r < n && r < tr->hist.n; r++) tr->hist.v[f][r] = s[r];
    PetscCall(PetscFree(s));
  }
  PetscCall(NeopCheckpointClose(&ck));
  PetscCall(PetscPrintf(tr->comm, "resumed from %s after epoch %d\n", path, tr->epoch));
  PetscFunctionReturn(PETSC_SUCCESS);
}
