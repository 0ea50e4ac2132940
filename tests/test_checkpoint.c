/* Checkpoints: round trip of model, optimizer and extras; refusal of
   truncated, corrupted and foreign files with messages naming them; an
   abandoned write leaves nothing at the final path; the model is rebuilt
   from the file's options, not the command line's. */
#include "testing.h"
#include <neop/checkpoint.h>
#include <hdf5.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *tpath(const char *name)
{
  static char buf[8][PETSC_MAX_PATH_LEN];
  static int  k;
  k = (k + 1) % 8;
  snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
  return buf[k];
}

static PetscOptions db; /* the private database pushed by with_options() */

static PetscErrorCode with_options(const char *opts)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, opts));
  PetscCall(PetscOptionsPush(db));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode end_options(void)
{
  PetscFunctionBegin;
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode make_model(const char *opts, NeopModel *m)
{
  PetscFunctionBegin;
  PetscCall(with_options(opts));
  PetscCall(NeopModelCreate(PETSC_COMM_WORLD, m));
  PetscCall(NeopModelSetShape(*m, 2, 3, 1));
  PetscCall(NeopModelSetFromOptions(*m));
  PetscCall(NeopModelSetUp(*m));
  PetscCall(end_options());
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode make_optimizer(NeopModel m, const char *opts, NeopOptimizer *opt)
{
  PetscFunctionBegin;
  PetscCall(with_options(opts));
  PetscCall(NeopOptimizerCreate(PETSC_COMM_WORLD, m->params, opt));
  PetscCall(NeopOptimizerSetFromOptions(*opt));
  PetscCall(end_options());
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Made-up gradients, as a backward pass leaves them: the padding of the flat buffer stays 0. */
static PetscErrorCode fake_gradients(NeopModel m, uint64_t seed)
{
  PetscFunctionBegin;
  PetscCall(NeopParamsZeroGrad(m->params));
  for (int i = 0; i < m->params->n; i++) NeopTestRandom(seed + (uint64_t)i, m->params->list[i]->tensor.size, -1, 1, m->params->list[i]->tensor.grad);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A few Adam steps, so moments and counters are not trivial. */
static PetscErrorCode train_a_little(NeopModel m, NeopOptimizer opt, int steps)
{
  PetscFunctionBegin;
  for (int s = 0; s < steps; s++) {
    PetscCall(fake_gradients(m, 100 + 10 * (uint64_t)s));
    PetscCall(NeopOptimizerStep(opt));
  }
  PetscCall(NeopOptimizerEpochEnd(opt));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode save(const char *path, NeopModel m, NeopOptimizer opt)
{
  NeopCheckpoint ck;
  int            shape[2] = {3, 4};
  float          mean[12];
  double         loss[3]  = {1.5, 0.25, 0.125};

  PetscFunctionBegin;
  for (int i = 0; i < 12; i++) mean[i] = 0.5f * (float)i;
  PetscCall(NeopCheckpointCreate(PETSC_COMM_WORLD, path, &ck));
  PetscCall(NeopCheckpointWriteModel(ck, m));
  if (opt) PetscCall(NeopCheckpointWriteOptimizer(ck, opt));
  PetscCall(NeopCheckpointWriteArray(ck, "/normalizer/a/mean", 2, shape, mean));
  PetscCall(NeopCheckpointWriteSeries(ck, "/history/train_loss", 3, loss));
  PetscCall(NeopCheckpointWriteAttrString(ck, "/normalizer/a", "kind", "pointwise"));
  PetscCall(NeopCheckpointWriteAttrReal(ck, "/normalizer/a", "eps", 1e-5));
  PetscCall(NeopCheckpointCommit(&ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool same_floats(const float *a, const float *b, int64_t n) { return memcmp(a, b, (size_t)n * sizeof(float)) ? PETSC_FALSE : PETSC_TRUE; }

/* Runs the call with errors returned; checks it failed with a message containing both strings. */
#define EXPECT_ERROR(call, s1, s2, what) \
  do { \
    PetscErrorCode ierr_; \
    char          *msg_ = NULL; \
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL)); \
    ierr_ = (call); \
    PetscCall(PetscPopErrorHandler()); \
    if (ierr_) PetscErrorMessage(ierr_, NULL, &msg_); \
    NeopTestCheck(ierr_ && strstr(msg_, s1) && strstr(msg_, s2), "%s: %s", what, ierr_ ? msg_ : "accepted"); \
  } while (0)

static PetscErrorCode copy_file(const char *from, const char *to, long keep)
{
  FILE  *f, *g;
  char  *buf;
  long   n;

  PetscFunctionBegin;
  f = fopen(from, "rb");
  PetscCheck(f, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot open %s", from);
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fseek(f, 0, SEEK_SET);
  PetscCall(PetscMalloc1(n, &buf));
  PetscCheck(fread(buf, 1, (size_t)n, f) == (size_t)n, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "cannot read %s", from);
  fclose(f);
  g = fopen(to, "wb");
  PetscCheck(g, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create %s", to);
  fwrite(buf, 1, (size_t)(keep < 0 ? n : PetscMin(keep, n)), g);
  fclose(g);
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static long file_size(const char *path)
{
  FILE *f = fopen(path, "rb");
  long  n;
  if (!f) return -1;
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  fclose(f);
  return n;
}

/* Flips one bit of the stored data of a dataset (found with H5Dget_offset). */
static PetscErrorCode flip_data_byte(const char *path, const char *dataset, long at)
{
  hid_t   f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT), d = H5Dopen2(f, dataset, H5P_DEFAULT);
  haddr_t off = H5Dget_offset(d);
  FILE   *fp;
  int     c;

  PetscFunctionBegin;
  H5Dclose(d);
  H5Fclose(f);
  PetscCheck(off != HADDR_UNDEF, PETSC_COMM_SELF, PETSC_ERR_PLIB, "%s: no contiguous storage", dataset);
  fp = fopen(path, "r+b");
  fseek(fp, (long)off + at, SEEK_SET);
  c = fgetc(fp);
  fseek(fp, (long)off + at, SEEK_SET);
  fputc(c ^ 0x10, fp);
  fclose(fp);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode set_string_attr(const char *path, const char *obj, const char *name, const char *value)
{
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT), o = H5Oopen(f, obj, H5P_DEFAULT), t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a;

  PetscFunctionBegin;
  H5Tset_size(t, strlen(value));
  H5Adelete(o, name);
  a = H5Acreate2(o, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(H5Awrite(a, t, value) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot edit %s", path);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
  H5Oclose(o);
  H5Fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  const char   *mopts = "-model mlp -model_seed 3 -mlp_width 5 -mlp_depth 1 -mlp_activation tanh";
  const char   *oopts = "-optim adam -lr 0.01 -weight_decay 0.01";
  NeopModel     m, m2;
  NeopOptimizer opt, opt2;
  PetscMPIInt   rank;
  float        *saved; /* [total] the parameters as saved in a.h5 */

  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  snprintf(dir, sizeof(dir), "ckpt_test_%d", (int)getpid());
  PetscCallMPI(MPI_Bcast(dir, sizeof(dir), MPI_CHAR, 0, PETSC_COMM_WORLD));
  if (!rank) PetscCheck(!mkdir(dir, 0755), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create %s", dir);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* the test edits files with HDF5; errors are reported by neop */

  PetscCall(make_model(mopts, &m));
  PetscCall(make_optimizer(m, oopts, &opt));
  PetscCall(train_a_little(m, opt, 3));
  PetscCall(save(tpath("a.h5"), m, opt));
  PetscCall(PetscMalloc1(m->params->total, &saved));
  PetscCall(PetscArraycpy(saved, m->params->data, m->params->total));

  { /* round trip; the command line's -mlp_width neither changes the model nor is marked used */
    NeopCheckpoint ck;
    PetscBool      found, same = PETSC_TRUE, used = PETSC_TRUE, set = PETSC_TRUE;
    float         *mean, *m1, *v1, *m2v, *v2;
    double        *loss, eps;
    int            ndim, shape[NEOP_MAX_DIMS], n;
    int64_t        step, epoch;
    char           kind[32];

    PetscCall(PetscOptionsSetValue(NULL, "-mlp_width", "99"));
    PetscCall(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("a.h5"), &ck));
    PetscCall(NeopCheckpointReadModel(ck, &m2));
    PetscCall(PetscOptionsUsed(NULL, "-mlp_width", &used));
    PetscCall(PetscOptionsClearValue(NULL, "-mlp_width"));
    PetscCall(PetscOptionsHasName(NULL, NULL, "-mlp_depth", &set));
    NeopTestCheck(!used && !set, "replayed options stay out of the global database (-mlp_width used %d, -mlp_depth set %d)", (int)used, (int)set);
    NeopTestCheck(!strcmp(m2->type, "mlp") && m2->params->n == m->params->n && m2->params->total == m->params->total &&
                    m2->noptions == m->noptions,
                  "model rebuilt: %s with %d parameters, %d options", m2->type, m2->params->n, m2->noptions);
    for (int i = 0; i < m->params->n && same; i++) {
      NeopParam *p = m->params->list[i], *q;
      PetscCall(NeopParamsFind(m2->params, p->name, &q));
      same = q && NeopTensorSameShape(&p->tensor, &q->tensor) && same_floats(p->tensor.data, q->tensor.data, p->tensor.size);
    }
    NeopTestCheck(same && same_floats(m2->params->data, saved, m->params->total), "parameters bit for bit after the round trip");
    for (int i = 0; i < m->noptions; i++)
      NeopTestCheck(!strcmp(m->option_value[i], m2->option_value[i]), "option %s: %s after the round trip, %s before", m->option_name[i],
                    m2->option_value[i], m->option_value[i]);

    PetscCall(make_optimizer(m2, oopts, &opt2));
    PetscCall(NeopCheckpointReadOptimizer(ck, opt2));
    PetscCall(NeopOptimizerGetState(opt, &m1, &v1, NULL, NULL));
    PetscCall(NeopOptimizerGetState(opt2, &m2v, &v2, &step, &epoch));
    NeopTestCheck(step == 3 && epoch == 1, "optimizer counters step %lld epoch %lld", (long long)step, (long long)epoch);
    NeopTestCheck(same_floats(m1, m2v, m->params->total) && same_floats(v1, v2, m->params->total), "optimizer moments bit for bit");
    /* the next step agrees too */
    PetscCall(fake_gradients(m, 7));
    PetscCall(fake_gradients(m2, 7));
    PetscCall(NeopOptimizerStep(opt));
    PetscCall(NeopOptimizerStep(opt2));
    NeopTestCheck(same_floats(m->params->data, m2->params->data, m->params->total), "a step after resuming is bit for bit the same");

    PetscCall(NeopCheckpointReadArray(ck, "/normalizer/a/mean", &ndim, shape, &mean, &found));
    NeopTestCheck(found && ndim == 2 && shape[0] == 3 && shape[1] == 4 && mean[11] == 5.5f, "array round trip");
    PetscCall(PetscFree(mean));
    PetscCall(NeopCheckpointReadArray(ck, "/normalizer/u/mean", &ndim, shape, &mean, &found));
    NeopTestCheck(!found && !mean, "an absent array is reported absent");
    PetscCall(NeopCheckpointReadSeries(ck, "/history/train_loss", &n, &loss, &found));
    NeopTestCheck(found && n == 3 && loss[0] == 1.5 && loss[2] == 0.125, "series round trip");
    PetscCall(PetscFree(loss));
    PetscCall(NeopCheckpointReadAttrString(ck, "/normalizer/a", "kind", kind, sizeof(kind), &found));
    NeopTestCheck(found && !strcmp(kind, "pointwise"), "string attribute round trip: %s", kind);
    PetscCall(NeopCheckpointReadAttrReal(ck, "/normalizer/a", "eps", &eps, &found));
    NeopTestCheck(found && eps == 1e-5, "real attribute round trip");
    PetscCall(NeopCheckpointReadAttrReal(ck, "/normalizer/a", "nothing", &eps, &found));
    NeopTestCheck(!found, "an absent attribute is reported absent");

    { /* an sgd optimizer does not take adam's state */
      NeopOptimizer sgd;
      PetscCall(make_optimizer(m2, "-optim sgd -momentum 0.9", &sgd));
      EXPECT_ERROR(NeopCheckpointReadOptimizer(ck, sgd), "a.h5", "adam", "adam state into sgd refused");
      PetscCall(NeopOptimizerDestroy(&sgd));
    }
    PetscCall(NeopCheckpointClose(&ck));
    PetscCall(NeopOptimizerDestroy(&opt2));
    PetscCall(NeopModelDestroy(&m2));
  }

  if (!rank) { /* damaged copies, made by rank 0 */
    PetscCall(copy_file(tpath("a.h5"), tpath("truncated.h5"), file_size(tpath("a.h5")) / 2));
    PetscCall(copy_file(tpath("a.h5"), tpath("flipped.h5"), -1));
    PetscCall(flip_data_byte(tpath("flipped.h5"), "/params/fc0.weight", 5));
    PetscCall(copy_file(tpath("a.h5"), tpath("flipped_m.h5"), -1));
    PetscCall(flip_data_byte(tpath("flipped_m.h5"), "/optimizer/m", 2));
    PetscCall(copy_file(tpath("a.h5"), tpath("wider.h5"), -1));
    PetscCall(set_string_attr(tpath("wider.h5"), "/model", "-mlp_width", "7"));
    FILE *f = fopen(tpath("text.h5"), "w");
    fputs("not hdf5\n", f);
    fclose(f);
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  {
    NeopCheckpoint ck = NULL;
    NeopModel      mw = NULL;
    EXPECT_ERROR(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("truncated.h5"), &ck), "truncated.h5", "truncated or corrupted", "truncated file refused");
    EXPECT_ERROR(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("flipped.h5"), &ck), "flipped.h5", "parameter checksum mismatch (corrupted)",
                 "flipped parameter byte refused");
    EXPECT_ERROR(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("flipped_m.h5"), &ck), "flipped_m.h5", "optimizer checksum mismatch (corrupted)",
                 "flipped optimizer byte refused");
    EXPECT_ERROR(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("text.h5"), &ck), "text.h5", "not an HDF5 file", "text file refused");
    EXPECT_ERROR(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("missing.h5"), &ck), "missing.h5", "cannot read", "missing file refused");
    {
      const char *dirf = getenv("NEOP_FIXTURES");
      char        fx[PETSC_MAX_PATH_LEN];
      PetscCall(PetscSNPrintf(fx, sizeof(fx), "%s/optim.h5", dirf ? dirf : "tests/fixtures"));
      EXPECT_ERROR(NeopCheckpointOpen(PETSC_COMM_WORLD, fx, &ck), "optim.h5", "not a neop checkpoint", "foreign HDF5 file refused");
    }
    NeopTestCheck(!ck, "no handle after a refusal");
    /* the options are not under the checksum: a changed width is caught by the shapes */
    PetscCall(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("wider.h5"), &ck));
    EXPECT_ERROR(NeopCheckpointReadModel(ck, &mw), "wider.h5", "parameter fc0.weight has shape (5, 3) in the file but (7, 3) in the model",
                 "shape mismatch names the parameter and both shapes");
    PetscCall(NeopCheckpointClose(&ck));
  }

  { /* an abandoned write leaves the previous file in place and no temporary */
    NeopCheckpoint ck, rd;
    NeopModel      other, back;
    PetscBool      tmp_seen = PETSC_FALSE, same;
    char           tmp[PETSC_MAX_PATH_LEN];

    PetscCall(make_model("-model mlp -model_seed 11 -mlp_width 5 -mlp_depth 1", &other));
    PetscCall(NeopCheckpointCreate(PETSC_COMM_WORLD, tpath("a.h5"), &ck));
    PetscCall(NeopCheckpointWriteModel(ck, other));
    if (!rank) {
      int pid = (int)getpid();
      PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp.%d", tpath("a.h5"), pid));
      tmp_seen = access(tmp, F_OK) == 0 ? PETSC_TRUE : PETSC_FALSE;
    }
    PetscCallMPI(MPI_Bcast(&tmp_seen, 1, MPIU_BOOL, 0, PETSC_COMM_WORLD));
    NeopTestCheck(tmp_seen, "a write in progress goes to <path>.tmp.<pid>");
    PetscCall(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("a.h5"), &rd)); /* while the new one is being written */
    PetscCall(NeopCheckpointReadModel(rd, &back));
    PetscCall(NeopCheckpointClose(&rd));
    same = same_floats(back->params->data, saved, m->params->total);
    PetscCall(NeopModelDestroy(&back));
    PetscCall(NeopCheckpointClose(&ck)); /* abandoned, as if the run had stopped */
    if (!rank) tmp_seen = access(tmp, F_OK) == 0 ? PETSC_TRUE : PETSC_FALSE;
    PetscCallMPI(MPI_Bcast(&tmp_seen, 1, MPIU_BOOL, 0, PETSC_COMM_WORLD));
    NeopTestCheck(!tmp_seen, "an abandoned write removes its temporary file");
    NeopTestCheck(same, "while a new checkpoint is written, the previous one is read intact from the final path");
    PetscCall(NeopCheckpointOpen(PETSC_COMM_WORLD, tpath("a.h5"), &rd));
    PetscCall(NeopCheckpointReadModel(rd, &back));
    PetscCall(NeopCheckpointClose(&rd));
    NeopTestCheck(same_floats(back->params->data, saved, m->params->total), "after the abandoned write the previous checkpoint is unchanged");
    PetscCall(NeopModelDestroy(&back));
    /* a new path that was never committed does not exist */
    PetscCall(NeopCheckpointCreate(PETSC_COMM_WORLD, tpath("never.h5"), &ck));
    PetscCall(NeopCheckpointWriteModel(ck, other));
    PetscCall(NeopCheckpointClose(&ck));
    NeopTestCheck(access(tpath("never.h5"), F_OK) != 0, "an abandoned first write leaves no file at the final path");
    PetscCall(NeopModelDestroy(&other));
  }

  PetscCall(PetscFree(saved));
  PetscCall(NeopOptimizerDestroy(&opt));
  PetscCall(NeopModelDestroy(&m));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (!rank) {
    const char *files[] = {"a.h5", "truncated.h5", "flipped.h5", "flipped_m.h5", "wider.h5", "text.h5"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) unlink(tpath(files[i]));
    rmdir(dir);
  }
  return NeopTestFinalize();
}
