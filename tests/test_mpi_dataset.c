/* Two ranks read their blocks (collective parallel-HDF5 reads, and rank 0
   reading and sending); together they equal the one-rank read. Errors found
   on one rank's block reach every rank. */
#include "testing.h"
#include "io/dataset_impl.h"
#include <neop/neop_config.h>
#include <string.h>

static const char *fixture(const char *name)
{
  static char path[PETSC_MAX_PATH_LEN];
  const char *dir = getenv("NEOP_FIXTURES");
  PetscSNPrintf(path, sizeof(path), "%s/%s", dir ? dir : "tests/fixtures", name);
  return path;
}

static PetscErrorCode compare(const char *file, const char *akey, const char *ukey, int offset, int count, int sub, NeopDataIO io)
{
  NeopDataset *whole, *part;
  PetscMPIInt  rank;
  int          n;
  char         what[256];

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCall(NeopDatasetLoad(PETSC_COMM_SELF, fixture(file), akey, ukey, offset, count, sub, &whole));
  PetscCall(NeopDatasetLoadIO(PETSC_COMM_WORLD, fixture(file), akey, ukey, offset, count, sub, io, &part));
  int64_t pts = (int64_t)part->grid[0] * part->grid[1] * part->grid[2], sa = part->ca * pts, su = part->cu * pts;
  PetscCallMPI(MPI_Allreduce(&part->nlocal, &n, 1, MPI_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s sub %d [%d, +%d) %s rank %d", file, sub, offset, count,
                          io == NEOP_DATA_IO_ROOT ? "root-read" : "collective", rank));
  NeopTestCheck(n == whole->nglobal && part->nglobal == whole->nglobal && part->first + part->nlocal <= whole->nglobal &&
                  part->nlocal >= whole->nglobal / 2 && (rank == 0 ? part->first == 0 : part->first > 0),
                "%s: block [%d, +%d) of %d", what, part->first, part->nlocal, part->nglobal);
  if (part->nlocal) {
    NeopTestClose(what, part->nlocal * sa, part->a, whole->a + part->first * sa, 0, 1e-30);
    if (su) NeopTestClose(what, part->nlocal * su, part->u, whole->u + part->first * su, 0, 1e-30);
  }
  PetscCall(NeopDatasetDestroy(&part));
  PetscCall(NeopDatasetDestroy(&whole));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  NeopDataIO ios[2] = {NEOP_DATA_IO_ROOT, NEOP_DATA_IO_COLLECTIVE};
  PetscCall(NeopTestInitialize(&argc, &argv));
  for (int i = 0; i < (NEOP_HAVE_PARALLEL_HDF5 ? 2 : 1); i++) {
    PetscCall(compare("import_mat73.mat", NULL, NULL, 0, -1, 1, ios[i]));
    PetscCall(compare("import_mat73.mat", "a", "u", 0, 3, 2, ios[i]));
    PetscCall(compare("import_mat5.mat", NULL, NULL, 1, 3, 2, ios[i]));
    PetscCall(compare("import_pdebench_1d.h5", NULL, NULL, 0, -1, 3, ios[i]));
    PetscCall(compare("import_pdebench_darcy.h5", NULL, NULL, 1, -1, 2, ios[i]));
    PetscCall(compare("import_neop.h5", NULL, NULL, 0, -1, 2, ios[i]));
    PetscCall(compare("import_neop_time.h5", NULL, NULL, 1, 2, 1, ios[i]));
  }
  {
    /* sample 2 lies in rank 1's block; both ranks must fail with its index */
    NeopDataset   *ds = NULL;
    PetscErrorCode ierr;
    char          *msg = NULL;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = NeopDatasetLoad(PETSC_COMM_WORLD, fixture("import_mat5.mat"), "coeff_nan", NULL, 0, -1, 1, &ds);
    PetscCall(PetscPopErrorHandler());
    if (ierr) PetscErrorMessage(ierr, NULL, &msg);
    NeopTestCheck(ierr && msg && strstr(msg, "first in sample 2"), "NaN in another rank's block reported everywhere: %s",
                  ierr ? msg : "no error");
    PetscCall(NeopDatasetDestroy(&ds));
  }
  return NeopTestFinalize();
}
