/* NeopDatasetLoad: rank 0 plans the file (format, keys, shapes), every rank
   reads its contiguous block of samples, and all ranks agree on errors. */
#include "io/dataset_impl.h"
#include <neop/log.h>
#include <neop/neop_config.h>
#include <limits.h>
#include <math.h>

static PetscLogEvent ev_read;

PetscErrorCode NeopCollectError(MPI_Comm comm, PetscErrorCode ierr)
{
  PetscMPIInt rank, root;
  char        msg[1024] = "";
  int         code      = (int)ierr;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  root = ierr ? rank : INT_MAX;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &root, 1, MPI_INT, MPI_MIN, comm));
  if (root == INT_MAX) PetscFunctionReturn(PETSC_SUCCESS);
  if (rank == root) {
    char *specific = NULL;
    PetscErrorMessage(ierr, NULL, &specific);
    PetscCall(PetscStrncpy(msg, specific ? specific : "unknown error", sizeof(msg)));
  }
  PetscCallMPI(MPI_Bcast(msg, sizeof(msg), MPI_CHAR, root, comm));
  PetscCallMPI(MPI_Bcast(&code, 1, MPI_INT, root, comm));
  SETERRQ(comm, code, "%s", msg);
}

PetscErrorCode NeopPlanFile(const char *path, const char *a_key, const char *u_key, NeopDataPlan *plan)
{
  hid_t          f = -1;
  PetscErrorCode ierr;
  char           ga[64] = "", gu[64] = "";

  PetscFunctionBegin;
  PetscCall(PetscMemzero(plan, sizeof(*plan)));
  PetscCall(NeopFileDetect(path, &plan->kind));
  switch (plan->kind) {
  case NEOP_FILE_MAT5:
    PetscCall(NeopPlanMat5(path, a_key, u_key, plan));
    break;
  case NEOP_FILE_CHECKPOINT:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: a neop checkpoint, not a data file", path);
  case NEOP_FILE_HDF5:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
            "%s: HDF5 but not a neop data file (no neop_schema attribute), PDEBench file (no 'tensor') or MATLAB v7.3 file (no MAT header); see docs/data.md",
            path);
  default:
    PetscCall(NeopH5OpenSelf(path, &f));
    NeopH5Quiet(PETSC_TRUE);
    ierr = plan->kind == NEOP_FILE_NEOP       ? NeopPlanNeop(path, f, a_key, u_key, plan)
         : plan->kind == NEOP_FILE_PDEBENCH ? NeopPlanPDEBench(path, f, a_key, u_key, plan)
                                             : NeopPlanMat73(path, f, a_key, u_key, plan);
    NeopH5Quiet(PETSC_FALSE);
    H5Fclose(f);
    PetscCall(ierr);
  }
  /* a and u must describe the same samples on the same grid */
  const NeopField *a = &plan->a, *u = &plan->u;
  PetscCheck(a->dim == plan->dim, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: input '%s' has %d spatial axes, expected %d", path,
             a->key, a->dim, plan->dim);
  plan->nsamples = a->samples;
  if (!u->rank) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(u->samples == a->samples, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: input '%s' has %lld samples but target '%s' has %lld", path, a->key, (long long)a->samples, u->key,
             (long long)u->samples);
  PetscBool same = u->dim == a->dim ? PETSC_TRUE : PETSC_FALSE;
  for (int k = 0; k < a->dim && same; k++) same = a->space[k] == u->space[k] ? PETSC_TRUE : PETSC_FALSE;
  if (!same) {
    for (int k = 0; k < a->dim; k++) PetscCall(PetscSNPrintf(ga + strlen(ga), sizeof(ga) - strlen(ga), k ? " x %lld" : "%lld", (long long)a->space[k]));
    for (int k = 0; k < u->dim; k++) PetscCall(PetscSNPrintf(gu + strlen(gu), sizeof(gu) - strlen(gu), k ? " x %lld" : "%lld", (long long)u->space[k]));
  }
  PetscCheck(same, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: grids of input '%s' (%s) and target '%s' (%s) disagree", path,
             a->key, ga, u->key, gu);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPlanFileCollective(MPI_Comm comm, const char *path, const char *a_key, const char *u_key, NeopDataPlan *plan)
{
  PetscMPIInt    rank;
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = NeopPlanFile(path, a_key, u_key, plan);
    PetscCall(PetscPopErrorHandler());
  }
  PetscCall(NeopCollectError(comm, ierr));
  PetscCallMPI(MPI_Bcast(plan, sizeof(*plan), MPI_BYTE, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Global index (in the file) of the first sample holding a NaN or Inf, or -1. */
static int64_t first_bad_sample(const float *v, int64_t n, int64_t per_sample, int64_t first_in_file)
{
  for (int64_t s = 0; s < n; s++)
    for (int64_t i = 0; i < per_sample; i++)
      if (!isfinite(v[s * per_sample + i])) return first_in_file + s;
  return -1;
}

static PetscErrorCode check_finite(MPI_Comm comm, const char *path, const NeopField *f, const float *v, int64_t n,
                                   int64_t per_sample, int64_t first_in_file)
{
  long long bad = first_bad_sample(v, n, per_sample, first_in_file);

  PetscFunctionBegin;
  if (bad < 0) bad = LLONG_MAX;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_LONG_LONG, MPI_MIN, comm));
  PetscCheck(bad == LLONG_MAX, comm, PETSC_ERR_FP, "%s: dataset '%s' holds NaN or Inf values, first in sample %lld", path,
             f->name, bad);
  PetscFunctionReturn(PETSC_SUCCESS);
}

