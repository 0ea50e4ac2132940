/* PDEBench HDF5 files (github.com/pdebench/PDEBench, data_gen output):
     1-D:      tensor (N, T, X), x-coordinate (X), t-coordinate (T + 1)
     2-D Darcy: nu (N, S, S), tensor (N, 1, S, S), x-coordinate, y-coordinate
   The spatial dimension is the number of *-coordinate datasets. An array of
   rank d + 1 is (N, *S); of rank d + 2 it is (N, T, *S): its T axis becomes
   the channels, or one time is picked with key[t]. Defaults: Darcy a = nu,
   u = tensor; otherwise a = tensor[0], u = tensor[-1]. */
#include "io/dataset_impl.h"

static PetscErrorCode plan_field(const char *path, hid_t file, const char *key, int dim, NeopField *f)
{
  PetscBool has_pick;
  int64_t   pick;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(f->key, key, sizeof(f->key)));
  PetscCall(NeopParseKey(path, key, f->name, sizeof(f->name), &has_pick, &pick));
  PetscCall(NeopH5DatasetDims(path, file, f->name, &f->rank, f->dims));
  PetscCheck(f->rank == dim + 1 || f->rank == dim + 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: dataset '%s' has rank %d; a %d-D PDEBench file needs (N, *S) (rank %d) or (N, T, *S) (rank %d)", path,
             f->name, f->rank, dim, dim + 1, dim + 2);
  PetscCheck(!has_pick || f->rank == dim + 2, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
             "%s: key '%s' picks a time index but dataset '%s' has no time axis", path, key, f->name);
  f->role[0] = NEOP_AXIS_SAMPLE;
  for (int k = 1; k < f->rank; k++) f->role[k] = NEOP_AXIS_SPACE;
  if (f->rank == dim + 2) {
    f->role[1] = has_pick ? NEOP_AXIS_PICK : NEOP_AXIS_CHANNEL;
    f->pick[1] = pick;
  }
  PetscCall(NeopFieldFinish(path, f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPlanPDEBench(const char *path, hid_t file, const char *a_key, const char *u_key, NeopDataPlan *plan)
{
  static const char *coord[3] = {"x-coordinate", "y-coordinate", "z-coordinate"};
  PetscBool          darcy;
  int                dim = 0;

  PetscFunctionBegin;
  for (int k = 0; k < 3; k++)
    if (H5Lexists(file, coord[k], H5P_DEFAULT) > 0) PetscCall(PetscStrncpy(plan->coord[dim++], coord[k], sizeof(plan->coord[0])));
  PetscCheck(dim >= 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: PDEBench file without x-coordinate: cannot tell its spatial dimension", path);
  plan->dim = dim;
  darcy     = H5Lexists(file, "nu", H5P_DEFAULT) > 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(plan_field(path, file, a_key ? a_key : (darcy ? "nu" : "tensor[0]"), dim, &plan->a));
  if (!u_key || u_key[0]) PetscCall(plan_field(path, file, u_key ? u_key : (darcy ? "tensor" : "tensor[-1]"), dim, &plan->u));
  PetscFunctionReturn(PETSC_SUCCESS);
}
