#include "io/prediction_file.h"
#include <neop/neop_config.h>
#include <hdf5.h>
#include <unistd.h>

/* Gathers every rank's block on rank 0. */
static PetscErrorCode gather_blocks(MPI_Comm comm, const void *mine, int64_t count, MPI_Datatype type, void **all)
{
  PetscMPIInt size, rank;
  int        *counts = NULL, *displs = NULL, c = (int)count;
  int         tsize;

  PetscFunctionBegin;
  MPI_Comm_size(comm, &size);
  MPI_Comm_rank(comm, &rank);
  MPI_Type_size(type, &tsize);
  PetscCheck(count < 2147483647, comm, PETSC_ERR_SUP, "prediction block of %lld values too large to gather", (long long)count);
  if (!rank) PetscCall(PetscMalloc2(size, &counts, size, &displs));
  PetscCallMPI(MPI_Gather(&c, 1, MPI_INT, counts, 1, MPI_INT, 0, comm));
  *all = NULL;
  if (!rank) {
    int64_t total = 0;
    for (int r = 0; r < size; r++) displs[r] = (int)total, total += counts[r];
    PetscCheck(total < 2147483647, comm, PETSC_ERR_SUP, "predictions of %lld values too large to gather", (long long)total);
    PetscCall(PetscMalloc((size_t)(total + 1) * (size_t)tsize, all));
  }
  PetscCallMPI(MPI_Gatherv(mine, c, type, *all, counts, displs, type, 0, comm));
  if (!rank) PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_dataset(hid_t f, const char *name, hid_t type, int ndim, const hsize_t *dims, const void *v, const char *path)
{
  hid_t s, d;

  PetscFunctionBegin;
  s = H5Screate_simple(ndim, dims, NULL);
  d = H5Dcreate2(f, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(d >= 0 && H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE,
             "cannot write %s in %s", name, path);
  H5Dclose(d);
  H5Sclose(s);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_attr_string(hid_t f, const char *name, const char *value)
{
  hid_t t = H5Tcopy(H5T_C_S1), s = H5Screate(H5S_SCALAR), a;

  PetscFunctionBegin;
  H5Tset_size(t, strlen(value) + 1);
  a = H5Acreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, value);
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode write_attr_double(hid_t f, const char *name, double value)
{
  hid_t s = H5Screate(H5S_SCALAR), a;

  PetscFunctionBegin;
  a = H5Acreate2(f, name, H5T_NATIVE_DOUBLE, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_DOUBLE, &value);
  H5Aclose(a);
  H5Sclose(s);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPredictionWrite(MPI_Comm comm, const char *path, const NeopDataset *ds, int cu, const float *pred, const double *err,
                                   const NeopPredictionInfo *info)
{
  PetscMPIInt rank;
  int64_t     per = cu;
  float      *all_pred;
  double     *all_err = NULL, mean = 0;
  char        tmp[PETSC_MAX_PATH_LEN];

  PetscFunctionBegin;
  MPI_Comm_rank(comm, &rank);
  for (int d = 0; d < ds->dim; d++) per *= ds->grid[d];
  float *all_pos = NULL; /* point sets: (N, pdim, P), or (pdim, P) shared */
  PetscCall(gather_blocks(comm, pred, ds->nlocal * per, MPI_FLOAT, (void **)&all_pred));
  if (err) PetscCall(gather_blocks(comm, err, ds->nlocal, MPI_DOUBLE, (void **)&all_err));
  if (ds->pdim && !ds->pos_shared) PetscCall(gather_blocks(comm, ds->pos, (int64_t)ds->nlocal * ds->pdim * ds->grid[0], MPI_FLOAT, (void **)&all_pos));
  if (!rank) {
    hsize_t     dims[NEOP_MAX_DIMS];
    hid_t       f;
    const char *coord[3] = {"x", "y", "z"};

    PetscCall(PetscSNPrintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()));
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    PetscCheck(f >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create output file %s (does its directory exist?)", path);
    dims[0] = (hsize_t)ds->nglobal, dims[1] = (hsize_t)cu;
    for (int d = 0; d < ds->dim; d++) dims[2 + d] = (hsize_t)ds->grid[d];
    PetscCall(write_dataset(f, "u_pred", H5T_NATIVE_FLOAT, ds->dim + 2, dims, all_pred, path));
    if (ds->pdim) { /* point sets: the nodes' coordinates /pos (N, P, d) or (P, d), as in the input file */
      int64_t     n = ds->pos_shared ? 1 : ds->nglobal, P = ds->grid[0], D = ds->pdim;
      const float *src = ds->pos_shared ? ds->pos : all_pos;
      float      *t;
      hsize_t     pd[3] = {(hsize_t)n, (hsize_t)P, (hsize_t)D};
      PetscCall(PetscMalloc1(n * P * D + 1, &t));
      for (int64_t s = 0; s < n; s++)
        for (int64_t k = 0; k < D; k++)
          for (int64_t i = 0; i < P; i++) t[(s * P + i) * D + k] = src[(s * D + k) * P + i];
      PetscCall(write_dataset(f, "pos", H5T_NATIVE_FLOAT, ds->pos_shared ? 2 : 3, ds->pos_shared ? pd + 1 : pd, t, path));
      PetscCall(PetscFree(t));
    }
    for (int d = 0; d < (ds->pdim ? 0 : ds->dim); d++) {
      double *x;
      hsize_t n = (hsize_t)ds->grid[d];
      PetscCall(PetscMalloc1(n, &x));
      for (hsize_t i = 0; i < n; i++) x[i] = n > 1 ? (double)i / (double)(n - 1) : 0;
      PetscCall(write_dataset(f, coord[d], H5T_NATIVE_DOUBLE, 1, &n, x, path));
      PetscCall(PetscFree(x));
    }
    if (all_err) {
      hsize_t n = (hsize_t)ds->nglobal;
      for (int i = 0; i < ds->nglobal; i++) mean += all_err[i];
      mean /= ds->nglobal ? ds->nglobal : 1;
      PetscCall(write_dataset(f, "rel_l2", H5T_NATIVE_DOUBLE, 1, &n, all_err, path));
      PetscCall(write_attr_double(f, "mean_rel_l2", mean));
    }
    PetscCall(write_attr_double(f, "neop_schema", 1));
    PetscCall(write_attr_string(f, "kind", "prediction"));
    PetscCall(write_attr_string(f, "neop_version", NEOP_VERSION));
    PetscCall(write_attr_string(f, "checkpoint", info->checkpoint));
    PetscCall(write_attr_string(f, "input", info->input));
    PetscCall(write_attr_double(f, "sub", info->sub));
    PetscCheck(H5Fclose(f) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot close %s", tmp);
    PetscCheck(!rename(tmp, path), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot rename %s to %s", tmp, path);
    PetscCall(PetscFree(all_pred));
    PetscCall(PetscFree(all_err));
    PetscCall(PetscFree(all_pos));
  }
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}
