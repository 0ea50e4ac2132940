/* MATLAB files as the FNO and MgNO datasets ship them.

   MATLAB arrays are column-major. In the logical (MATLAB) order an input is
   N x S1 [x S2 [x S3]] and a target N x S1 ... or N x S1 ... x T (trailing
   time, as Navier-Stokes "u": the T axis becomes channels, or key[t] picks
   one time). The FNO scripts read fields in exactly this order (MatReader
   transposes v7.3 data back), so a MATLAB variable N x S1 x S2 gives samples
   (N, 1, S1, S2) here.
     v7.3: HDF5 inside; the variable N x S1 x S2 is the dataset (S2, S1, N).
     v5/v7: read through matio, which hands out column-major blocks; the same
            reversed storage order as v7.3.
   Default keys: coeff/sol when "coeff" exists, else coe/u when "coe" exists, else a/u.
   The DGenNO data (Zang & Koutsourelakis, Example_DarcyFlow_piecewise: coe, u,
   X, Y) keep the sample axis LAST in MATLAB order, S1 x S2 x N (their scripts
   read the v7.3 datasets (N, S2, S1) without a transpose): in a file holding
   "coe", both fields are read that way, and coe(i, j, n) becomes a[n][0][i][j]. */
#include "io/dataset_impl.h"
#include <matio.h>
#include <string.h>

