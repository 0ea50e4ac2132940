/* mlp_regression: a complete neop training program, to read top to bottom.

   Learns u = sin(2 pi x1) cos(pi x2) on random points of the unit square with
   the point-wise "mlp" model: a sample is a 1-D "field" of P points, with the
   two coordinates as input channels, (2, P) -> (1, P). Data parallel over the
   MPI ranks with a fixed global batch (include/neop/data.h): every rank makes
   and holds a contiguous block of the samples, every epoch draws one global
   permutation, each rank processes the samples of a global batch it holds,
   the loss is divided by the global batch size and the optimizer sums the
   gradients with one allreduce. The result does not depend on the number of
   ranks beyond rounding, and a run resumed from a checkpoint continues bit for
   bit.

     build/examples/mlp_regression -epochs 100 -checkpoint mlp.h5
     mpirun -n 2 build/examples/mlp_regression -epochs 100 -checkpoint mlp.h5 -resume
     build/examples/mlp_regression -help        (all options, optimizer's included) */
#include <neop/checkpoint.h>
#include <neop/ops.h>
#include <neop/rng.h>
#include <math.h>

static const char help[] = "Trains a point-wise MLP on u = sin(2 pi x1) cos(pi x2), data parallel, with checkpoints.\n";

/* ---- data: P random points per sample, from the sample's own random stream */

static void make_sample(uint64_t seed, int index, int P, float *a /* (2, P) */, float *u /* (1, P) */)
{
  NeopRng r;
  NeopRngInit(&r, seed, NEOP_RNG_DATA, (uint64_t)index);
  for (int p = 0; p < P; p++) {
    double x1 = NeopRngUniform(&r), x2 = NeopRngUniform(&r);
    a[p]     = (float)x1;
    a[P + p] = (float)x2;
    u[p]     = (float)(sin(2 * M_PI * x1) * cos(M_PI * x2));
  }
}

/* ---- loss: scale * sum (y - u)^2, with scale = 1 / (global batch * values per sample) */

