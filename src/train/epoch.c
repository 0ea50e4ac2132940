/* One epoch: shuffled global batches, each rank working on the samples of
   the batch that it holds; and the test pass. */
#include "train/trainer_impl.h"
#include <neop/backend.h>
#include <neop/rng.h>
#include <neop/log.h>
#include <math.h>

PetscErrorCode NeopTrainerGatherBatch(NeopTrainer tr, const NeopDataset *ds, const int *idx, int count, NeopBatch *b)
{
  const NeopBackend *be = NeopBackendGet();
  int                shape[NEOP_MAX_DIMS], n = 0, *local;
  int64_t            per_a = ds->ca, per_u = ds->cu;

  PetscFunctionBegin;
  for (int d = 0; d < ds->dim; d++) per_a *= ds->grid[d], per_u *= ds->grid[d];
  PetscCall(NeopTapeAlloc(tr->tape, sizeof(int) * (size_t)(count + 1), (void **)&local));
  for (int i = 0; i < count; i++)
    if (idx[i] >= ds->first && idx[i] < ds->first + ds->nlocal) local[n++] = idx[i];
  shape[0] = n;
  for (int d = 0; d < ds->dim; d++) shape[2 + d] = ds->grid[d];
  shape[1] = ds->ca;
  PetscCall(NeopTapeTensor(tr->tape, ds->dim + 2, shape, &b->a));
  for (int i = 0; i < n; i++)
    PetscCall(be->from_host(b->a->data + i * per_a, ds->a + (int64_t)(local[i] - ds->first) * per_a, sizeof(float) * (size_t)per_a));
  b->u = NULL;
  if (ds->u) {
    shape[1] = ds->cu;
    PetscCall(NeopTapeTensor(tr->tape, ds->dim + 2, shape, &b->u));
    for (int i = 0; i < n; i++)
      PetscCall(be->from_host(b->u->data + i * per_u, ds->u + (int64_t)(local[i] - ds->first) * per_u, sizeof(float) * (size_t)per_u));
  }
  b->pos = NULL;
  if (ds->pdim) { /* point sets: the node coordinates travel with the values */
    int64_t per_p = (int64_t)ds->pdim * ds->grid[0];
    shape[1]      = ds->pdim;
    PetscCall(NeopTapeTensor(tr->tape, 3, shape, &b->pos)); /* (n, pdim, P) */
    for (int i = 0; i < n; i++)
      PetscCall(be->from_host(b->pos->data + i * per_p, ds->pos + (ds->pos_shared ? 0 : (int64_t)(local[i] - ds->first) * per_p),
                              sizeof(float) * (size_t)per_p));
  }
  b->n       = n;
  b->nglobal = count;
  b->index   = local;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The training loss of one batch, in physical units: model output decoded by
   the target normaliser, compared with the raw targets. */
static PetscErrorCode batch_loss(NeopTrainer tr, const NeopBatch *b, NeopTensor **loss)
{
  NeopTensor *y, *yd;

  PetscFunctionBegin;
  if (tr->model->ops.loss) {
    PetscCall(tr->model->ops.loss(tr->model, tr->tape, b, loss));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (b->pos) PetscCall(NeopModelForwardPoints(tr->model, tr->tape, b->a, b->pos, &y));
  else PetscCall(NeopModelForward(tr->model, tr->tape, b->a, &y));
  PetscCall(NeopNormalizerDecodeOp(&tr->nu, tr->tape, y, &yd));
  PetscCall(NeopLoss(tr->tape, tr->loss, tr->loss_mean, yd, b->u, b->nglobal, loss));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTrainerEpoch(NeopTrainer tr, double *train_loss)
{
  const NeopBackend *be = NeopBackendGet();
  int                N = tr->train->nglobal, B = (int)tr->batch_size, *perm;
  double             total = 0;
  NeopRng            rng;

  PetscFunctionBegin;
  PetscCall(PetscMalloc1(N, &perm));
  /* the shuffle depends on (seed, epoch) only: identical on every rank and after a resume */
  NeopRngInit(&rng, (uint64_t)tr->seed, NEOP_RNG_SHUFFLE, (uint64_t)tr->epoch);
  NeopRngPermutation(&rng, N, perm);
  PetscCall(NeopTapeSetRecording(tr->tape, PETSC_TRUE));
  for (int k = 0; k * B < N; k++) {
    int        count = PetscMin(B, N - k * B);
    NeopBatch  b;
    NeopTensor *loss;
    float      lv = 0;

    PetscCall(NeopTapeReset(tr->tape));
    PetscCall(NeopParamsZeroGrad(tr->model->params));
    PetscCall(NeopTrainerGatherBatch(tr, tr->train, perm + k * B, count, &b));
    tr->model->step = (int64_t)tr->epoch * ((N + B - 1) / B) + k;
    if (b.n > 0) {
      PetscCall(batch_loss(tr, &b, &loss));
      PetscCall(NeopTapeBackward(tr->tape, loss));
      PetscCall(be->to_host(&lv, loss->data, sizeof(float)));
      PetscCheck(isfinite(lv), PETSC_COMM_SELF, PETSC_ERR_FP, "training diverged: loss %g at epoch %d, batch %d (lower -lr?)", (double)lv,
                 tr->epoch + 1, k);
    }
    /* per-sample loss sum of this batch (a mean loss, -loss_mean or a model's own loss such as
       DGNO's, is already divided by the batch) */
    total += tr->loss_mean || tr->model->ops.loss ? (double)lv * count : (double)lv;
    PetscCall(NeopOptimizerStep(tr->opt));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_DOUBLE, MPI_SUM, tr->comm));
  *train_loss = total / N;
  PetscCall(PetscFree(perm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void NeopRelL2PerSample(int n, int64_t per, const float *pred, const float *u, double *err)
{
  for (int i = 0; i < n; i++) {
    double num = 0, den = 0;
    for (int64_t k = 0; k < per; k++) {
      double d = (double)pred[i * per + k] - u[i * per + k];
      num += d * d;
      den += (double)u[i * per + k] * u[i * per + k];
    }
    err[i] = den > 0 ? sqrt(num / den) : sqrt(num);
  }
}

PetscErrorCode NeopTrainerTest(NeopTrainer tr, double *rel_l2)
{
  const NeopBackend *be = NeopBackendGet();
  NeopDataset       *ds = tr->test;
  int                B  = (int)tr->test_batch_size;
  int64_t            per = ds->cu;
  double             sum = 0, *err;
  float             *pred;

  PetscFunctionBegin;
  for (int d = 0; d < ds->dim; d++) per *= ds->grid[d];
  PetscCall(PetscMalloc2(B, &err, (size_t)B * per, &pred));
  PetscCall(NeopTapeSetRecording(tr->tape, PETSC_FALSE));
  for (int s = 0; s < ds->nlocal; s += B) {
    int         n = PetscMin(B, ds->nlocal - s), idx[n > 0 ? n : 1];
    NeopBatch   b;
    NeopTensor *y, *yd;

    for (int i = 0; i < n; i++) idx[i] = ds->first + s + i;
    PetscCall(NeopTapeReset(tr->tape));
    PetscCall(NeopTrainerGatherBatch(tr, ds, idx, n, &b));
    if (b.pos) PetscCall(NeopModelForwardPoints(tr->model, tr->tape, b.a, b.pos, &y));
    else PetscCall(NeopModelForward(tr->model, tr->tape, b.a, &y));
    PetscCall(NeopNormalizerDecodeOp(&tr->nu, tr->tape, y, &yd));
    PetscCall(be->to_host(pred, yd->data, sizeof(float) * (size_t)(n * per)));
    NeopRelL2PerSample(n, per, pred, ds->u + (int64_t)s * per, err);
    for (int i = 0; i < n; i++) sum += err[i];
  }
  PetscCall(NeopTapeSetRecording(tr->tape, PETSC_TRUE));
  PetscCall(NeopTapeReset(tr->tape));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_DOUBLE, MPI_SUM, tr->comm));
  *rel_l2 = ds->nglobal ? sum / ds->nglobal : 0;
  PetscCall(PetscFree2(err, pred));
  PetscFunctionReturn(PETSC_SUCCESS);
}
