/* Writing a NeopDataset as a neop schema file (docs/formats.md), each rank
   its block of samples, under a temporary name renamed into place at the end. */
#include "io/dataset_impl.h"
#include <neop/neop_config.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

PetscErrorCode NeopDataCoords(MPI_Comm comm, const char *path, const NeopDataPlan *plan, int sub, double *coords[3],
                              PetscBool *assumed)
{
  PetscMPIInt    rank;
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  *assumed = plan->coord[0][0] ? PETSC_FALSE : PETSC_TRUE;
  for (int k = 0; k < 3; k++) {
    coords[k] = NULL;
    if (k >= plan->dim) continue;
    int64_t full = plan->a.space[k], n = NeopSubCount(full, sub);
    PetscCall(PetscMalloc1(n, &coords[k]));
    if (*assumed) {
      for (int64_t i = 0; i < n; i++) coords[k][i] = full > 1 ? (double)(i * sub) / (double)(full - 1) : 0.0;
      continue;
    }
    if (!rank) {
      double *all = NULL;
      hid_t   f   = -1;
      int     r;
      int64_t dims[NEOP_FIELD_MAX_RANK];
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = NeopH5OpenSelf(path, &f);
      if (!ierr) ierr = NeopH5DatasetDims(path, f, plan->coord[k], &r, dims);
      if (!ierr && (r != 1 || dims[0] != full))
        ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_UNEXPECTED, PETSC_ERROR_INITIAL,
                          "%s: coordinate dataset '%s' should hold %lld values", path, plan->coord[k], (long long)full);
      if (!ierr) ierr = PetscMalloc1(full, &all);
      if (!ierr) {
        hid_t d = H5Dopen2(f, plan->coord[k], H5P_DEFAULT);
        if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) < 0)
          ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_READ, PETSC_ERROR_INITIAL,
                            "%s: cannot read coordinate dataset '%s'", path, plan->coord[k]);
        H5Dclose(d);
        for (int64_t i = 0; !ierr && i < n; i++) coords[k][i] = all[i * sub];
      }
      PetscCall(PetscPopErrorHandler());
      PetscCall(PetscFree(all));
      if (f >= 0) H5Fclose(f);
    }
    PetscCall(NeopCollectError(comm, ierr));
    PetscCallMPI(MPI_Bcast(coords[k], (int)n, MPI_DOUBLE, 0, comm));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static herr_t write_attr(hid_t f, const NeopAttr *a)
{
  hid_t  space = H5Screate(H5S_SCALAR), type, attr;
  herr_t st;
  if (a->s) {
    type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(a->s) + 1);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
  } else type = H5Tcopy(H5T_STD_I64LE);
  attr = H5Acreate2(f, a->name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  st   = attr < 0 ? -1 : a->s ? H5Awrite(attr, type, a->s) : H5Awrite(attr, H5T_NATIVE_LLONG, &a->i);
  if (attr >= 0) H5Aclose(attr);
  H5Tclose(type);
  H5Sclose(space);
  return st;
}

/* Samples [first, first + n) of a (N, per-sample dims...) float32 dataset. */
static herr_t write_block(hid_t d, hid_t dxpl, int64_t first, int64_t n, const float *v)
{
  hid_t   fs = H5Dget_space(d), ms;
  hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, one = 1;
  int     r = H5Sget_simple_extent_dims(fs, dims, NULL);
  herr_t  st;
  float   dummy = 0;
  if (n > 0) {
    start[0] = (hsize_t)first;
    dims[0]  = (hsize_t)n;
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, dims, NULL);
    ms = H5Screate_simple(r, dims, NULL);
  } else {
    H5Sselect_none(fs);
    ms = H5Screate_simple(1, &one, NULL);
    H5Sselect_none(ms);
  }
  st = H5Dwrite(d, H5T_NATIVE_FLOAT, ms, fs, dxpl, n > 0 ? v : &dummy);
  H5Sclose(ms);
  H5Sclose(fs);
  return st;
}

