/* Checkpoints: one HDF5 file per save, layout in include/neop/checkpoint.h
   and docs/training.md. Rank 0 does all I/O with the serial HDF5 API and
   broadcasts what it reads. Its part of every call runs with PETSc errors
   returned rather than printed and HDF5's error stack silenced; every rank
   then raises rank 0's error with its message, so a bad file never leaves
   the other ranks waiting in a broadcast. */
#include <neop/checkpoint.h>
#include <neop/backend.h>
#include <neop/log.h>
#include <neop/neop_config.h>
#include "io/checkpoint_h5.h"
#include "optim/optim_impl.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define NEOP_CHECKPOINT_SCHEMA 1

struct NeopCheckpoint_s {
  MPI_Comm    comm;
  PetscMPIInt rank;
  PetscBool   writing;                 /* created, not yet committed */
  char        path[PETSC_MAX_PATH_LEN];
  char        tmp[PETSC_MAX_PATH_LEN]; /* writing: "<path>.tmp.<pid>" */
  hid_t       file;                    /* rank 0 only; H5I_INVALID_HID elsewhere */
};

static PetscLogEvent ev_io;

/* ---- rank 0 runs, everyone raises ------------------------------------- */

typedef struct {
  H5E_auto2_t func;
  void       *data;
} Quiet;

static void quiet_begin(Quiet *q)
{
  H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
}

