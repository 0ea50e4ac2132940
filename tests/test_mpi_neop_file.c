/* neop file writer on 2 ranks: a time-dependent 1-D layout written in rounds
   (uneven blocks, empty selections), collective and gathered, read back by
   rank 0 with plain HDF5; temporary-file and refusal semantics. */
#include "testing.h"
#include <neop/neop_file.h>
#include <hdf5.h>
#include <unistd.h>

#define N  5
#define S  7
#define CA 1
#define CU 2
#define NT 3

static float a_value(int n, int c, int i) { return (float)(n * 100 + c * 10 + i); }
static float u_value(int n, int t, int c, int i) { return (float)(n * 1000 + t * 100 + c * 10 + i) + 0.5f; }

static PetscErrorCode write_file(const char *path, PetscBool gather, PetscBool commit)
{
  NeopFileWriter w;
  NeopFileLayout L = {0};
  double         x[S], t[NT] = {0, 0.5, 1};
  float          a[2 * CA * S], u[2 * NT * CU * S]; /* (2, CA, S), (2, NT, CU, S) */
  PetscMPIInt    rank, size;
  int            first, count;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  for (int i = 0; i < S; i++) x[i] = i / (S - 1.0);
  L.pde       = "test";
  L.dim       = 1;
  L.grid[0]   = S;
  L.ca        = CA;
  L.cu        = CU;
  L.nt        = NT;
  L.t         = t;
  L.coords[0] = x;
  L.nsamples  = N;
  first       = rank * (N / size) + PetscMin(rank, N % size);
  count       = N / size + (rank < N % size);
  PetscCall(NeopFileWriterCreate(PETSC_COMM_WORLD, path, &L, PETSC_FALSE, gather, &w));
  PetscCall(NeopFileWriterSetAttributeString(w, "grf_tau", "3"));
  PetscCall(NeopFileWriterSetAttributeUInt64(w, "seed", 12345678901ull));
  /* rounds of 2 samples: rank 0 holds 3 (2 + 1), rank 1 holds 2 (2 + 0) */
  for (int k0 = 0; k0 < (N / size + (N % size > 0)); k0 += 2) {
    int cnt = PetscMax(0, PetscMin(2, count - k0));
    for (int s = 0; s < cnt; s++) {
      int n = first + k0 + s;
      for (int c = 0; c < CA; c++)
        for (int i = 0; i < S; i++) a[(s * CA + c) * S + i] = a_value(n, c, i);
      for (int tt = 0; tt < NT; tt++)
        for (int c = 0; c < CU; c++)
          for (int i = 0; i < S; i++) u[((s * NT + tt) * CU + c) * S + i] = u_value(n, tt, c, i);
    }
    PetscCall(NeopFileWriterWrite(w, cnt ? first + k0 : 0, cnt, a, u));
  }
  NeopTestCheck(access(path, F_OK) != 0, "%s: nothing at the output path before commit", gather ? "gathered" : "collective");
  if (commit) PetscCall(NeopFileWriterCommit(&w));
  else PetscCall(NeopFileWriterDestroy(&w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int read_int_attr(hid_t f, const char *name)
{
  int   v    = -1;
  hid_t attr = H5Aopen(f, name, H5P_DEFAULT);
  if (attr >= 0) {
    H5Aread(attr, H5T_NATIVE_INT, &v);
    H5Aclose(attr);
  }
  return v;
}

static PetscErrorCode check_file(const char *path, const char *what)
{
  hid_t    f, d, sp, st;
  hsize_t  dims[4];
  float    a[N * CA * S], u[N * NT * CU * S];
  double   t[NT], x[S];
  char    *pde = NULL;
  uint64_t seed = 0;
  int      bad  = 0, rank_u;

  PetscFunctionBegin;
  f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  NeopTestCheck(f >= 0, "%s: file opens", what);
  if (f < 0) PetscFunctionReturn(PETSC_SUCCESS);
  d      = H5Dopen2(f, "u", H5P_DEFAULT);
  sp     = H5Dget_space(d);
  rank_u = H5Sget_simple_extent_dims(sp, dims, NULL);
  NeopTestCheck(rank_u == 4 && dims[0] == N && dims[1] == NT && dims[2] == CU && dims[3] == S, "%s: /u is (N, T, Cu, S)", what);
  H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, u);
  H5Sclose(sp);
  H5Dclose(d);
  d = H5Dopen2(f, "a", H5P_DEFAULT);
  H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, a);
  H5Dclose(d);
  for (int n = 0; n < N; n++)
    for (int i = 0; i < S; i++) {
      for (int c = 0; c < CA; c++) bad += a[(n * CA + c) * S + i] != a_value(n, c, i);
      for (int tt = 0; tt < NT; tt++)
        for (int c = 0; c < CU; c++) bad += u[((n * NT + tt) * CU + c) * S + i] != u_value(n, tt, c, i);
    }
  NeopTestCheck(bad == 0, "%s: every sample where it belongs (%d wrong values)", what, bad);
  d = H5Dopen2(f, "t", H5P_DEFAULT);
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, t);
  H5Dclose(d);
  d = H5Dopen2(f, "x", H5P_DEFAULT);
  H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x);
  H5Dclose(d);
  NeopTestCheck(t[0] == 0 && t[1] == 0.5 && t[2] == 1 && x[0] == 0 && x[S - 1] == 1 && x[3] == 0.5, "%s: /t and /x", what);
  NeopTestCheck(read_int_attr(f, "neop_schema") == 1 && read_int_attr(f, "complete") == 1, "%s: neop_schema and complete", what);
  d  = H5Aopen(f, "pde", H5P_DEFAULT);
  st = H5Aget_type(d);
  H5Aread(d, st, &pde);
  NeopTestCheck(H5Tis_variable_str(st) > 0 && pde && !strcmp(pde, "test"), "%s: pde attribute", what);
  H5free_memory(pde);
  H5Tclose(st);
  H5Aclose(d);
  d = H5Aopen(f, "seed", H5P_DEFAULT);
  H5Aread(d, H5T_NATIVE_UINT64, &seed);
  H5Aclose(d);
  NeopTestCheck(seed == 12345678901ull, "%s: 64-bit seed attribute", what);
  H5Fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  char           dir[PETSC_MAX_PATH_LEN] = "/tmp/neop_file_XXXXXX", path[PETSC_MAX_PATH_LEN + 16];
  PetscMPIInt    rank;
  PetscErrorCode ierr;

  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (!rank) PetscCheck(mkdtemp(dir), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "mkdtemp failed");
  PetscCallMPI(MPI_Bcast(dir, sizeof(dir), MPI_CHAR, 0, PETSC_COMM_WORLD));
  for (int gather = 0; gather < 2; gather++) {
    const char *what = gather ? "gathered" : "collective";
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s.h5", dir, what));
    PetscCall(write_file(path, (PetscBool)gather, PETSC_TRUE));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    if (!rank) PetscCall(check_file(path, what));
    /* an existing file is refused and kept */
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = write_file(path, (PetscBool)gather, PETSC_TRUE);
    PetscCall(PetscPopErrorHandler());
    NeopTestCheck(ierr != 0, "%s: existing file refused", what);
    if (!rank) PetscCall(check_file(path, what));
    /* an abandoned writer leaves nothing */
    PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s-abandoned.h5", dir, what));
    PetscCall(write_file(path, (PetscBool)gather, PETSC_FALSE));
    PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
    if (!rank) {
      char cmd[PETSC_MAX_PATH_LEN + 64];
      PetscCall(PetscSNPrintf(cmd, sizeof(cmd), "ls %s/%s-abandoned.h5* > /dev/null 2>&1", dir, what));
      NeopTestCheck(system(cmd) != 0, "%s: an abandoned writer leaves no file", what);
    }
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (!rank) {
    char cmd[PETSC_MAX_PATH_LEN + 16];
    PetscCall(PetscSNPrintf(cmd, sizeof(cmd), "rm -rf %s", dir));
    if (system(cmd)) PetscCall(PetscPrintf(PETSC_COMM_SELF, "could not remove %s\n", dir));
  }
  return NeopTestFinalize();
}
