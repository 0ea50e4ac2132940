/* neop data files, schema version 1 (see neop/neop_file.h and docs/formats.md). */
#include <neop/neop_file.h>
#include <neop/neop_config.h>
#include <neop/log.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdio.h>
#include <unistd.h>

struct NeopFileWriter_s {
  MPI_Comm      comm;
  PetscMPIInt   rank, size;
  PetscBool     gather;      /* rank 0 does all HDF5 calls */
  PetscBool     io;          /* this rank makes HDF5 calls */
  char          path[PETSC_MAX_PATH_LEN], tmp[PETSC_MAX_PATH_LEN];
  hid_t         file, dset_a, dset_u, dxpl;
  int           rank_a, rank_u;   /* dataset ranks */
  hsize_t       dims_a[5], dims_u[6];
  int64_t       size_a, size_u;   /* floats per sample */
  int64_t       nsamples;
  PetscLogEvent event;
};

#define H5CALL(expr, what)                                                                                          \
  do {                                                                                                            \
    if ((expr) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "HDF5 error writing %s: %s", w->tmp, what); \
  } while (0)

/* Error codes agreed by all ranks, so every check below is collective. */
static PetscErrorCode check_all(NeopFileWriter w, int ok, const char *what)
{
  int all = ok;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, w->comm));
  PetscCheck(all, w->comm, PETSC_ERR_FILE_WRITE, "%s: %s", w->tmp[0] ? w->tmp : w->path, what);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_attr(NeopFileWriter w, const char *name, hid_t type, const void *value)
{
  hid_t space, attr;

  PetscFunctionBegin;
  if (!w->io) PetscFunctionReturn(PETSC_SUCCESS);
  space = H5Screate(H5S_SCALAR);
  if (H5Aexists(w->file, name) > 0) H5CALL(H5Adelete(w->file, name), name);
  attr = H5Acreate2(w->file, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5CALL(attr, name);
  H5CALL(H5Awrite(attr, type, value), name);
  H5CALL(H5Aclose(attr), name);
  H5CALL(H5Sclose(space), name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_attr_string_on(NeopFileWriter w, hid_t obj, const char *name, const char *value)
{
  hid_t type, space, attr;

  PetscFunctionBegin;
  if (!w->io) PetscFunctionReturn(PETSC_SUCCESS);
  /* variable-length UTF-8: h5py reads it as str */
  type = H5Tcopy(H5T_C_S1);
  H5CALL(H5Tset_size(type, H5T_VARIABLE), name);
  H5CALL(H5Tset_cset(type, H5T_CSET_UTF8), name);
  space = H5Screate(H5S_SCALAR);
  if (H5Aexists(obj, name) > 0) H5CALL(H5Adelete(obj, name), name);
  attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5CALL(attr, name);
  H5CALL(H5Awrite(attr, type, &value), name);
  H5CALL(H5Aclose(attr), name);
  H5CALL(H5Sclose(space), name);
  H5CALL(H5Tclose(type), name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFileWriterSetAttributeString(NeopFileWriter w, const char *name, const char *value)
{
  PetscFunctionBegin;
  PetscCall(write_attr_string_on(w, w->file, name, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFileWriterSetAttributeUInt64(NeopFileWriter w, const char *name, uint64_t value)
{
  PetscFunctionBegin;
  PetscCall(write_attr(w, name, H5T_NATIVE_UINT64, &value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A small float64 dataset written whole by rank 0 (collectively: the others select nothing). */
static PetscErrorCode write_small(NeopFileWriter w, const char *name, hsize_t n, const double *v)
{
  hid_t space, dset, mspace;

  PetscFunctionBegin;
  if (!w->io) PetscFunctionReturn(PETSC_SUCCESS);
  space = H5Screate_simple(1, &n, NULL);
  dset  = H5Dcreate2(w->file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5CALL(dset, name);
  mspace = H5Scopy(space);
  if (w->rank) {
    H5CALL(H5Sselect_none(space), name);
    H5CALL(H5Sselect_none(mspace), name);
  }
  H5CALL(H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, space, w->dxpl, v), name);
  H5CALL(H5Sclose(mspace), name);
  H5CALL(H5Sclose(space), name);
  H5CALL(H5Dclose(dset), name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode create_field(NeopFileWriter w, const char *name, int rank, const hsize_t *dims, const char *axes, hid_t *dset)
{
  hid_t space, dcpl;

  PetscFunctionBegin;
  if (!w->io) PetscFunctionReturn(PETSC_SUCCESS);
  space = H5Screate_simple(rank, dims, NULL);
  dcpl  = H5Pcreate(H5P_DATASET_CREATE);
  /* every element is written: no fill pass over the file */
  H5CALL(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), name);
  *dset = H5Dcreate2(w->file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5CALL(*dset, name);
  PetscCall(write_attr_string_on(w, *dset, "axes", axes));
  H5CALL(H5Pclose(dcpl), name);
  H5CALL(H5Sclose(space), name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFileWriterCreate(MPI_Comm comm, const char *path, const NeopFileLayout *L, PetscBool overwrite,
                                    PetscBool gather, NeopFileWriter *writer)
{
  NeopFileWriter w;
  int            err = 0;
  int            one = NEOP_SCHEMA_VERSION;
  char           axes_a[96], axes_u[96], dir[PETSC_MAX_PATH_LEN];
  const char    *names[3] = {"x", "y", "z"};

  PetscFunctionBegin;
  PetscCheck(L->dim >= 1 && L->dim <= 3 && L->ca >= 1 && L->cu >= 1 && L->nt >= 0 && L->nsamples >= 1, comm,
             PETSC_ERR_ARG_OUTOFRANGE, "%s: invalid layout (dim %d, ca %d, cu %d, nt %d, N %lld)", path, L->dim, L->ca,
             L->cu, L->nt, (long long)L->nsamples);
  PetscCall(PetscNew(&w));
  w->comm = comm;
  PetscCallMPI(MPI_Comm_rank(comm, &w->rank));
  PetscCallMPI(MPI_Comm_size(comm, &w->size));
#if NEOP_HAVE_PARALLEL_HDF5
  w->gather = gather || w->size == 1;
#else
  w->gather = PETSC_TRUE;
#endif
  w->io       = !w->gather || w->rank == 0;
  w->file     = w->dset_a = w->dset_u = w->dxpl = H5I_INVALID_HID;
  w->nsamples = L->nsamples;
  PetscCall(NeopLogEvent("NeopFileWrite", &w->event));
  PetscCall(PetscStrncpy(w->path, path, sizeof(w->path)));

  /* rank 0 checks the destination and names the temporary file */
  if (!w->rank) {
    PetscCall(PetscStrncpy(dir, path, sizeof(dir)));
    if (access(dirname(dir), W_OK)) err = 1;
    else if (!overwrite && !access(path, F_OK)) err = 2;
    PetscCall(PetscSNPrintf(w->tmp, sizeof(w->tmp), "%s.tmp.%d", path, (int)getpid()));
  }
  PetscCallMPI(MPI_Bcast(&err, 1, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(w->tmp, sizeof(w->tmp), MPI_CHAR, 0, comm));
  if (err) {
    PetscCall(PetscStrncpy(dir, path, sizeof(dir)));
    PetscCall(PetscFree(w));
    PetscCheck(err != 1, comm, PETSC_ERR_FILE_OPEN, "-output %s: directory %s does not exist or is not writable", path,
               dirname(dir));
    SETERRQ(comm, PETSC_ERR_FILE_OPEN, "-output %s: file exists (pass -overwrite to replace it)", path);
  }

  if (w->io) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    w->dxpl    = H5Pcreate(H5P_DATASET_XFER);
#if NEOP_HAVE_PARALLEL_HDF5
    if (!w->gather) {
      H5CALL(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
      H5CALL(H5Pset_dxpl_mpio(w->dxpl, H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
    }
#endif
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    H5Pclose(fapl);
  }
  PetscCall(check_all(w, !w->io || w->file >= 0, "cannot create the file"));

  /* /a (N, Ca, *S); /u (N, [T,] Cu, *S) */
  w->rank_a    = 2 + L->dim;
  w->rank_u    = 2 + L->dim + (L->nt > 0);
  w->dims_a[0] = w->dims_u[0] = (hsize_t)L->nsamples;
  w->dims_a[1]                = (hsize_t)L->ca;
  if (L->nt > 0) w->dims_u[1] = (hsize_t)L->nt;
  w->dims_u[w->rank_u - L->dim - 1] = (hsize_t)L->cu;
  PetscCall(PetscStrncpy(axes_a, "sample,channel", sizeof(axes_a)));
  PetscCall(PetscStrncpy(axes_u, L->nt > 0 ? "sample,time,channel" : "sample,channel", sizeof(axes_u)));
  w->size_a = L->ca;
  w->size_u = (int64_t)L->cu * (L->nt > 0 ? L->nt : 1);
  for (int d = 0; d < L->dim; d++) {
    PetscCheck(L->grid[d] >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "%s: grid[%d] = %d", path, d, L->grid[d]);
    w->dims_a[2 + d]                  = (hsize_t)L->grid[d];
    w->dims_u[w->rank_u - L->dim + d] = (hsize_t)L->grid[d];
    w->size_a *= L->grid[d];
    w->size_u *= L->grid[d];
    PetscCall(PetscStrlcat(axes_a, d == 0 ? ",x" : d == 1 ? ",y" : ",z", sizeof(axes_a)));
    PetscCall(PetscStrlcat(axes_u, d == 0 ? ",x" : d == 1 ? ",y" : ",z", sizeof(axes_u)));
  }
  PetscCall(create_field(w, "a", w->rank_a, w->dims_a, axes_a, &w->dset_a));
  PetscCall(create_field(w, "u", w->rank_u, w->dims_u, axes_u, &w->dset_u));
  for (int d = 0; d < L->dim; d++) PetscCall(write_small(w, names[d], (hsize_t)L->grid[d], L->coords[d]));
  if (L->nt > 0) PetscCall(write_small(w, "t", (hsize_t)L->nt, L->t));
  PetscCall(write_attr(w, "neop_schema", H5T_NATIVE_INT, &one));
  PetscCall(NeopFileWriterSetAttributeString(w, "pde", L->pde));
  PetscCall(NeopFileWriterSetAttributeString(w, "neop_version", NEOP_VERSION));
  *writer = w;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Selects samples [first, first + n) of a field dataset in fspace and a matching memory space. */
static PetscErrorCode select_samples(NeopFileWriter w, hid_t dset, int rank, const hsize_t *dims, int64_t first, int n,
                                     hid_t *fspace, hid_t *mspace)
{
  hsize_t start[6] = {0}, count[6];

  PetscFunctionBegin;
  for (int i = 0; i < rank; i++) count[i] = dims[i];
  start[0] = (hsize_t)first;
  count[0] = (hsize_t)(n > 0 ? n : 1);
  *fspace  = H5Dget_space(dset);
  *mspace  = H5Screate_simple(rank, count, NULL);
  if (n > 0) H5CALL(H5Sselect_hyperslab(*fspace, H5S_SELECT_SET, start, NULL, count, NULL), "select samples");
  else {
    H5CALL(H5Sselect_none(*fspace), "select none");
    H5CALL(H5Sselect_none(*mspace), "select none");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_block(NeopFileWriter w, int64_t first, int n, const float *a, const float *u)
{
  hid_t fs, ms;

  PetscFunctionBegin;
  PetscCall(select_samples(w, w->dset_a, w->rank_a, w->dims_a, first, n, &fs, &ms));
  H5CALL(H5Dwrite(w->dset_a, H5T_NATIVE_FLOAT, ms, fs, w->dxpl, a), "/a");
  H5Sclose(fs);
  H5Sclose(ms);
  PetscCall(select_samples(w, w->dset_u, w->rank_u, w->dims_u, first, n, &fs, &ms));
  H5CALL(H5Dwrite(w->dset_u, H5T_NATIVE_FLOAT, ms, fs, w->dxpl, u), "/u");
  H5Sclose(fs);
  H5Sclose(ms);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFileWriterWrite(NeopFileWriter w, int64_t first, int n, const float *a, const float *u)
{
  PetscFunctionBegin;
  PetscCheck(n >= 0 && first >= 0 && first + n <= w->nsamples, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "%s: samples [%lld, %lld) outside [0, %lld)", w->path, (long long)first, (long long)(first + n),
             (long long)w->nsamples);
  PetscCall(PetscLogEventBegin(w->event, 0, 0, 0, 0));
  if (!w->gather) PetscCall(write_block(w, first, n, a, u));
  else {
    /* rank 0 receives every rank's block and writes them one by one */
    int64_t     *firsts = NULL;
    int         *ns = NULL, *ca = NULL, *cu = NULL, *da = NULL, *du = NULL;
    float       *ba = NULL, *bu = NULL;
    int64_t      ta = 0, tu = 0;
    PetscMPIInt  sa, su;

    PetscCheck((int64_t)n * w->size_u < INT32_MAX, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
               "%s: %d samples too large to gather in one call", w->path, n);
    sa = (PetscMPIInt)(n * w->size_a);
    su = (PetscMPIInt)(n * w->size_u);
    if (!w->rank) PetscCall(PetscMalloc6(w->size, &firsts, w->size, &ns, w->size, &ca, w->size, &cu, w->size, &da, w->size, &du));
    PetscCallMPI(MPI_Gather(&first, 1, MPI_INT64_T, firsts, 1, MPI_INT64_T, 0, w->comm));
    PetscCallMPI(MPI_Gather(&n, 1, MPI_INT, ns, 1, MPI_INT, 0, w->comm));
    if (!w->rank) {
      for (int r = 0; r < w->size; r++) {
        PetscCheck(ta + ns[r] * w->size_a < INT32_MAX && tu + ns[r] * w->size_u < INT32_MAX, PETSC_COMM_SELF,
                   PETSC_ERR_ARG_OUTOFRANGE, "%s: too many samples to gather in one call", w->path);
        ca[r] = (int)(ns[r] * w->size_a);
        cu[r] = (int)(ns[r] * w->size_u);
        da[r] = (int)ta;
        du[r] = (int)tu;
        ta += ca[r];
        tu += cu[r];
      }
      PetscCall(PetscMalloc2(ta, &ba, tu, &bu));
    }
    PetscCallMPI(MPI_Gatherv(a, sa, MPI_FLOAT, ba, ca, da, MPI_FLOAT, 0, w->comm));
    PetscCallMPI(MPI_Gatherv(u, su, MPI_FLOAT, bu, cu, du, MPI_FLOAT, 0, w->comm));
    if (!w->rank) {
      for (int r = 0; r < w->size; r++)
        if (ns[r]) PetscCall(write_block(w, firsts[r], ns[r], ba + da[r], bu + du[r]));
      PetscCall(PetscFree2(ba, bu));
      PetscCall(PetscFree6(firsts, ns, ca, cu, da, du));
    }
  }
  PetscCall(PetscLogEventEnd(w->event, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode close_all(NeopFileWriter w)
{
  PetscFunctionBegin;
  if (w->dset_a >= 0) H5CALL(H5Dclose(w->dset_a), "close /a");
  if (w->dset_u >= 0) H5CALL(H5Dclose(w->dset_u), "close /u");
  if (w->dxpl >= 0) H5CALL(H5Pclose(w->dxpl), "close");
  if (w->file >= 0) H5CALL(H5Fclose(w->file), "close file");
  w->file = w->dset_a = w->dset_u = w->dxpl = H5I_INVALID_HID;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFileWriterCommit(NeopFileWriter *writer)
{
  NeopFileWriter w    = *writer;
  int            done = 1, ok = 1;

  PetscFunctionBegin;
  PetscCall(write_attr(w, "complete", H5T_NATIVE_INT, &done));
  PetscCall(close_all(w));
  if (!w->rank) ok = !rename(w->tmp, w->path);
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, w->comm));
  PetscCheck(ok, w->comm, PETSC_ERR_FILE_WRITE, "cannot rename %s to %s", w->tmp, w->path);
  PetscCall(PetscFree(*writer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFileWriterDestroy(NeopFileWriter *writer)
{
  NeopFileWriter w = *writer;

  PetscFunctionBegin;
  if (!w) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(close_all(w));
  if (!w->rank) unlink(w->tmp);
  PetscCall(PetscFree(*writer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFileWriterAbort(NeopFileWriter *writer)
{
  PetscFunctionBegin;
  if (!*writer) PetscFunctionReturn(PETSC_SUCCESS);
  /* every rank: the one that failed may be the only one left to do it before MPI_Abort ends the others */
  unlink((*writer)->tmp);
  PetscCall(PetscFree(*writer));
  PetscFunctionReturn(PETSC_SUCCESS);
}