static PetscErrorCode sse_backward(NeopTape *t, NeopTapeNode *node)
{
  NeopTensor *y = node->in[0], *u = node->in[1];
  float      *dy;
  float       c = (float)(2 * node->real[0]) * node->out->grad[0];

  PetscFunctionBegin;
  PetscCall(NeopTapeGrad(t, y, &dy));
  for (int64_t i = 0; i < y->size; i++) dy[i] += c * (y->data[i] - u->data[i]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode scaled_sse(NeopTape *t, NeopTensor *y, NeopTensor *u, double scale, NeopTensor **loss)
{
  NeopTensor   *in[2] = {y, u};
  NeopTapeNode *node;
  int           one   = 1;
  double        s     = 0;

  PetscFunctionBegin;
  PetscCall(NeopTapeTensor(t, 1, &one, loss));
  for (int64_t i = 0; i < y->size; i++) s += (double)(y->data[i] - u->data[i]) * (y->data[i] - u->data[i]);
  (*loss)->data[0] = (float)(scale * s);
  PetscCall(NeopTapeRecord(t, "scaled_sse", sse_backward, 2, in, *loss, &node));
  if (node) node->real[0] = scale;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- options */

typedef struct {
  PetscInt  epochs, batch, samples, test_samples, points, every, stop_after;
  PetscInt  data_seed, shuffle_seed;
  char      checkpoint[PETSC_MAX_PATH_LEN], compare[PETSC_MAX_PATH_LEN];
  PetscBool resume;
} Options;

static PetscErrorCode get_options(MPI_Comm comm, Options *o)
{
  PetscFunctionBegin;
  o->epochs = 100, o->batch = 32, o->samples = 256, o->test_samples = 64, o->points = 32, o->every = 10, o->stop_after = -1;
  o->data_seed = 1, o->shuffle_seed = 2, o->checkpoint[0] = o->compare[0] = 0, o->resume = PETSC_FALSE;
  PetscOptionsBegin(comm, NULL, "MLP regression example", NULL);
  PetscCall(PetscOptionsInt("-epochs", "epochs to train (the schedule's horizon)", NULL, o->epochs, &o->epochs, NULL));
  PetscCall(PetscOptionsInt("-batch_size", "GLOBAL batch size, whatever the number of ranks", NULL, o->batch, &o->batch, NULL));
  PetscCall(PetscOptionsInt("-samples", "training samples", NULL, o->samples, &o->samples, NULL));
  PetscCall(PetscOptionsInt("-test_samples", "held-out samples for the final error", NULL, o->test_samples, &o->test_samples, NULL));
  PetscCall(PetscOptionsInt("-points", "points per sample", NULL, o->points, &o->points, NULL));
  PetscCall(PetscOptionsInt("-data_seed", "seed of the data", NULL, o->data_seed, &o->data_seed, NULL));
  PetscCall(PetscOptionsInt("-shuffle_seed", "seed of the epoch permutations", NULL, o->shuffle_seed, &o->shuffle_seed, NULL));
  PetscCall(PetscOptionsString("-checkpoint", "checkpoint file (HDF5)", NULL, o->checkpoint, o->checkpoint, sizeof(o->checkpoint), NULL));
  PetscCall(PetscOptionsInt("-checkpoint_every", "epochs between checkpoints", NULL, o->every, &o->every, NULL));
  PetscCall(PetscOptionsBool("-resume", "continue from -checkpoint", NULL, o->resume, &o->resume, NULL));
  PetscCall(PetscOptionsInt("-stop_after", "stop after this many epochs, as an interrupted job would (-1: never)", NULL, o->stop_after, &o->stop_after, NULL));
  PetscCall(PetscOptionsString("-compare", "at the end, compare the parameters with those of this checkpoint", NULL, o->compare, o->compare,
                               sizeof(o->compare), NULL));
  PetscOptionsEnd();
  PetscCheck(o->epochs >= 1 && o->batch >= 1 && o->samples >= 1 && o->points >= 1 && o->every >= 1 && o->test_samples >= 0, comm,
             PETSC_ERR_ARG_OUTOFRANGE, "-epochs, -batch_size, -samples, -points, -checkpoint_every must be positive");
  PetscCheck(!o->resume || o->checkpoint[0], comm, PETSC_ERR_ARG_WRONG, "-resume needs -checkpoint <file>");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* What the data and batches depend on: a resumed run must use the same. */
static const char *const run_keys[] = {"batch_size", "samples", "points", "data_seed", "shuffle_seed"};

static void run_values(const Options *o, double v[5])
{
  v[0] = (double)o->batch, v[1] = (double)o->samples, v[2] = (double)o->points, v[3] = (double)o->data_seed, v[4] = (double)o->shuffle_seed;
}

static PetscErrorCode save(MPI_Comm comm, const Options *o, NeopModel m, NeopOptimizer opt, int epochs_done, const double *history)
{
  NeopCheckpoint ck;
  double         v[5];

  PetscFunctionBegin;
  run_values(o, v);
  PetscCall(NeopCheckpointCreate(comm, o->checkpoint, &ck));
  PetscCall(NeopCheckpointWriteModel(ck, m));
  PetscCall(NeopCheckpointWriteOptimizer(ck, opt));
  PetscCall(NeopCheckpointWriteSeries(ck, "/history/train_loss", epochs_done, history));
  for (int k = 0; k < 5; k++) PetscCall(NeopCheckpointWriteAttrReal(ck, "/run", run_keys[k], v[k]));
  PetscCall(NeopCheckpointCommit(&ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Relative L2 error of the model on samples [first, first + n) held here. */
static PetscErrorCode test_error(MPI_Comm comm, NeopModel m, const Options *o, int first, int n, double *err)
{
  NeopTape   *t;
  NeopTensor *x, *y;
  int         P = (int)o->points, shape[3] = {1, 2, P};
  float      *u; /* (1, P) */
  double      s[2] = {0, 0};

  PetscFunctionBegin;
  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeSetRecording(t, PETSC_FALSE));
  PetscCall(PetscMalloc1(P, &u));
  for (int i = first; i < first + n; i++) {
    PetscCall(NeopTapeReset(t));
    PetscCall(NeopTapeTensor(t, 3, shape, &x));
    make_sample((uint64_t)o->data_seed, (int)o->samples + i, P, x->data, u);
    PetscCall(NeopModelForward(m, t, x, &y));
    for (int p = 0; p < P; p++) s[0] += (double)(y->data[p] - u[p]) * (y->data[p] - u[p]), s[1] += (double)u[p] * u[p];
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, s, 2, MPI_DOUBLE, MPI_SUM, comm));
  *err = s[1] > 0 ? sqrt(s[0] / s[1]) : 0;
  PetscCall(PetscFree(u));
  PetscCall(NeopTapeDestroy(&t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Largest parameter difference to the model of another checkpoint. */
static PetscErrorCode compare(MPI_Comm comm, NeopModel m, const char *path)
{
  NeopCheckpoint ck;
  NeopModel      ref;
  double         dmax = 0, rmax = 0;
  PetscBool      identical = PETSC_TRUE;

  PetscFunctionBegin;
  PetscCall(NeopCheckpointOpen(comm, path, &ck));
  PetscCall(NeopCheckpointReadModel(ck, &ref));
  PetscCall(NeopCheckpointClose(&ck));
  for (int i = 0; i < m->params->n; i++) {
    NeopParam *p = m->params->list[i], *q;
    PetscCall(NeopParamsFind(ref->params, p->name, &q));
    PetscCheck(q && q->tensor.size == p->tensor.size, comm, PETSC_ERR_ARG_INCOMP, "-compare %s: no parameter %s of %lld values", path, p->name,
               (long long)p->tensor.size);
    identical = identical && !memcmp(p->tensor.data, q->tensor.data, (size_t)p->tensor.size * sizeof(float));
    for (int64_t k = 0; k < p->tensor.size; k++) {
      dmax = PetscMax(dmax, fabs((double)p->tensor.data[k] - q->tensor.data[k]));
      rmax = PetscMax(rmax, fabs((double)q->tensor.data[k]));
    }
  }
  PetscCall(PetscPrintf(comm, "compare %s: max |difference| %.3e, relative %.3e%s\n", path, dmax, rmax > 0 ? dmax / rmax : dmax,
                        identical ? " (bit for bit identical)" : ""));
  PetscCall(NeopModelDestroy(&ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  MPI_Comm      comm;
  PetscMPIInt   rank, size;
  Options       o;
  NeopModel     m;
  NeopOptimizer opt;
  NeopTape     *t;
  int           first, nlocal, P, steps, start = 0;
  float        *a, *u;       /* (nlocal, 2, P), (nlocal, 1, P): this rank's samples */
  int          *perm;        /* [samples] this epoch's order */
  double       *history;     /* [epochs] mean training loss per epoch */
  double        err = 0;
  PetscLogDouble t0, t1;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  comm = PETSC_COMM_WORLD;
  PetscCall(NeopModelRegisterAll());
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(get_options(comm, &o));
  P     = (int)o.points;
  steps = (int)((o.samples + o.batch - 1) / o.batch);

  /* this rank's contiguous block of the training samples */
  first  = (int)(rank * (o.samples / size) + PetscMin(rank, o.samples % size));
  nlocal = (int)(o.samples / size + (rank < o.samples % size));
  PetscCall(PetscMalloc4((size_t)nlocal * 2 * P + 1, &a, (size_t)nlocal * P + 1, &u, o.samples, &perm, o.epochs, &history));
  for (int i = 0; i < nlocal; i++) make_sample((uint64_t)o.data_seed, first + i, P, a + (size_t)i * 2 * P, u + (size_t)i * P);

  /* the model and its optimizer: new, or as the checkpoint left them */
  if (o.resume) {
    NeopCheckpoint ck;
    double        *h, v[5], stored;
    int            n;
    PetscBool      found;

    PetscCall(NeopCheckpointOpen(comm, o.checkpoint, &ck));
    run_values(&o, v);
    for (int k = 0; k < 5; k++) {
      PetscCall(NeopCheckpointReadAttrReal(ck, "/run", run_keys[k], &stored, &found));
      PetscCheck(found && stored == v[k], comm, PETSC_ERR_ARG_INCOMP, "-resume: checkpoint %s was made with -%s %lld, this run has %lld",
                 o.checkpoint, run_keys[k], found ? (long long)stored : -1LL, (long long)v[k]);
    }
    PetscCall(NeopCheckpointReadModel(ck, &m));
    PetscCall(NeopOptimizerCreate(comm, m->params, &opt));
    PetscCall(NeopOptimizerSetFromOptions(opt));
    PetscCall(NeopCheckpointReadOptimizer(ck, opt));
    PetscCall(NeopCheckpointReadSeries(ck, "/history/train_loss", &n, &h, &found));
    PetscCheck(found && n <= o.epochs, comm, PETSC_ERR_ARG_INCOMP, "-resume: checkpoint %s has %d epochs of history, -epochs is %d", o.checkpoint,
               found ? n : -1, (int)o.epochs);
    PetscCall(PetscArraycpy(history, h, n));
    PetscCall(PetscFree(h));
    PetscCall(NeopCheckpointClose(&ck));
    start = n;
    PetscCall(PetscPrintf(comm, "resumed from %s after %d epochs\n", o.checkpoint, start));
  } else {
    PetscCall(NeopModelCreate(comm, &m));
    PetscCall(NeopModelSetType(m, "mlp"));
    PetscCall(NeopModelSetShape(m, 1, 2, 1));
    PetscCall(NeopModelSetFromOptions(m));
    PetscCall(NeopModelSetUp(m));
    PetscCall(NeopOptimizerCreate(comm, m->params, &opt));
    PetscCall(NeopOptimizerSetFromOptions(opt));
  }
  PetscCall(NeopOptimizerSetHorizon(opt, (int)o.epochs, steps));
  PetscCall(NeopModelView(m, NULL));
  PetscCall(NeopOptimizerView(opt, NULL));
  PetscCall(PetscPrintf(comm, "%d samples of %d points, global batch %d, %d steps per epoch, %d ranks\n", (int)o.samples, P, (int)o.batch, steps, size));

  PetscCall(NeopTapeCreate(&t));
  PetscCall(PetscTime(&t0));
  for (int epoch = start; epoch < o.epochs; epoch++) {
    NeopRng r;
    double  epoch_loss = 0; /* this rank's share of the sum of batch losses */

    if (epoch == o.stop_after) break;
    NeopRngInit(&r, (uint64_t)o.shuffle_seed, NEOP_RNG_SHUFFLE, (uint64_t)epoch);
    NeopRngPermutation(&r, (int)o.samples, perm);
    for (int k = 0; k < steps; k++) {
      int         b0 = k * (int)o.batch, nb = (int)PetscMin(o.batch, o.samples - b0), n = 0;
      int         shape[3];
      NeopTensor *x, *y, *target, *loss;

      /* the samples of global batch k that live here, in batch order */
      for (int j = 0; j < nb; j++) n += perm[b0 + j] >= first && perm[b0 + j] < first + nlocal;
      PetscCall(NeopTapeReset(t));
      PetscCall(NeopParamsZeroGrad(m->params));
      if (n > 0) {
        shape[0] = n, shape[1] = 2, shape[2] = P;
        PetscCall(NeopTapeTensor(t, 3, shape, &x));      /* (n, 2, P) */
        shape[1] = 1;
        PetscCall(NeopTapeTensor(t, 3, shape, &target)); /* (n, 1, P) */
        for (int j = 0, s = 0; j < nb; j++) {
          int g = perm[b0 + j] - first;
          if (g < 0 || g >= nlocal) continue;
          PetscCall(PetscArraycpy(x->data + (size_t)s * 2 * P, a + (size_t)g * 2 * P, 2 * P));
          PetscCall(PetscArraycpy(target->data + (size_t)s * P, u + (size_t)g * P, P));
          s++;
        }
        PetscCall(NeopModelForward(m, t, x, &y));
        PetscCall(scaled_sse(t, y, target, 1.0 / ((double)nb * P), &loss));
        PetscCall(NeopTapeBackward(t, loss));
        epoch_loss += loss->data[0];
      }
      PetscCall(NeopOptimizerStep(opt)); /* every rank: the allreduce sums the gradients */
    }
    PetscCall(NeopOptimizerEpochEnd(opt));
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &epoch_loss, 1, MPI_DOUBLE, MPI_SUM, comm));
    history[epoch] = epoch_loss / steps;
    {
      double lr, gn;
      PetscCall(NeopOptimizerGetLR(opt, &lr));
      PetscCall(NeopOptimizerGetGradNorm(opt, &gn));
      PetscCall(PetscPrintf(comm, "epoch %4d  loss %.9e  lr %.4e  |grad| %.4e\n", epoch + 1, history[epoch], lr, gn));
    }
    if (o.checkpoint[0] && ((epoch + 1) % o.every == 0 || epoch + 1 == o.epochs)) PetscCall(save(comm, &o, m, opt, epoch + 1, history));
  }
  PetscCall(PetscTime(&t1));

  { /* held-out samples, split over the ranks like the training ones */
    int tf = (int)(rank * (o.test_samples / size) + PetscMin(rank, o.test_samples % size));
    int tn = (int)(o.test_samples / size + (rank < o.test_samples % size));
    PetscCall(test_error(comm, m, &o, tf, tn, &err));
  }
  PetscCall(PetscPrintf(comm, "test relative L2 error %.4e on %d samples; training took %.2f s\n", err, (int)o.test_samples, t1 - t0));
  if (o.compare[0]) PetscCall(compare(comm, m, o.compare));

  PetscCall(NeopTapeDestroy(&t));
  PetscCall(NeopOptimizerDestroy(&opt));
  PetscCall(NeopModelDestroy(&m));
  PetscCall(PetscFree4(a, u, perm, history));
  PetscCall(PetscFinalize());
  return 0;
}