#if NEOP_HAVE_PARALLEL_HDF5
/* Every rank reads its own block; one collective hyperslab read per field. */
static PetscErrorCode read_collective(MPI_Comm comm, const char *path, const NeopDataPlan *plan, int sub, int64_t n0, int64_t n,
                                      float *a, float *u)
{
  hid_t          fapl, dxpl, file;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  NeopH5Quiet(PETSC_TRUE);
  file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
  NeopH5Quiet(PETSC_FALSE);
  H5Pclose(fapl);
  if (file < 0) H5Pclose(dxpl);
  PetscCheck(file >= 0, comm, PETSC_ERR_FILE_READ, "%s: cannot be opened with parallel HDF5", path);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = NeopFieldReadH5(path, file, dxpl, &plan->a, sub, n0, n, a);
  if (!ierr && u) ierr = NeopFieldReadH5(path, file, dxpl, &plan->u, sub, n0, n, u);
  PetscCall(PetscPopErrorHandler());
  H5Pclose(dxpl);
  H5Fclose(file);
  PetscCall(NeopCollectError(comm, ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
#endif

/* Rank 0 reads block r (n values per field as given) for every rank r. */
static PetscErrorCode read_block_self(const char *path, const NeopDataPlan *plan, hid_t file, int sub, int64_t n0, int64_t n,
                                      float *a, float *u)
{
  PetscFunctionBegin;
  if (plan->kind == NEOP_FILE_MAT5) {
    PetscCall(NeopFieldReadMat5(path, &plan->a, sub, n0, n, a));
    if (u) PetscCall(NeopFieldReadMat5(path, &plan->u, sub, n0, n, u));
  } else {
    PetscCall(NeopFieldReadH5(path, file, H5P_DEFAULT, &plan->a, sub, n0, n, a));
    if (u) PetscCall(NeopFieldReadH5(path, file, H5P_DEFAULT, &plan->u, sub, n0, n, u));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Large messages go in pieces below INT_MAX elements. */
static PetscErrorCode send_floats(MPI_Comm comm, const float *v, int64_t n, int dest)
{
  PetscFunctionBegin;
  for (int64_t o = 0; o < n; o += INT_MAX / 2) PetscCallMPI(MPI_Send(v + o, (int)PetscMin(n - o, INT_MAX / 2), MPI_FLOAT, dest, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode recv_floats(MPI_Comm comm, float *v, int64_t n)
{
  PetscFunctionBegin;
  for (int64_t o = 0; o < n; o += INT_MAX / 2)
    PetscCallMPI(MPI_Recv(v + o, (int)PetscMin(n - o, INT_MAX / 2), MPI_FLOAT, 0, 0, comm, MPI_STATUS_IGNORE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 reads every rank's block in turn and sends it; a status message
   before each block lets the others stop when rank 0 fails. */
static PetscErrorCode read_root(MPI_Comm comm, const char *path, const NeopDataPlan *plan, int sub, const int64_t *starts,
                                const int64_t *counts, int64_t sa, int64_t su, float *a, float *u)
{
  PetscMPIInt    rank, size;
  PetscErrorCode ierr = PETSC_SUCCESS;
  int            status;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  if (!rank) {
    hid_t  file = -1;
    float *ta = NULL, *tu = NULL;
    int64_t most = 0;
    for (int r = 1; r < size; r++) most = PetscMax(most, counts[r]);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    if (plan->kind != NEOP_FILE_MAT5) ierr = NeopH5OpenSelf(path, &file);
    if (!ierr) ierr = read_block_self(path, plan, file, sub, starts[0], counts[0], a, u);
    if (!ierr && size > 1) ierr = PetscMalloc2(most * sa + 1, &ta, most * su + 1, &tu);
    for (int r = 1; r < size; r++) {
      if (!ierr) ierr = read_block_self(path, plan, file, sub, starts[r], counts[r], ta, u ? tu : NULL);
      status = ierr ? 1 : 0;
      PetscCallMPI(MPI_Send(&status, 1, MPI_INT, r, 1, comm));
      if (ierr) continue;
      PetscCall(send_floats(comm, ta, counts[r] * sa, r));
      if (u) PetscCall(send_floats(comm, tu, counts[r] * su, r));
    }
    PetscCall(PetscPopErrorHandler());
    if (ta) PetscCall(PetscFree2(ta, tu));
    if (file >= 0) H5Fclose(file);
  } else {
    PetscCallMPI(MPI_Recv(&status, 1, MPI_INT, 0, 1, comm, MPI_STATUS_IGNORE));
    if (!status) {
      PetscCall(recv_floats(comm, a, counts[rank] * sa));
      if (u) PetscCall(recv_floats(comm, u, counts[rank] * su));
    }
  }
  PetscCall(NeopCollectError(comm, ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Point sets: every rank reads its block of /pos (or all of a shared /pos)
   on its own, read-only; small next to a and u. */
static PetscErrorCode read_positions(MPI_Comm comm, const char *path, const NeopDataPlan *plan, int64_t n0, NeopDataset *ds)
{
  const NeopField *f      = &plan->pos;
  PetscBool        shared = (PetscBool)(f->role[0] != NEOP_AXIS_SAMPLE);
  int64_t          per    = NeopFieldSampleSize(f, 1), n = shared ? 1 : ds->nlocal;
  PetscErrorCode   ierr;
  hid_t            file = -1;

  PetscFunctionBegin;
  ds->pdim       = plan->pdim;
  ds->pos_shared = shared;
  PetscCall(PetscMalloc1(n * per + 1, &ds->pos));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = NeopH5OpenSelf(path, &file);
  if (!ierr && n) ierr = NeopFieldReadH5(path, file, H5P_DEFAULT, f, 1, shared ? 0 : n0, n, ds->pos);
  PetscCall(PetscPopErrorHandler());
  if (file >= 0) H5Fclose(file);
  PetscCall(NeopCollectError(comm, ierr));
  if (shared) {
    PetscCheck(first_bad_sample(ds->pos, 1, per, 0) < 0, comm, PETSC_ERR_FP, "%s: dataset 'pos' (node coordinates shared by all samples) holds NaN or Inf values",
               path);
  } else PetscCall(check_finite(comm, path, f, ds->pos, ds->nlocal, per, n0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDatasetLoadIO(MPI_Comm comm, const char *path, const char *a_key, const char *u_key, int offset, int count,
                                 int sub, NeopDataIO io, NeopDataset **out)
{
  NeopDataPlan *plan;
  NeopDataset  *ds;
  PetscMPIInt   rank, size;
  int64_t      *starts, *counts, sa, su;

  PetscFunctionBegin;
  if (!ev_read) PetscCall(NeopLogEvent("NeopDataRead", &ev_read));
  PetscCheck(sub >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: sub-sampling factor %d must be >= 1", path, sub);
  PetscCheck(offset >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: sample offset %d must be >= 0", path, offset);
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscLogEventBegin(ev_read, 0, 0, 0, 0));
  PetscCall(PetscNew(&plan));
  PetscCall(NeopPlanFileCollective(comm, path, a_key, u_key, plan));
  PetscCheck(!plan->pdim || sub == 1, comm, PETSC_ERR_ARG_OUTOFRANGE,
             "%s: a point set (node coordinates in dataset 'pos') cannot be sub-sampled: -sub %d, use 1", path, sub);
  int64_t avail = plan->nsamples - offset;
  if (count < 0) count = (int)PetscMax(avail, 0);
  PetscCheck(count >= 1 && count <= avail, comm, PETSC_ERR_ARG_OUTOFRANGE,
             "%s: dataset '%s' has %lld samples; samples [%d, %d) were asked for", path, plan->a.name,
             (long long)plan->nsamples, offset, offset + count);
  if (io == NEOP_DATA_IO_DEFAULT) io = NEOP_HAVE_PARALLEL_HDF5 ? NEOP_DATA_IO_COLLECTIVE : NEOP_DATA_IO_ROOT;
  if (plan->kind == NEOP_FILE_MAT5) io = NEOP_DATA_IO_ROOT; /* matio is serial */
  PetscCheck(io == NEOP_DATA_IO_ROOT || NEOP_HAVE_PARALLEL_HDF5, comm, PETSC_ERR_SUP, "collective reads need parallel HDF5");

  PetscCall(PetscNew(&ds));
  ds->comm = comm;
  PetscCall(PetscStrncpy(ds->path, path, sizeof(ds->path)));
  ds->dim = plan->dim;
  for (int k = 0; k < 3; k++) ds->grid[k] = k < plan->dim ? (int)NeopSubCount(plan->a.space[k], sub) : 1;
  ds->ca      = plan->a.channels;
  ds->cu      = plan->u.rank ? plan->u.channels : 0;
  ds->nglobal = count;
  /* contiguous blocks, the first nglobal % size ranks one sample larger */
  PetscCall(PetscMalloc2(size, &starts, size, &counts));
  for (int r = 0, s = 0; r < size; r++) {
    counts[r] = count / size + (r < count % size);
    starts[r] = offset + s;
    s += (int)counts[r];
  }
  ds->first  = (int)(starts[rank] - offset);
  ds->nlocal = (int)counts[rank];
  sa         = NeopFieldSampleSize(&plan->a, sub);
  su         = plan->u.rank ? NeopFieldSampleSize(&plan->u, sub) : 0;
  PetscCall(PetscMalloc1(ds->nlocal * sa + 1, &ds->a));
  if (ds->cu) PetscCall(PetscMalloc1(ds->nlocal * su + 1, &ds->u));
#if NEOP_HAVE_PARALLEL_HDF5
  if (io == NEOP_DATA_IO_COLLECTIVE) PetscCall(read_collective(comm, path, plan, sub, starts[rank], counts[rank], ds->a, ds->u));
  else
#endif
    PetscCall(read_root(comm, path, plan, sub, starts, counts, sa, su, ds->a, ds->u));
  PetscCall(check_finite(comm, path, &plan->a, ds->a, ds->nlocal, sa, starts[rank]));
  if (ds->u) PetscCall(check_finite(comm, path, &plan->u, ds->u, ds->nlocal, su, starts[rank]));
  if (plan->pdim) PetscCall(read_positions(comm, path, plan, starts[rank], ds));
  PetscCall(PetscFree2(starts, counts));
  PetscCall(PetscFree(plan));
  PetscCall(PetscLogEventEnd(ev_read, 0, 0, 0, 0));
  *out = ds;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDatasetLoad(MPI_Comm comm, const char *path, const char *a_key, const char *u_key, int offset, int count,
                               int sub, NeopDataset **ds)
{
  PetscFunctionBegin;
  PetscCall(NeopDatasetLoadIO(comm, path, a_key, u_key, offset, count, sub, NEOP_DATA_IO_DEFAULT, ds));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDatasetDestroy(NeopDataset **ds)
{
  PetscFunctionBegin;
  if (!*ds) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*ds)->a));
  PetscCall(PetscFree((*ds)->u));
  PetscCall(PetscFree((*ds)->pos));
  PetscCall(PetscFree(*ds));
  PetscFunctionReturn(PETSC_SUCCESS);
}
