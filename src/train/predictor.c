/* NeopPredictor: a trained model with its normalisers, applied to inputs. */
#include <neop/evaluate.h>
#include <neop/checkpoint.h>
#include <neop/backend.h>
#include "train/trainer_impl.h"

struct NeopPredictor_s {
  MPI_Comm       comm;
  NeopModel      model;
  NeopTape      *tape;
  int            train_grid[3];
  int            train_sub;     /* -sub of the training run */
  NeopNormalizer na, nu;        /* at the training grid */
  NeopNormalizer ga, gu;        /* resampled for 'grid' (kind NONE when unused) */
  int            grid[3];
  PetscBool      have_grid;
};

PetscErrorCode NeopPredictorLoad(MPI_Comm comm, const char *path, NeopPredictor *pp)
{
  NeopPredictor  p;
  NeopCheckpoint ck;
  PetscBool      found;

  PetscFunctionBegin;
  PetscCall(PetscNew(&p));
  p->comm = comm;
  PetscCall(NeopCheckpointOpen(comm, path, &ck));
  PetscCall(NeopCheckpointReadModel(ck, &p->model));
  PetscCall(NeopNormalizerLoad(ck, "a", &p->na, &found));
  PetscCheck(found, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no input normaliser (/normalizer/a): not written by neop train?", path);
  PetscCall(NeopNormalizerLoad(ck, "u", &p->nu, &found));
  PetscCheck(found, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no target normaliser (/normalizer/u)", path);
  for (int d = 0; d < (p->model->point_set ? 1 : p->model->dim); d++) { /* point sets: grid0 = nodes */
    char   name[16];
    double g;
    PetscCall(PetscSNPrintf(name, sizeof(name), "grid%d", d));
    PetscCall(NeopCheckpointReadAttrReal(ck, "/train", name, &g, &found));
    PetscCheck(found, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: no training grid (/train %s)", path, name);
    p->train_grid[d] = (int)g;
  }
  {
    double sub = 1;
    PetscCall(NeopCheckpointReadAttrReal(ck, "/train", "sub", &sub, &found));
    p->train_sub = (int)sub;
  }
  PetscCall(NeopCheckpointClose(&ck));
  PetscCall(NeopTapeCreate(&p->tape));
  PetscCall(NeopTapeSetRecording(p->tape, PETSC_FALSE));
  *pp = p;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPredictorGetTrainingSub(NeopPredictor p, int *sub)
{
  PetscFunctionBegin;
  *sub = p->train_sub;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPredictorGetModel(NeopPredictor p, NeopModel *m)
{
  PetscFunctionBegin;
  *m = p->model;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Normalisers for 'grid': the training ones, or resampled copies. */
static PetscErrorCode normalizers_for(NeopPredictor p, const int *grid, const NeopNormalizer **na, const NeopNormalizer **nu)
{
  int dim = p->model->point_set ? 1 : p->model->dim, same = 1, cached = p->have_grid; /* point sets: grid = {nodes} */

  PetscFunctionBegin;
  for (int d = 0; d < dim; d++) same &= grid[d] == p->train_grid[d], cached &= grid[d] == p->grid[d];
  if (same) {
    *na = &p->na, *nu = &p->nu;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!cached) {
    if (p->have_grid) {
      PetscCall(NeopNormalizerDestroy(&p->ga));
      PetscCall(NeopNormalizerDestroy(&p->gu));
    }
    PetscCall(NeopNormalizerResample(&p->na, dim, p->train_grid, grid, &p->ga));
    PetscCall(NeopNormalizerResample(&p->nu, dim, p->train_grid, grid, &p->gu));
    for (int d = 0; d < dim; d++) p->grid[d] = grid[d];
    p->have_grid = PETSC_TRUE;
  }
  *na = &p->ga, *nu = &p->gu;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPredictorApply(NeopPredictor p, int n, const int *grid, const float *a, int batch_size, float *u)
{
  const NeopBackend    *be = NeopBackendGet();
  NeopModel             m  = p->model;
  const NeopNormalizer *na = NULL, *nu = NULL;
  int                   shape[NEOP_MAX_DIMS];
  int64_t               points = 1;

  PetscFunctionBegin;
  PetscCheck(!m->point_set, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "predict: the model was trained on point sets: give positions (NeopPredictorApplyPoints)");
  for (int d = 0; d < m->dim; d++) {
    PetscCheck(grid[d] >= 2, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "predict: grid has %d points in dim %d", grid[d], d);
    points *= grid[d];
  }
  PetscCall(normalizers_for(p, grid, &na, &nu));
  if (batch_size <= 0) batch_size = n;
  for (int s = 0; s < n; s += batch_size) {
    int         nb = PetscMin(batch_size, n - s);
    NeopTensor *x, *y, *yd;
    float      *host;

    PetscCall(NeopTapeReset(p->tape));
    shape[0] = nb, shape[1] = m->in_channels;
    for (int d = 0; d < m->dim; d++) shape[2 + d] = grid[d];
    PetscCall(NeopTapeTensor(p->tape, m->dim + 2, shape, &x));
    /* encode a host copy: the caller's input stays untouched */
    PetscCall(PetscMalloc1(x->size, &host));
    PetscCall(PetscArraycpy(host, a + (int64_t)s * m->in_channels * points, x->size));
    PetscCall(NeopNormalizerEncode(na, nb, host));
    PetscCall(be->from_host(x->data, host, sizeof(float) * (size_t)x->size));
    PetscCall(PetscFree(host));
    PetscCall(NeopModelForward(m, p->tape, x, &y));
    PetscCall(NeopNormalizerDecodeOp(nu, p->tape, y, &yd));
    PetscCall(be->to_host(u + (int64_t)s * m->out_channels * points, yd->data, sizeof(float) * (size_t)yd->size));
  }
  PetscCall(NeopTapeReset(p->tape));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPredictorApplyPoints(NeopPredictor p, int n, int P, const float *pos, PetscBool shared, const float *a, int batch_size,
                                        float *u)
{
  const NeopBackend    *be = NeopBackendGet();
  NeopModel             m  = p->model;
  const NeopNormalizer *na = NULL, *nu = NULL;
  int64_t               per_a = (int64_t)m->in_channels * P, per_p = (int64_t)m->dim * P;

  PetscFunctionBegin;
  PetscCheck(m->point_set, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "predict: the model was trained on grids, not point sets");
  PetscCheck(P >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "predict: %d nodes", P);
  PetscCheck(P == p->train_grid[0] || (p->na.kind != NEOP_NORM_POINTWISE && p->nu.kind != NEOP_NORM_POINTWISE), PETSC_COMM_SELF,
             PETSC_ERR_ARG_SIZ, "predict: point sets of %d nodes, but the model's point-wise normalisers hold the %d training nodes", P,
             p->train_grid[0]);
  PetscCall(normalizers_for(p, &P, &na, &nu)); /* per-channel statistics: copied for P nodes */
  if (batch_size <= 0) batch_size = n;
  for (int s = 0; s < n; s += batch_size) {
    int         nb = PetscMin(batch_size, n - s), shape[3] = {nb, m->in_channels, P};
    NeopTensor *x, *xp, *y, *yd;
    float      *host;

    PetscCall(NeopTapeReset(p->tape));
    PetscCall(NeopTapeTensor(p->tape, 3, shape, &x));
    shape[1] = m->dim;
    PetscCall(NeopTapeTensor(p->tape, 3, shape, &xp)); /* (nb, dim, P) */
    for (int i = 0; i < nb; i++)
      PetscCall(be->from_host(xp->data + i * per_p, pos + (shared ? 0 : (int64_t)(s + i) * per_p), sizeof(float) * (size_t)per_p));
    PetscCall(PetscMalloc1(x->size, &host));
    PetscCall(PetscArraycpy(host, a + (int64_t)s * per_a, x->size));
    PetscCall(NeopNormalizerEncode(na, nb, host));
    PetscCall(be->from_host(x->data, host, sizeof(float) * (size_t)x->size));
    PetscCall(PetscFree(host));
    PetscCall(NeopModelForwardPoints(m, p->tape, x, xp, &y));
    PetscCall(NeopNormalizerDecodeOp(nu, p->tape, y, &yd));
    PetscCall(be->to_host(u + (int64_t)s * m->out_channels * P, yd->data, sizeof(float) * (size_t)yd->size));
  }
  PetscCall(NeopTapeReset(p->tape));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPredictorDestroy(NeopPredictor *pp)
{
  NeopPredictor p = *pp;

  PetscFunctionBegin;
  if (!p) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(NeopModelDestroy(&p->model));
  PetscCall(NeopTapeDestroy(&p->tape));
  PetscCall(NeopNormalizerDestroy(&p->na));
  PetscCall(NeopNormalizerDestroy(&p->nu));
  if (p->have_grid) {
    PetscCall(NeopNormalizerDestroy(&p->ga));
    PetscCall(NeopNormalizerDestroy(&p->gu));
  }
  PetscCall(PetscFree(*pp));
  PetscFunctionReturn(PETSC_SUCCESS);
}