static hid_t create_field(hid_t f, const char *name, const NeopDataset *ds, int channels)
{
  hsize_t dims[5] = {(hsize_t)ds->nglobal, (hsize_t)channels};
  for (int k = 0; k < ds->dim; k++) dims[2 + k] = (hsize_t)ds->grid[k];
  hid_t s = H5Screate_simple(2 + ds->dim, dims, NULL);
  hid_t d = H5Dcreate2(f, name, H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Sclose(s);
  return d;
}

/* What goes into the file besides the layout. */
typedef struct {
  const NeopDataset *ds;
  double *const     *coords;
  const NeopAttr    *attrs;
  int                nattrs;
  float             *pos; /* point sets: this rank's positions in the file's layout (nlocal, P, d), or (P, d) shared; else NULL */
} WriteJob;

/* /pos of a point set: (N, P, d) per sample, (P, d) shared */
static hid_t create_pos(hid_t f, const NeopDataset *ds)
{
  hsize_t dims[3] = {(hsize_t)ds->nglobal, (hsize_t)ds->grid[0], (hsize_t)ds->pdim};
  int     shared  = ds->pos_shared ? 1 : 0;
  hid_t   s       = H5Screate_simple(3 - shared, dims + shared, NULL);
  hid_t   d       = H5Dcreate2(f, "pos", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Sclose(s);
  return d;
}

static const char *coord_name[3] = {"x", "y", "z"};

static PetscErrorCode h5_fail(const char *path, const char *what)
{
  return PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_WRITE, PETSC_ERROR_INITIAL,
                    "%s: writing %s failed (disk full? permissions?)", path, what);
}

/* Coordinates (written by 'writer' only) and attributes, 'complete' last. */
static PetscErrorCode finish_file(const char *tmp, hid_t f, const WriteJob *job, PetscBool writer)
{
  PetscFunctionBegin;
  if (job->ds->pdim && job->ds->pos_shared) {
    hid_t  d  = create_pos(f, job->ds);
    herr_t st = d < 0 ? -1 : writer ? H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, job->pos) : 0;
    if (d >= 0) H5Dclose(d);
    if (st < 0) PetscCall(h5_fail(tmp, "pos"));
  }
  if (job->ds->pdim) {
    NeopAttr g = {"geometry", "points", 0};
    if (write_attr(f, &g) < 0) PetscCall(h5_fail(tmp, "attribute geometry"));
  }
  for (int k = 0; k < (job->ds->pdim ? 0 : job->ds->dim); k++) { /* point sets: /pos instead */
    hsize_t n = (hsize_t)job->ds->grid[k];
    hid_t   s = H5Screate_simple(1, &n, NULL);
    hid_t   d = H5Dcreate2(f, coord_name[k], H5T_IEEE_F64LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t  st = d < 0 ? -1 : writer ? H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, job->coords[k]) : 0;
    if (d >= 0) H5Dclose(d);
    H5Sclose(s);
    if (st < 0) PetscCall(h5_fail(tmp, coord_name[k]));
  }
  NeopAttr fixed[2] = {{"neop_schema", NULL, 1}, {"neop_version", NEOP_VERSION, 0}}, done = {"complete", NULL, 1};
  for (int i = 0; i < 2; i++)
    if (write_attr(f, &fixed[i]) < 0) PetscCall(h5_fail(tmp, fixed[i].name));
  for (int i = 0; i < job->nattrs; i++)
    if (write_attr(f, &job->attrs[i]) < 0) PetscCall(h5_fail(tmp, job->attrs[i].name));
  if (write_attr(f, &done) < 0) PetscCall(h5_fail(tmp, "attribute complete"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#if NEOP_HAVE_PARALLEL_HDF5
static PetscErrorCode write_collective(MPI_Comm comm, const char *tmp, const WriteJob *job)
{
  const NeopDataset *ds = job->ds;
  PetscMPIInt        rank;
  PetscErrorCode     ierr = PETSC_SUCCESS;
  hid_t              fapl, dxpl, f, da, du = -1;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  NeopH5Quiet(PETSC_TRUE);
  f = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  if (f < 0) ierr = h5_fail(tmp, "the file");
  else {
    da = create_field(f, "a", ds, ds->ca);
    if (ds->cu) du = create_field(f, "u", ds, ds->cu);
    if (da < 0 || (ds->cu && du < 0)) ierr = h5_fail(tmp, "datasets");
    if (!ierr && write_block(da, dxpl, ds->first, ds->nlocal, ds->a) < 0) ierr = h5_fail(tmp, "dataset a");
    if (!ierr && ds->cu && write_block(du, dxpl, ds->first, ds->nlocal, ds->u) < 0) ierr = h5_fail(tmp, "dataset u");
    if (!ierr && ds->pdim && !ds->pos_shared) {
      hid_t dp = create_pos(f, ds);
      if (dp < 0 || write_block(dp, dxpl, ds->first, ds->nlocal, job->pos) < 0) ierr = h5_fail(tmp, "dataset pos");
      if (dp >= 0) H5Dclose(dp);
    }
    if (da >= 0) H5Dclose(da);
    if (du >= 0) H5Dclose(du);
    if (!ierr) ierr = finish_file(tmp, f, job, rank == 0 ? PETSC_TRUE : PETSC_FALSE);
    if (H5Fclose(f) < 0 && !ierr) ierr = h5_fail(tmp, "the file (close)");
  }
  PetscCall(PetscPopErrorHandler());
  NeopH5Quiet(PETSC_FALSE);
  H5Pclose(dxpl);
  PetscCall(NeopCollectError(comm, ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
#endif

static PetscErrorCode send_block(MPI_Comm comm, const float *v, int64_t n)
{
  PetscFunctionBegin;
  for (int64_t o = 0; o < n; o += INT_MAX / 2) PetscCallMPI(MPI_Send(v + o, (int)PetscMin(n - o, INT_MAX / 2), MPI_FLOAT, 0, 2, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode recv_block(MPI_Comm comm, float *v, int64_t n, int src)
{
  PetscFunctionBegin;
  for (int64_t o = 0; o < n; o += INT_MAX / 2)
    PetscCallMPI(MPI_Recv(v + o, (int)PetscMin(n - o, INT_MAX / 2), MPI_FLOAT, src, 2, comm, MPI_STATUS_IGNORE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 writes; the others send their blocks when asked ('go' first, so a
   failure on rank 0 never leaves a sender blocked). */
static PetscErrorCode write_root(MPI_Comm comm, const char *tmp, const WriteJob *job)
{
  const NeopDataset *ds = job->ds;
  PetscMPIInt        rank, size;
  PetscErrorCode     ierr = PETSC_SUCCESS;
  int64_t            pts  = (int64_t)ds->grid[0] * ds->grid[1] * ds->grid[2];
  int64_t            pp   = ds->pdim && !ds->pos_shared ? (int64_t)ds->pdim * ds->grid[0] : 0; /* positions per sample to write here */
  int                go, blk[2];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  blk[0] = ds->first;
  blk[1] = ds->nlocal;
  if (!rank) {
    hid_t  f, da = -1, du = -1, dp = -1;
    float *ta = NULL, *tu = NULL, *tp = NULL;
    NeopH5Quiet(PETSC_TRUE);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    f = H5Fcreate(tmp, H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0) ierr = h5_fail(tmp, "the file");
    if (!ierr) {
      da = create_field(f, "a", ds, ds->ca);
      if (ds->cu) du = create_field(f, "u", ds, ds->cu);
      if (pp) dp = create_pos(f, ds);
      if (da < 0 || (ds->cu && du < 0) || (pp && dp < 0)) ierr = h5_fail(tmp, "datasets");
    }
    if (!ierr && write_block(da, H5P_DEFAULT, ds->first, ds->nlocal, ds->a) < 0) ierr = h5_fail(tmp, "dataset a");
    if (!ierr && ds->cu && write_block(du, H5P_DEFAULT, ds->first, ds->nlocal, ds->u) < 0) ierr = h5_fail(tmp, "dataset u");
    if (!ierr && pp && write_block(dp, H5P_DEFAULT, ds->first, ds->nlocal, job->pos) < 0) ierr = h5_fail(tmp, "dataset pos");
    for (int r = 1; r < size; r++) {
      go = ierr ? 0 : 1;
      PetscCallMPI(MPI_Send(&go, 1, MPI_INT, r, 1, comm));
      if (!go) continue;
      PetscCallMPI(MPI_Recv(blk, 2, MPI_INT, r, 1, comm, MPI_STATUS_IGNORE));
      PetscCall(PetscMalloc2((int64_t)blk[1] * ds->ca * pts + 1, &ta, (int64_t)blk[1] * ds->cu * pts + 1, &tu));
      PetscCall(recv_block(comm, ta, (int64_t)blk[1] * ds->ca * pts, r));
      if (ds->cu) PetscCall(recv_block(comm, tu, (int64_t)blk[1] * ds->cu * pts, r));
      if (write_block(da, H5P_DEFAULT, blk[0], blk[1], ta) < 0) ierr = h5_fail(tmp, "dataset a");
      if (!ierr && ds->cu && write_block(du, H5P_DEFAULT, blk[0], blk[1], tu) < 0) ierr = h5_fail(tmp, "dataset u");
      PetscCall(PetscFree2(ta, tu));
      if (pp) {
        PetscCall(PetscMalloc1((int64_t)blk[1] * pp + 1, &tp));
        PetscCall(recv_block(comm, tp, (int64_t)blk[1] * pp, r));
        if (!ierr && write_block(dp, H5P_DEFAULT, blk[0], blk[1], tp) < 0) ierr = h5_fail(tmp, "dataset pos");
        PetscCall(PetscFree(tp));
      }
    }
    if (da >= 0) H5Dclose(da);
    if (du >= 0) H5Dclose(du);
    if (dp >= 0) H5Dclose(dp);
    if (!ierr) ierr = finish_file(tmp, f, job, PETSC_TRUE);
    if (f >= 0 && H5Fclose(f) < 0 && !ierr) ierr = h5_fail(tmp, "the file (close)");
    PetscCall(PetscPopErrorHandler());
    NeopH5Quiet(PETSC_FALSE);
  } else {
    PetscCallMPI(MPI_Recv(&go, 1, MPI_INT, 0, 1, comm, MPI_STATUS_IGNORE));
    if (go) {
      PetscCallMPI(MPI_Send(blk, 2, MPI_INT, 0, 1, comm));
      PetscCall(send_block(comm, ds->a, (int64_t)ds->nlocal * ds->ca * pts));
      if (ds->cu) PetscCall(send_block(comm, ds->u, (int64_t)ds->nlocal * ds->cu * pts));
      if (pp) PetscCall(send_block(comm, job->pos, (int64_t)ds->nlocal * pp));
    }
  }
  PetscCall(NeopCollectError(comm, ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDatasetWrite(const NeopDataset *ds, const char *path, double *const coords[3], const NeopAttr *attrs,
                                int nattrs, PetscBool overwrite, NeopDataIO io)
{
  MPI_Comm       comm = ds->comm;
  PetscMPIInt    rank;
  char           tmp[PETSC_MAX_PATH_LEN + 32];
  int            info[2] = {0, 0}; /* exists, pid */
  WriteJob       job     = {ds, coords, attrs, nattrs, NULL};
  PetscErrorCode ierr;

  PetscFunctionBegin;
  if (ds->pdim) { /* (n, d, P) in memory -> (n, P, d) in the file */
    int64_t n = ds->pos_shared ? 1 : ds->nlocal, P = ds->grid[0], D = ds->pdim;
    PetscCall(PetscMalloc1(n * P * D + 1, &job.pos));
    for (int64_t s = 0; s < n; s++)
      for (int64_t k = 0; k < D; k++)
        for (int64_t i = 0; i < P; i++) job.pos[(s * P + i) * D + k] = ds->pos[(s * D + k) * P + i];
  }
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    info[0] = access(path, F_OK) == 0;
    info[1] = (int)getpid();
  }
  PetscCallMPI(MPI_Bcast(info, 2, MPI_INT, 0, comm));
  PetscCheck(!info[0] || overwrite, comm, PETSC_ERR_FILE_OPEN, "%s: exists; refusing to overwrite it (-overwrite to replace it)", path);
  PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp.%d", path, info[1]));
  if (io == NEOP_DATA_IO_DEFAULT) io = NEOP_HAVE_PARALLEL_HDF5 ? NEOP_DATA_IO_COLLECTIVE : NEOP_DATA_IO_ROOT;
  PetscCheck(io == NEOP_DATA_IO_ROOT || NEOP_HAVE_PARALLEL_HDF5, comm, PETSC_ERR_SUP, "collective writes need parallel HDF5");
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
#if NEOP_HAVE_PARALLEL_HDF5
  if (io == NEOP_DATA_IO_COLLECTIVE) ierr = write_collective(comm, tmp, &job);
  else
#endif
    ierr = write_root(comm, tmp, &job);
  PetscCall(PetscPopErrorHandler());
  /* every rank has the same ierr here (NeopCollectError) */
  if (!rank) {
    if (!ierr && rename(tmp, path)) {
      ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_FILE_WRITE, PETSC_ERROR_INITIAL,
                        "%s: cannot rename %s into place: %s", path, tmp, strerror(errno));
    }
    if (ierr) unlink(tmp);
  }
  PetscCall(PetscFree(job.pos));
  PetscCall(NeopCollectError(comm, rank ? PETSC_SUCCESS : ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