static void quiet_end(Quiet *q)
{
  PetscPopErrorHandler();
  H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

/* Broadcasts rank 0's error code and message and raises it on every rank. */
static PetscErrorCode sync_error(MPI_Comm comm, PetscErrorCode ierr0)
{
  struct {
    int  code;
    char msg[1024];
  } e;
  PetscMPIInt rank;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&e, sizeof(e)));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank && ierr0) {
    char *spec = NULL;
    e.code     = (int)ierr0;
    PetscErrorMessage(ierr0, NULL, &spec);
    PetscCall(PetscStrncpy(e.msg, spec ? spec : "checkpoint I/O failed", sizeof(e.msg)));
  }
  PetscCallMPI(MPI_Bcast(&e, (PetscMPIInt)sizeof(e), MPI_BYTE, 0, comm));
  PetscCheck(!e.code, comm, (PetscErrorCode)e.code, "%s", e.msg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Runs 'call' on rank 0; ierr gets its error on every rank (raised, not yet returned). */
#define RANK0_STATUS(ck, call, ierr) \
  do { \
    PetscErrorCode ierr0_ = PETSC_SUCCESS; \
    if (!(ck)->rank) { \
      Quiet q_; \
      quiet_begin(&q_); \
      ierr0_ = (call); \
      quiet_end(&q_); \
    } \
    (ierr) = sync_error((ck)->comm, ierr0_); \
  } while (0)

#define RANK0(ck, call) \
  do { \
    PetscErrorCode ierr_r0_; \
    RANK0_STATUS(ck, call, ierr_r0_); \
    PetscCall(ierr_r0_); \
  } while (0)

static PetscErrorCode bcast(MPI_Comm comm, void *buf, size_t bytes)
{
  const size_t chunk = (size_t)1 << 30;

  PetscFunctionBegin;
  for (size_t off = 0; off < bytes; off += chunk) {
    size_t n = PetscMin(chunk, bytes - off);
    PetscCallMPI(MPI_Bcast((char *)buf + off, (PetscMPIInt)n, MPI_BYTE, 0, comm));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_writing(NeopCheckpoint ck, PetscBool writing)
{
  PetscFunctionBegin;
  PetscCheck(ck->writing == writing, ck->comm, PETSC_ERR_ARG_WRONGSTATE, "checkpoint %s: opened for %s", ck->path,
             ck->writing ? "writing" : "reading");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *shape_str(int ndim, const hsize_t *dims, char *buf, size_t len)
{
  size_t k = 0;
  k += (size_t)snprintf(buf + k, len - k, "(");
  for (int i = 0; i < ndim && k < len; i++) k += (size_t)snprintf(buf + k, len - k, i ? ", %llu" : "%llu", (unsigned long long)dims[i]);
  if (k < len) snprintf(buf + k, len - k, ")");
  return buf;
}

/* ---- writing ------------------------------------------------------------ */

static PetscErrorCode create_rank0(NeopCheckpoint ck)
{
  PetscFunctionBegin;
  ck->file = H5Fcreate(ck->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(ck->file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "checkpoint %s: cannot create the temporary file %s", ck->path, ck->tmp);
  PetscCall(neop_h5_write_attr_int64(ck->path, ck->file, "neop_schema", NEOP_CHECKPOINT_SCHEMA));
  PetscCall(neop_h5_write_attr_string(ck->path, ck->file, "neop_version", NEOP_VERSION));
  PetscCall(neop_h5_write_attr_string(ck->path, ck->file, "kind", "checkpoint"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointCreate(MPI_Comm comm, const char *path, NeopCheckpoint *ck)
{
  NeopCheckpoint c;
  int            pid = (int)getpid();

  PetscFunctionBegin;
  if (!ev_io) PetscCall(NeopLogEvent("NeopCheckpointIO", &ev_io));
  PetscCall(PetscNew(&c));
  c->comm    = comm;
  c->writing = PETSC_TRUE;
  c->file    = H5I_INVALID_HID;
  PetscCallMPI(MPI_Comm_rank(comm, &c->rank));
  PetscCallMPI(MPI_Bcast(&pid, 1, MPI_INT, 0, comm));
  PetscCall(PetscStrncpy(c->path, path, sizeof(c->path)));
  PetscCall(PetscSNPrintf(c->tmp, sizeof(c->tmp), "%s.tmp.%d", path, pid));
  *ck = c;
  PetscCall(PetscLogEventBegin(ev_io, 0, 0, 0, 0));
  RANK0(c, create_rank0(c));
  PetscCall(PetscLogEventEnd(ev_io, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_model_rank0(NeopCheckpoint ck, NeopModel m, const float *host)
{
  hid_t g;

  PetscFunctionBegin;
  PetscCall(neop_h5_group(ck->path, ck->file, "/model", &g));
  PetscCall(neop_h5_write_attr_string(ck->path, g, "type", m->type));
  PetscCall(neop_h5_write_attr_int64(ck->path, g, "dim", m->dim));
  PetscCall(neop_h5_write_attr_int64(ck->path, g, "in_channels", m->in_channels));
  PetscCall(neop_h5_write_attr_int64(ck->path, g, "out_channels", m->out_channels));
  if (m->point_set) PetscCall(neop_h5_write_attr_int64(ck->path, g, "point_set", 1));
  PetscCall(neop_h5_write_attr_int64(ck->path, g, "parameter_count", NeopModelParameterCount(m)));
  /* the recorded options keep their leading '-': that is how they are found again */
  for (int i = 0; i < m->noptions; i++) PetscCall(neop_h5_write_attr_string(ck->path, g, m->option_name[i], m->option_value[i]));
  H5Gclose(g);
  for (int i = 0; i < m->params->n; i++) {
    NeopParam *p = m->params->list[i];
    hsize_t    dims[NEOP_MAX_DIMS];
    char       name[128];
    for (int d = 0; d < p->tensor.ndim; d++) dims[d] = (hsize_t)p->tensor.shape[d];
    PetscCall(PetscSNPrintf(name, sizeof(name), "/params/%s", p->name));
    PetscCall(neop_h5_write_dataset(ck->path, ck->file, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, p->tensor.ndim, dims, host + p->offset));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointWriteModel(NeopCheckpoint ck, NeopModel m)
{
  float *host; /* [total] the flat parameter buffer */

  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_TRUE));
  PetscCheck(m->setup_called, ck->comm, PETSC_ERR_ARG_WRONGSTATE, "checkpoint %s: the model is not set up", ck->path);
  PetscCall(PetscLogEventBegin(ev_io, 0, 0, 0, 0));
  PetscCall(PetscMalloc1(m->params->total + 1, &host));
  PetscCall(NeopBackendGet()->to_host(host, m->params->data, (size_t)m->params->total * sizeof(float)));
  RANK0(ck, write_model_rank0(ck, m, host));
  PetscCall(PetscFree(host));
  PetscCall(PetscLogEventEnd(ev_io, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_optimizer_rank0(NeopCheckpoint ck, NeopOptimizer opt, const float *m, const float *v)
{
  hid_t   g;
  hsize_t n = (hsize_t)opt->params->total;

  PetscFunctionBegin;
  PetscCall(neop_h5_group(ck->path, ck->file, "/optimizer", &g));
  PetscCall(neop_h5_write_attr_string(ck->path, g, "method", NeopOptimMethods[opt->method]));
  PetscCall(neop_h5_write_attr_int64(ck->path, g, "step", opt->step));
  PetscCall(neop_h5_write_attr_int64(ck->path, g, "epoch", opt->epoch));
  PetscCall(neop_h5_write_attr_int64(ck->path, g, "horizon_epochs", opt->epochs));
  PetscCall(neop_h5_write_attr_int64(ck->path, g, "horizon_steps_per_epoch", opt->steps_per_epoch));
  for (int i = 0; i < opt->noptions; i++) PetscCall(neop_h5_write_attr_string(ck->path, g, opt->option_name[i], opt->option_value[i]));
  H5Gclose(g);
  if (m) PetscCall(neop_h5_write_dataset(ck->path, ck->file, "/optimizer/m", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, &n, m));
  if (v) PetscCall(neop_h5_write_dataset(ck->path, ck->file, "/optimizer/v", H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, 1, &n, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointWriteOptimizer(NeopCheckpoint ck, NeopOptimizer opt)
{
  const NeopBackend *be    = NeopBackendGet();
  size_t             bytes = (size_t)opt->params->total * sizeof(float);
  float             *m = NULL, *v = NULL; /* [total] host copies of the moments */

  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_TRUE));
  PetscCall(PetscLogEventBegin(ev_io, 0, 0, 0, 0));
  if (opt->m) {
    PetscCall(PetscMalloc1(opt->params->total + 1, &m));
    PetscCall(be->to_host(m, opt->m, bytes));
  }
  if (opt->v) {
    PetscCall(PetscMalloc1(opt->params->total + 1, &v));
    PetscCall(be->to_host(v, opt->v, bytes));
  }
  RANK0(ck, write_optimizer_rank0(ck, opt, m, v));
  PetscCall(PetscFree(m));
  PetscCall(PetscFree(v));
  PetscCall(PetscLogEventEnd(ev_io, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointWriteArray(NeopCheckpoint ck, const char *name, int ndim, const int *shape, const float *v)
{
  hsize_t dims[NEOP_MAX_DIMS];

  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_TRUE));
  PetscCheck(ndim >= 0 && ndim <= NEOP_MAX_DIMS, ck->comm, PETSC_ERR_ARG_OUTOFRANGE, "checkpoint %s: array %s of %d dims", ck->path, name, ndim);
  for (int d = 0; d < ndim; d++) dims[d] = (hsize_t)shape[d];
  RANK0(ck, neop_h5_write_dataset(ck->path, ck->file, name, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, ndim, dims, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointWriteSeries(NeopCheckpoint ck, const char *name, int n, const double *v)
{
  hsize_t dims[1] = {(hsize_t)n};

  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_TRUE));
  RANK0(ck, neop_h5_write_dataset(ck->path, ck->file, name, H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE, 1, dims, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_attr_rank0(NeopCheckpoint ck, const char *group, const char *name, const char *s, const double *x)
{
  hid_t g;

  PetscFunctionBegin;
  PetscCall(neop_h5_group(ck->path, ck->file, group, &g));
  if (s) PetscCall(neop_h5_write_attr_string(ck->path, g, name, s));
  else PetscCall(neop_h5_write_attr_double(ck->path, g, name, *x));
  H5Gclose(g);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointWriteAttrString(NeopCheckpoint ck, const char *group, const char *name, const char *value)
{
  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_TRUE));
  RANK0(ck, write_attr_rank0(ck, group, name, value, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointWriteAttrReal(NeopCheckpoint ck, const char *group, const char *name, double value)
{
  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_TRUE));
  RANK0(ck, write_attr_rank0(ck, group, name, NULL, &value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode commit_rank0(NeopCheckpoint ck)
{
  uint32_t crc[3];
  herr_t   st;
  int      fd;

  PetscFunctionBegin;
  /* the sums are taken over what the file holds, read back */
  PetscCall(neop_h5_checksums(ck->path, ck->file, crc));
  PetscCall(neop_h5_write_attr_uint32(ck->path, ck->file, "checksum", crc[0]));
  PetscCall(neop_h5_write_attr_uint32(ck->path, ck->file, "checksum_optimizer", crc[1]));
  PetscCall(neop_h5_write_attr_uint32(ck->path, ck->file, "checksum_arrays", crc[2]));
  st       = H5Fclose(ck->file);
  ck->file = H5I_INVALID_HID;
  PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "checkpoint %s: closing %s failed", ck->path, ck->tmp);
  /* on disk before it takes the final name */
  fd = open(ck->tmp, O_RDONLY);
  PetscCheck(fd >= 0 && !fsync(fd), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "checkpoint %s: cannot sync %s: %s", ck->path, ck->tmp, strerror(errno));
  close(fd);
  PetscCheck(!rename(ck->tmp, ck->path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "checkpoint %s: cannot rename %s into place: %s", ck->path,
             ck->tmp, strerror(errno));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointCommit(NeopCheckpoint *ck)
{
  PetscFunctionBegin;
  PetscCall(check_writing(*ck, PETSC_TRUE));
  PetscCall(PetscLogEventBegin(ev_io, 0, 0, 0, 0));
  RANK0(*ck, commit_rank0(*ck));
  (*ck)->writing = PETSC_FALSE;
  PetscCall(PetscLogEventEnd(ev_io, 0, 0, 0, 0));
  PetscCall(NeopCheckpointClose(ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- reading ------------------------------------------------------------ */

static PetscErrorCode open_rank0(NeopCheckpoint ck)
{
  char      kind[64];
  int64_t   schema;
  double    stored[3];
  uint32_t  crc[3];
  PetscBool found;
  const char *attr[3] = {"checksum", "checksum_optimizer", "checksum_arrays"};
  const char *what[3] = {"parameter", "optimizer", "array"};

  PetscFunctionBegin;
  PetscCheck(!access(ck->path, R_OK), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "checkpoint %s: cannot read: %s", ck->path, strerror(errno));
  PetscCheck(H5Fis_hdf5(ck->path) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: not an HDF5 file (truncated or corrupted?)",
             ck->path);
  ck->file = H5Fopen(ck->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(ck->file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "checkpoint %s: HDF5 cannot open it (truncated or corrupted?)", ck->path);
  PetscCall(neop_h5_read_attr_string(ck->path, ck->file, "kind", kind, sizeof(kind), &found));
  PetscCheck(found && !strcmp(kind, "checkpoint"), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "checkpoint %s: not a neop checkpoint (root attribute kind is %s%s%s, expected \"checkpoint\")", ck->path, found ? "\"" : "",
             found ? kind : "absent", found ? "\"" : "");
  PetscCall(neop_h5_read_attr_int64(ck->path, ck->file, "neop_schema", &schema, &found));
  PetscCheck(found && schema == NEOP_CHECKPOINT_SCHEMA, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "checkpoint %s: neop_schema %lld, this neop reads %d", ck->path, found ? (long long)schema : -1LL, NEOP_CHECKPOINT_SCHEMA);
  for (int i = 0; i < 3; i++) {
    PetscCall(neop_h5_read_attr_double(ck->path, ck->file, attr[i], &stored[i], &found));
    PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: no %s attribute (an incomplete write?)", ck->path, attr[i]);
  }
  PetscCall(neop_h5_checksums(ck->path, ck->file, crc));
  for (int i = 0; i < 3; i++)
    PetscCheck(stored[i] == (double)crc[i], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: %s checksum mismatch (corrupted)",
               ck->path, what[i]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointOpen(MPI_Comm comm, const char *path, NeopCheckpoint *ck)
{
  NeopCheckpoint c;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  if (!ev_io) PetscCall(NeopLogEvent("NeopCheckpointIO", &ev_io));
  *ck = NULL;
  PetscCall(PetscNew(&c));
  c->comm = comm;
  c->file = H5I_INVALID_HID;
  PetscCallMPI(MPI_Comm_rank(comm, &c->rank));
  PetscCall(PetscStrncpy(c->path, path, sizeof(c->path)));
  PetscCall(PetscLogEventBegin(ev_io, 0, 0, 0, 0));
  RANK0_STATUS(c, open_rank0(c), ierr);
  if (ierr) {
    if (c->file >= 0) H5Fclose(c->file);
    PetscCall(PetscFree(c));
  }
  PetscCall(ierr);
  PetscCall(PetscLogEventEnd(ev_io, 0, 0, 0, 0));
  *ck = c;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* What rebuilds a model: shape and the recorded options. */
typedef struct {
  char    type[32];
  int64_t dim, in_channels, out_channels;
  int64_t point_set; /* 1: a model of point sets (absent: 0) */
  int     noptions;
  char    name[NEOP_MAX_OPTIONS][64];
  char    value[NEOP_MAX_OPTIONS][256];
} ModelRecord;

static herr_t option_names(hid_t obj, const char *name, const H5A_info_t *info, void *data)
{
  ModelRecord *r = (ModelRecord *)data;

  if (name[0] != '-') return 0;
  if (r->noptions == NEOP_MAX_OPTIONS || strlen(name) >= sizeof(r->name[0])) return -1;
  snprintf(r->name[r->noptions++], sizeof(r->name[0]), "%s", name);
  return 0;
}

static PetscErrorCode read_model_record_rank0(NeopCheckpoint ck, ModelRecord *r)
{
  PetscBool found, f1, f2, f3;
  hid_t     g;

  PetscFunctionBegin;
  PetscCall(neop_h5_exists(ck->file, "/model", &found));
  PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: no /model group (not a model checkpoint)", ck->path);
  g = H5Gopen2(ck->file, "/model", H5P_DEFAULT);
  PetscCall(neop_h5_read_attr_string(ck->path, g, "type", r->type, sizeof(r->type), &found));
  PetscCall(neop_h5_read_attr_int64(ck->path, g, "dim", &r->dim, &f1));
  PetscCall(neop_h5_read_attr_int64(ck->path, g, "in_channels", &r->in_channels, &f2));
  PetscCall(neop_h5_read_attr_int64(ck->path, g, "out_channels", &r->out_channels, &f3));
  PetscCheck(found && f1 && f2 && f3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "checkpoint %s: /model lacks one of the attributes type, dim, in_channels, out_channels", ck->path);
  PetscCall(neop_h5_read_attr_int64(ck->path, g, "point_set", &r->point_set, &f1));
  if (!f1) r->point_set = 0;
  PetscCheck(H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, NULL, option_names, r) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "checkpoint %s: /model has more than %d options or an option name too long", ck->path, NEOP_MAX_OPTIONS);
  for (int i = 0; i < r->noptions; i++) PetscCall(neop_h5_read_attr_string(ck->path, g, r->name[i], r->value[i], sizeof(r->value[0]), &found));
  H5Gclose(g);
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  NeopParams *params;
  char        extra[128]; /* a dataset under /params the model does not have */
} ParamVisit;

static herr_t extra_params(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
  ParamVisit *pv = (ParamVisit *)data;
  NeopParam  *p  = NULL;
  hid_t       o  = H5Oopen(group, name, H5P_DEFAULT);
  int         ds = o >= 0 && H5Iget_type(o) == H5I_DATASET;

  if (o >= 0) H5Oclose(o);
  if (!ds) return 0;
  for (int i = 0; i < pv->params->n && !p; i++)
    if (!strcmp(pv->params->list[i]->name, name)) p = pv->params->list[i];
  if (p) return 0;
  snprintf(pv->extra, sizeof(pv->extra), "%s", name);
  return 1; /* stop: found one */
}

static PetscErrorCode read_params_rank0(NeopCheckpoint ck, NeopModel m, float *host)
{
  ParamVisit pv;
  hid_t      g;
  herr_t     st;

  PetscFunctionBegin;
  for (int i = 0; i < m->params->n; i++) {
    NeopParam *p = m->params->list[i];
    hsize_t    dims[8], want[NEOP_MAX_DIMS];
    char       name[128], bf[96], bm[96];
    PetscBool  found, same;
    hid_t      d, s;
    int        nd;

    PetscCall(PetscSNPrintf(name, sizeof(name), "/params/%s", p->name));
    PetscCall(neop_h5_exists(ck->file, name, &found));
    PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: parameter %s of model %s is missing", ck->path, p->name, m->type);
    d  = H5Dopen2(ck->file, name, H5P_DEFAULT);
    s  = d >= 0 ? H5Dget_space(d) : -1;
    nd = s >= 0 ? H5Sget_simple_extent_dims(s, dims, NULL) : -1;
    PetscCheck(nd >= 0 && nd <= 8, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: cannot read the shape of parameter %s", ck->path, p->name);
    for (int k = 0; k < p->tensor.ndim; k++) want[k] = (hsize_t)p->tensor.shape[k];
    same = nd == p->tensor.ndim;
    for (int k = 0; same && k < nd; k++) same = dims[k] == want[k];
    PetscCheck(same, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: parameter %s has shape %s in the file but %s in the model",
               ck->path, p->name, shape_str(nd, dims, bf, sizeof(bf)), shape_str(p->tensor.ndim, want, bm, sizeof(bm)));
    st = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host + p->offset);
    H5Sclose(s);
    H5Dclose(d);
    PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: cannot read parameter %s", ck->path, p->name);
  }
  pv.params   = m->params;
  pv.extra[0] = 0;
  g           = H5Gopen2(ck->file, "/params", H5P_DEFAULT);
  st          = g >= 0 ? H5Lvisit(g, H5_INDEX_NAME, H5_ITER_INC, extra_params, &pv) : -1;
  if (g >= 0) H5Gclose(g);
  PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: cannot list /params", ck->path);
  PetscCheck(!pv.extra[0], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: parameter %s in the file is not one of model %s", ck->path,
             pv.extra, m->type);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Builds the model from the recorded options alone, in a private options
   database: the command line neither changes it nor sees its options. */
static PetscErrorCode build_model(MPI_Comm comm, const ModelRecord *r, NeopModel *m)
{
  PetscOptions   db;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(PetscOptionsCreate(&db));
  for (int i = 0; i < r->noptions; i++) PetscCall(PetscOptionsSetValue(db, r->name[i], r->value[i]));
  PetscCall(PetscOptionsPush(db));
  ierr = NeopModelCreate(comm, m);
  if (!ierr) ierr = NeopModelSetShape(*m, (int)r->dim, (int)r->in_channels, (int)r->out_channels);
  if (!ierr) ierr = NeopModelSetPointSet(*m, r->point_set ? PETSC_TRUE : PETSC_FALSE);
  if (!ierr) ierr = NeopModelSetFromOptions(*m);
  if (!ierr) ierr = NeopModelSetUp(*m);
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  if (ierr) PetscCall(NeopModelDestroy(m));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointReadModel(NeopCheckpoint ck, NeopModel *m)
{
  ModelRecord   *r;
  NeopModel      model;
  float         *host; /* [total] the flat parameter buffer */
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_FALSE));
  PetscCall(PetscLogEventBegin(ev_io, 0, 0, 0, 0));
  PetscCall(PetscNew(&r));
  RANK0(ck, read_model_record_rank0(ck, r));
  PetscCall(bcast(ck->comm, r, sizeof(*r)));
  PetscCall(build_model(ck->comm, r, &model));
  PetscCall(PetscFree(r));
  PetscCall(PetscCalloc1(model->params->total + 1, &host));
  RANK0_STATUS(ck, read_params_rank0(ck, model, host), ierr);
  if (ierr) {
    PetscCall(PetscFree(host));
    PetscCall(NeopModelDestroy(&model));
  }
  PetscCall(ierr);
  PetscCall(bcast(ck->comm, host, (size_t)model->params->total * sizeof(float)));
  PetscCall(NeopBackendGet()->from_host(model->params->data, host, (size_t)model->params->total * sizeof(float)));
  PetscCall(PetscFree(host));
  PetscCall(PetscLogEventEnd(ev_io, 0, 0, 0, 0));
  *m = model;
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  char    method[16];
  int64_t step, epoch;
  int64_t nm, nv; /* lengths of m and v; -1 when absent */
} OptimRecord;

typedef struct {
  int     found, ndim;
  hsize_t dims[8];
  int64_t n;
} ArrayInfo;

static PetscErrorCode array_info_rank0(NeopCheckpoint ck, const char *name, ArrayInfo *a)
{
  PetscBool found;
  hid_t     d, s;

  PetscFunctionBegin;
  PetscCall(neop_h5_exists(ck->file, name, &found));
  if (!found) PetscFunctionReturn(PETSC_SUCCESS);
  d       = H5Dopen2(ck->file, name, H5P_DEFAULT);
  s       = d >= 0 ? H5Dget_space(d) : -1;
  a->ndim = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
  PetscCheck(a->ndim >= 0 && a->ndim <= 8, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: %s is not a readable dataset", ck->path, name);
  H5Sget_simple_extent_dims(s, a->dims, NULL);
  a->n = (int64_t)H5Sget_simple_extent_npoints(s);
  H5Sclose(s);
  H5Dclose(d);
  a->found = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* element count of a dataset, -1 when absent */
static PetscErrorCode dataset_length(NeopCheckpoint ck, const char *path, int64_t *n)
{
  ArrayInfo a = {0};

  PetscFunctionBegin;
  PetscCall(array_info_rank0(ck, path, &a));
  *n = a.found ? a.n : -1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode read_optim_record_rank0(NeopCheckpoint ck, OptimRecord *r)
{
  PetscBool found, f1, f2;
  hid_t     g;

  PetscFunctionBegin;
  PetscCall(neop_h5_exists(ck->file, "/optimizer", &found));
  PetscCheck(found, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: no /optimizer group (saved without optimizer state)", ck->path);
  g = H5Gopen2(ck->file, "/optimizer", H5P_DEFAULT);
  PetscCall(neop_h5_read_attr_string(ck->path, g, "method", r->method, sizeof(r->method), &found));
  PetscCall(neop_h5_read_attr_int64(ck->path, g, "step", &r->step, &f1));
  PetscCall(neop_h5_read_attr_int64(ck->path, g, "epoch", &r->epoch, &f2));
  H5Gclose(g);
  PetscCheck(found && f1 && f2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: /optimizer lacks method, step or epoch", ck->path);
  PetscCall(dataset_length(ck, "/optimizer/m", &r->nm));
  PetscCall(dataset_length(ck, "/optimizer/v", &r->nv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode read_floats_rank0(NeopCheckpoint ck, const char *path, float *v)
{
  hid_t  d;
  herr_t st;

  PetscFunctionBegin;
  d  = H5Dopen2(ck->file, path, H5P_DEFAULT);
  st = d >= 0 ? H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : -1;
  if (d >= 0) H5Dclose(d);
  PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: cannot read %s", ck->path, path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Fills a moment buffer from the file, or with zeros when the file has none
   (an SGD buffer of zeros is torch's fresh momentum with dampening 0). */
static PetscErrorCode load_moment(NeopCheckpoint ck, const char *path, int64_t n, int64_t total, float *dst)
{
  const NeopBackend *be = NeopBackendGet();
  float             *host; /* [total] */

  PetscFunctionBegin;
  PetscCheck(n < 0 || n == total, ck->comm, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: %s has %lld values, the model's flat buffer %lld", ck->path,
             path, (long long)n, (long long)total);
  PetscCall(PetscCalloc1(total + 1, &host));
  if (n >= 0) {
    RANK0(ck, read_floats_rank0(ck, path, host));
    PetscCall(bcast(ck->comm, host, (size_t)total * sizeof(float)));
  }
  PetscCall(be->from_host(dst, host, (size_t)total * sizeof(float)));
  PetscCall(PetscFree(host));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointReadOptimizer(NeopCheckpoint ck, NeopOptimizer opt)
{
  OptimRecord r;

  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_FALSE));
  PetscCall(PetscLogEventBegin(ev_io, 0, 0, 0, 0));
  PetscCall(PetscMemzero(&r, sizeof(r)));
  RANK0(ck, read_optim_record_rank0(ck, &r));
  PetscCall(bcast(ck->comm, &r, sizeof(r)));
  PetscCheck(!strcmp(r.method, NeopOptimMethods[opt->method]), ck->comm, PETSC_ERR_ARG_INCOMP,
             "checkpoint %s: the optimizer state is %s's, this optimizer is %s (-optim)", ck->path, r.method, NeopOptimMethods[opt->method]);
  if (opt->m) PetscCall(load_moment(ck, "/optimizer/m", r.nm, opt->params->total, opt->m));
  if (opt->v) PetscCall(load_moment(ck, "/optimizer/v", r.nv, opt->params->total, opt->v));
  PetscCall(NeopOptimizerSetCounters(opt, r.step, r.epoch));
  PetscCall(PetscLogEventEnd(ev_io, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode read_any_rank0(NeopCheckpoint ck, const char *path, hid_t memtype, void *v)
{
  hid_t  d;
  herr_t st;

  PetscFunctionBegin;
  d  = H5Dopen2(ck->file, path, H5P_DEFAULT);
  st = d >= 0 ? H5Dread(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) : -1;
  if (d >= 0) H5Dclose(d);
  PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: cannot read %s", ck->path, path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointReadArray(NeopCheckpoint ck, const char *name, int *ndim, int *shape, float **v, PetscBool *found)
{
  ArrayInfo a;

  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_FALSE));
  PetscCall(PetscMemzero(&a, sizeof(a)));
  *v     = NULL;
  *found = PETSC_FALSE;
  RANK0(ck, array_info_rank0(ck, name, &a));
  PetscCall(bcast(ck->comm, &a, sizeof(a)));
  if (!a.found) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(a.ndim <= NEOP_MAX_DIMS, ck->comm, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: %s has %d dims, at most %d", ck->path, name, a.ndim,
             NEOP_MAX_DIMS);
  *ndim = a.ndim;
  for (int d = 0; d < a.ndim; d++) shape[d] = (int)a.dims[d];
  PetscCall(PetscMalloc1(a.n + 1, v));
  RANK0(ck, read_any_rank0(ck, name, H5T_NATIVE_FLOAT, *v));
  PetscCall(bcast(ck->comm, *v, (size_t)a.n * sizeof(float)));
  *found = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointReadSeries(NeopCheckpoint ck, const char *name, int *n, double **v, PetscBool *found)
{
  ArrayInfo a;

  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_FALSE));
  PetscCall(PetscMemzero(&a, sizeof(a)));
  *v     = NULL;
  *found = PETSC_FALSE;
  RANK0(ck, array_info_rank0(ck, name, &a));
  PetscCall(bcast(ck->comm, &a, sizeof(a)));
  if (!a.found) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(a.ndim == 1, ck->comm, PETSC_ERR_FILE_UNEXPECTED, "checkpoint %s: series %s has %d dims, expected 1", ck->path, name, a.ndim);
  *n = (int)a.n;
  PetscCall(PetscMalloc1(a.n + 1, v));
  RANK0(ck, read_any_rank0(ck, name, H5T_NATIVE_DOUBLE, *v));
  PetscCall(bcast(ck->comm, *v, (size_t)a.n * sizeof(double)));
  *found = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode read_attr_rank0(NeopCheckpoint ck, const char *group, const char *name, char *s, size_t len, double *x, PetscBool *found)
{
  PetscBool exists;
  hid_t     g;

  PetscFunctionBegin;
  *found = PETSC_FALSE;
  PetscCall(neop_h5_exists(ck->file, group, &exists));
  if (!exists) PetscFunctionReturn(PETSC_SUCCESS);
  g = H5Oopen(ck->file, group, H5P_DEFAULT);
  PetscCheck(g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: cannot open %s", ck->path, group);
  if (s) PetscCall(neop_h5_read_attr_string(ck->path, g, name, s, len, found));
  else PetscCall(neop_h5_read_attr_double(ck->path, g, name, x, found));
  H5Oclose(g);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointReadAttrString(NeopCheckpoint ck, const char *group, const char *name, char *value, size_t len, PetscBool *found)
{
  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_FALSE));
  RANK0(ck, read_attr_rank0(ck, group, name, value, len, NULL, found));
  PetscCallMPI(MPI_Bcast(found, 1, MPIU_BOOL, 0, ck->comm));
  if (*found) PetscCall(bcast(ck->comm, value, len));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCheckpointReadAttrReal(NeopCheckpoint ck, const char *group, const char *name, double *value, PetscBool *found)
{
  PetscFunctionBegin;
  PetscCall(check_writing(ck, PETSC_FALSE));
  RANK0(ck, read_attr_rank0(ck, group, name, NULL, 0, value, found));
  PetscCallMPI(MPI_Bcast(found, 1, MPIU_BOOL, 0, ck->comm));
  if (*found) PetscCallMPI(MPI_Bcast(value, 1, MPI_DOUBLE, 0, ck->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Closes a file opened for reading, or abandons one being written: the
   temporary file is removed and nothing appears at the final path. */
PetscErrorCode NeopCheckpointClose(NeopCheckpoint *ck)
{
  PetscFunctionBegin;
  if (!*ck) PetscFunctionReturn(PETSC_SUCCESS);
  if (!(*ck)->rank) {
    Quiet q;
    quiet_begin(&q);
    if ((*ck)->file >= 0) H5Fclose((*ck)->file);
    if ((*ck)->writing) unlink((*ck)->tmp);
    quiet_end(&q);
  }
  PetscCall(PetscFree(*ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}