PetscErrorCode NeopPlanMatlabField(const char *path, const char *key, const char *name, int rank, const int64_t *dims,
                                   int dim, PetscBool has_pick, int64_t pick, PetscBool samples_last, NeopField *f)
{
  char shape[128] = "";

  PetscFunctionBegin;
  for (int k = 0; k < rank; k++) {
    char d[24];
    PetscCall(PetscSNPrintf(d, sizeof(d), k ? " x %lld" : "%lld", (long long)dims[k]));
    PetscCall(PetscStrlcat(shape, d, sizeof(shape)));
  }
  PetscCheck(rank == dim + 1 || rank == dim + 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: variable '%s' is %s (rank %d); with %d spatial dimension%s it must be N x S... (rank %d) or N x S... x T (rank %d)",
             path, name, shape, rank, dim, dim > 1 ? "s" : "", dim + 1, dim + 2);
  PetscCheck(!has_pick || rank == dim + 2, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
             "%s: key '%s' picks a time index but variable '%s' (%s) has no trailing time axis", path, key, name, shape);
  PetscCheck(!samples_last || rank == dim + 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: variable '%s' is %s; DGenNO files (with 'coe') hold S... x N fields of rank %d, without a time axis", path, name, shape,
             dim + 1);
  PetscCall(PetscStrncpy(f->key, key, sizeof(f->key)));
  PetscCall(PetscStrncpy(f->name, name, sizeof(f->name)));
  f->rank     = rank;
  f->reversed = PETSC_TRUE;
  for (int k = 0; k < rank; k++) {
    f->dims[k] = dims[k];
    f->role[k] = k == (samples_last ? rank - 1 : 0) ? NEOP_AXIS_SAMPLE : NEOP_AXIS_SPACE;
  }
  if (rank == dim + 2) {
    f->role[rank - 1] = has_pick ? NEOP_AXIS_PICK : NEOP_AXIS_CHANNEL;
    f->pick[rank - 1] = pick;
  }
  PetscCall(NeopFieldFinish(path, f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* --- v7.3 --- */

static PetscErrorCode mat73_field(const char *path, hid_t file, const char *key, PetscBool samples_last, int *dim, NeopField *f)
{
  char      name[256];
  PetscBool has_pick;
  int64_t   pick, h5dims[NEOP_FIELD_MAX_RANK], dims[NEOP_FIELD_MAX_RANK];
  int       rank;

  PetscFunctionBegin;
  PetscCall(NeopParseKey(path, key, name, sizeof(name), &has_pick, &pick));
  PetscCall(NeopH5DatasetDims(path, file, name, &rank, h5dims));
  for (int k = 0; k < rank; k++) dims[k] = h5dims[rank - 1 - k];
  if (*dim == 0) *dim = has_pick ? rank - 2 : rank - 1; /* the input decides */
  PetscCheck(*dim >= 1 && *dim <= 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: variable '%s' has rank %d: expected N x S1 [x S2 [x S3]]", path, name, rank);
  PetscCall(NeopPlanMatlabField(path, key, name, rank, dims, *dim, has_pick, pick, samples_last, f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPlanMat73(const char *path, hid_t file, const char *a_key, const char *u_key, NeopDataPlan *plan)
{
  PetscBool fno    = H5Lexists(file, "coeff", H5P_DEFAULT) > 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscBool dgenno = !fno && H5Lexists(file, "coe", H5P_DEFAULT) > 0 ? PETSC_TRUE : PETSC_FALSE;

  PetscFunctionBegin;
  PetscCall(mat73_field(path, file, a_key ? a_key : (fno ? "coeff" : dgenno ? "coe" : "a"), dgenno, &plan->dim, &plan->a));
  if (!u_key || u_key[0]) PetscCall(mat73_field(path, file, u_key ? u_key : (fno ? "sol" : "u"), dgenno, &plan->dim, &plan->u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* --- v5 through matio --- */

/* matio's default logger aborts on errors: keep its last message instead. */
static char mat_last_message[256];
static void mat_log(int level, char *message) { PetscStrncpy(mat_last_message, message, sizeof(mat_last_message)); }

PetscErrorCode NeopMat5Open(const char *path, mat_t **mat)
{
  static PetscBool logger;

  PetscFunctionBegin;
  if (!logger) {
    Mat_LogInitFunc("neop", mat_log);
    logger = PETSC_TRUE;
  }
  mat_last_message[0] = 0;
  *mat                = Mat_Open(path, MAT_ACC_RDONLY);
  PetscCheck(*mat, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: matio cannot open it as a MATLAB file%s%s", path,
             mat_last_message[0] ? ": " : "", mat_last_message);
  PetscFunctionReturn(PETSC_SUCCESS);
}

const char *NeopMat5LastMessage(void) { return mat_last_message; }

static PetscErrorCode mat5_field(const char *path, mat_t *mat, const char *key, PetscBool samples_last, int *dim, NeopField *f)
{
  char      name[256];
  PetscBool has_pick;
  int64_t   pick, dims[NEOP_FIELD_MAX_RANK];
  matvar_t *v;

  PetscFunctionBegin;
  PetscCall(NeopParseKey(path, key, name, sizeof(name), &has_pick, &pick));
  v = Mat_VarReadInfo(mat, name);
  if (!v) {
    char   list[256] = "";
    size_t n         = 0;
    char **dir;
    Mat_Rewind(mat);
    dir = Mat_GetDir(mat, &n);
    for (size_t i = 0; dir && i < n; i++) {
      if (strlen(list) + strlen(dir[i]) + 3 >= sizeof(list)) break;
      if (list[0]) PetscCall(PetscStrlcat(list, ", ", sizeof(list)));
      PetscCall(PetscStrlcat(list, dir[i], sizeof(list)));
    }
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no variable '%s' (the file has: %s)", path, name,
            list[0] ? list : "nothing readable");
  }
  PetscBool ok_class = v->class_type == MAT_C_DOUBLE || v->class_type == MAT_C_SINGLE;
  PetscBool real     = !v->isComplex && !(v->class_type == MAT_C_SPARSE);
  int       rank     = v->rank;
  for (int k = 0; k < rank && k < NEOP_FIELD_MAX_RANK; k++) dims[k] = (int64_t)v->dims[k];
  Mat_VarFree(v);
  PetscCheck(ok_class && real, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: variable '%s' must be a real double or single array (it is %s)", path, name,
             real ? "of another class" : "complex or sparse");
  PetscCheck(rank <= NEOP_FIELD_MAX_RANK, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: variable '%s' has rank %d", path, name, rank);
  if (*dim == 0) *dim = has_pick ? rank - 2 : rank - 1;
  PetscCheck(*dim >= 1 && *dim <= 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: variable '%s' has rank %d: expected N x S1 [x S2 [x S3]]", path, name, rank);
  PetscCall(NeopPlanMatlabField(path, key, name, rank, dims, *dim, has_pick, pick, samples_last, f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* whether the file holds a variable of this name */
static PetscBool mat5_has(mat_t *mat, const char *name)
{
  matvar_t *probe = Mat_VarReadInfo(mat, name);

  if (probe) Mat_VarFree(probe);
  Mat_Rewind(mat);
  return probe ? PETSC_TRUE : PETSC_FALSE;
}

PetscErrorCode NeopPlanMat5(const char *path, const char *a_key, const char *u_key, NeopDataPlan *plan)
{
  mat_t         *mat;
  PetscBool      fno, dgenno;
  PetscErrorCode ierr;

  PetscFunctionBegin;
  PetscCall(NeopMat5Open(path, &mat));
  fno    = mat5_has(mat, "coeff");
  dgenno = !fno && mat5_has(mat, "coe");
  ierr   = mat5_field(path, mat, a_key ? a_key : (fno ? "coeff" : dgenno ? "coe" : "a"), dgenno, &plan->dim, &plan->a);
  Mat_Rewind(mat);
  if (!ierr && (!u_key || u_key[0])) ierr = mat5_field(path, mat, u_key ? u_key : (fno ? "sol" : "u"), dgenno, &plan->dim, &plan->u);
  Mat_Close(mat);
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}
