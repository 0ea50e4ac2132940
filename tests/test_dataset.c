/* Data readers: every format gives the arrays numpy slicing gives
   (tests/reference/make_import_fixtures.py wrote both), in the right
   orientation, with sub-sampling, ranges, keys and errors. */
#include "testing.h"
#include "io/dataset_impl.h"
#include <string.h>

static const char *fixture(const char *name)
{
  static char path[4][PETSC_MAX_PATH_LEN];
  static int  i;
  const char *dir = getenv("NEOP_FIXTURES");
  i               = (i + 1) % 4;
  PetscSNPrintf(path[i], sizeof(path[i]), "%s/%s", dir ? dir : "tests/fixtures", name);
  return path[i];
}

/* Loads and compares a (and u) with the expected arrays; checks the shapes. */
static PetscErrorCode expect(const char *file, const char *akey, const char *ukey, int offset, int count, int sub,
                             const char *ea, const char *eu, int ca, int cu, int dim, const int *grid)
{
  NeopDataset *ds;
  float       *v;
  int64_t      n, pts = 1;
  char         what[256];

  PetscFunctionBegin;
  PetscCall(NeopDatasetLoad(PETSC_COMM_WORLD, fixture(file), akey, ukey, offset, count, sub, &ds));
  for (int k = 0; k < dim; k++) pts *= grid[k];
  PetscBool shape_ok = ds->dim == dim && ds->ca == ca && ds->cu == cu && ds->nlocal == ds->nglobal;
  for (int k = 0; k < dim; k++) shape_ok = shape_ok && ds->grid[k] == grid[k];
  NeopTestCheck(shape_ok, "%s %s/%s sub %d: dim %d ca %d cu %d grid %d x %d (expected %d, %d, %d, %d x %d)", file,
                akey ? akey : "default", ukey ? ukey : "default", sub, ds->dim, ds->ca, ds->cu, ds->grid[0], ds->grid[1], dim,
                ca, cu, grid[0], dim > 1 ? grid[1] : 1);
  if (shape_ok) {
    PetscCall(NeopTestReadFixture("import_expected.h5", ea, &v, &n));
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s a vs %s", file, ea));
    NeopTestCheck(n == (int64_t)ds->nglobal * ca * pts, "%s: %lld values expected, %lld read", what, (long long)n,
                  (long long)ds->nglobal * ca * pts);
    if (n == (int64_t)ds->nglobal * ca * pts) NeopTestClose(what, n, ds->a, v, 0, 1e-30); /* exact */
    PetscCall(PetscFree(v));
    if (eu) {
      PetscCall(NeopTestReadFixture("import_expected.h5", eu, &v, &n));
      PetscCall(PetscSNPrintf(what, sizeof(what), "%s u vs %s", file, eu));
      NeopTestCheck(n == (int64_t)ds->nglobal * cu * pts, "%s: size", what);
      if (n == (int64_t)ds->nglobal * cu * pts) NeopTestClose(what, n, ds->u, v, 0, 1e-30);
      PetscCall(PetscFree(v));
    }
  }
  PetscCall(NeopDatasetDestroy(&ds));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The load must fail, and its message must contain every one of the words. */
static PetscErrorCode expect_error(const char *file, const char *akey, const char *ukey, int offset, int count, int sub,
                                   const char *w1, const char *w2)
{
  NeopDataset   *ds = NULL;
  PetscErrorCode ierr;
  char          *msg = NULL;

  PetscFunctionBegin;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = NeopDatasetLoad(PETSC_COMM_WORLD, file, akey, ukey, offset, count, sub, &ds);
  PetscCall(PetscPopErrorHandler());
  if (ierr) PetscErrorMessage(ierr, NULL, &msg);
  NeopTestCheck(ierr && msg && strstr(msg, w1) && (!w2 || strstr(msg, w2)), "%s (%s/%s): error naming '%s' and '%s': got %s",
                file, akey ? akey : "-", ukey ? ukey : "-", w1, w2 ? w2 : "", ierr ? msg : "success");
  PetscCall(NeopDatasetDestroy(&ds));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    int g97[2] = {9, 7}, g54[2] = {5, 4}, g56[2] = {5, 6}, g33[2] = {3, 3}, g99[2] = {9, 9}, g55[2] = {5, 5};
    int g3[2] = {3, 3}, g16[1] = {16}, g6[1] = {6}, g8[1] = {8};
    /* MATLAB v5 (compressed), default keys coeff/sol, 9 x 7 grid */
    PetscCall(expect("import_mat5.mat", NULL, NULL, 0, -1, 1, "mat5_a", "mat5_u", 1, 1, 2, g97));
    PetscCall(expect("import_mat5.mat", "coeff", "sol", 0, -1, 2, "mat5_a_sub2", NULL, 1, 1, 2, g54));
    PetscCall(expect("import_mat5.mat", NULL, NULL, 1, 2, 2, "mat5_a_sub2_off1_n2", "mat5_u_sub2_off1_n2", 1, 1, 2, g54));
    /* MATLAB v7.3 (HDF5, reversed axes) */
    PetscCall(expect("import_mat73.mat", NULL, NULL, 0, -1, 1, "mat73_a", "mat73_u", 1, 1, 2, g97));
    /* DGenNO files (coe/u, S1 x S2 x N in MATLAB: the sample axis last), v7.3 and v5 */
    PetscCall(expect("import_dgenno73.mat", NULL, NULL, 0, -1, 1, "dgenno_a", "dgenno_u", 1, 1, 2, g97));
    PetscCall(expect("import_dgenno5.mat", NULL, NULL, 0, -1, 1, "dgenno_a", "dgenno_u", 1, 1, 2, g97));
    PetscCall(expect("import_dgenno73.mat", NULL, NULL, 1, -1, 2, "dgenno_a_sub2_off1", "dgenno_u_sub2_off1", 1, 1, 2, g54));
    PetscCall(expect("import_dgenno5.mat", NULL, NULL, 1, -1, 2, "dgenno_a_sub2_off1", "dgenno_u_sub2_off1", 1, 1, 2, g54));
    PetscCall(expect("import_mat73.mat", NULL, NULL, 2, -1, 3, "mat73_a_sub3_off2", "mat73_u_sub3_off2", 1, 1, 2, g33));
    PetscCall(expect("import_mat73.mat", "sol", "coeff", 2, -1, 3, "mat73_u_sub3_off2", "mat73_a_sub3_off2", 1, 1, 2, g33));
    /* Navier-Stokes-like: trailing time axis to channels, or one time picked */
    PetscCall(expect("import_mat73.mat", "a", "u", 0, -1, 1, "mat73_ns_a", "mat73_ns_u", 1, 4, 2, g56));
    PetscCall(expect("import_mat73.mat", "a", "u[-1]", 0, -1, 1, "mat73_ns_a", "mat73_ns_u_last", 1, 1, 2, g56));
    PetscCall(expect("import_mat73.mat", "u[3]", "u", 0, -1, 2, "mat73_ns_u_last_sub2", "mat73_ns_u_sub2", 1, 4, 2, g33));
    /* PDEBench 1-D: tensor[0] -> a, tensor[-1] -> u; another time by key */
    PetscCall(expect("import_pdebench_1d.h5", NULL, NULL, 0, -1, 1, "pde1d_a", "pde1d_u", 1, 1, 1, g16));
    PetscCall(expect("import_pdebench_1d.h5", "tensor[2]", "tensor[2]", 0, -1, 3, "pde1d_u_t2_sub3", NULL, 1, 1, 1, g6));
    /* PDEBench 2-D Darcy: nu -> a, tensor -> u */
    PetscCall(expect("import_pdebench_darcy.h5", NULL, NULL, 0, -1, 4, "darcy_a_sub4", "darcy_u_sub4", 1, 1, 2, g3));
    /* neop schema: channels kept, ranges, time-dependent trajectories */
    PetscCall(expect("import_neop.h5", NULL, NULL, 0, -1, 1, "neop_a", "neop_u", 2, 1, 2, g99));
    PetscCall(expect("import_neop.h5", NULL, "", 1, 3, 2, "neop_a_sub2_off1_n3", NULL, 2, 0, 2, g55));
    PetscCall(expect("import_neop_time.h5", NULL, NULL, 0, -1, 1, "neopt_a", "neopt_u", 1, 5, 1, g8));
    PetscCall(expect("import_neop_time.h5", NULL, "u[3]", 0, -1, 1, "neopt_a", "neopt_u_t3", 1, 1, 1, g8));
  }
  {
    /* orientation spelled out: MATLAB coeff(n, i, j) is a[n][0][i][j] here;
       in the v7.3 file it is the HDF5 element [j][i][n] */
    NeopDataset *ds;
    float       *raw;
    int64_t      n;
    PetscCall(NeopDatasetLoad(PETSC_COMM_WORLD, fixture("import_mat73.mat"), NULL, "", 0, -1, 1, &ds));
    PetscCall(NeopTestReadFixture("import_mat73.mat", "coeff", &raw, &n)); /* HDF5 (7, 9, 4) */
    int bad = 0;
    for (int s = 0; s < 4; s++)
      for (int i = 0; i < 9; i++)
        for (int j = 0; j < 7; j++) bad += ds->a[(s * 9 + i) * 7 + j] != raw[(j * 9 + i) * 4 + s];
    NeopTestCheck(n == 252 && bad == 0, "MATLAB v7.3 coeff(n, i, j) == HDF5 [j][i][n]: %d mismatches", bad);
    PetscCall(PetscFree(raw));
    PetscCall(NeopDatasetDestroy(&ds));
  }
  /* refusals, each naming the file and the dataset */
  PetscCall(expect_error(fixture("does_not_exist.h5"), NULL, NULL, 0, -1, 1, "does_not_exist.h5", "cannot open"));
  PetscCall(expect_error(fixture("../test_dataset.c"), NULL, NULL, 0, -1, 1, "test_dataset.c", "neither an HDF5"));
  PetscCall(expect_error(fixture("import_expected.h5"), NULL, NULL, 0, -1, 1, "import_expected.h5", "not a neop data file"));
  PetscCall(expect_error(fixture("import_mat73.mat"), "nope", NULL, 0, -1, 1, "import_mat73.mat", "no dataset 'nope'"));
  PetscCall(expect_error(fixture("import_mat5.mat"), "coeff", "nope", 0, -1, 1, "import_mat5.mat", "no variable 'nope'"));
  PetscCall(expect_error(fixture("import_mat73.mat"), NULL, "sol_flat", 0, -1, 1, "import_mat73.mat", "'sol_flat' is 4 x 63"));
  PetscCall(expect_error(fixture("import_mat5.mat"), NULL, "sol_small", 0, -1, 1, "import_mat5.mat", "disagree"));
  PetscCall(expect_error(fixture("import_mat5.mat"), "coeff_nan", NULL, 0, -1, 1, "'coeff_nan'", "first in sample 2"));
  PetscCall(expect_error(fixture("import_neop_incomplete.h5"), NULL, NULL, 0, -1, 1, "import_neop_incomplete.h5", "interrupted"));
  PetscCall(expect_error(fixture("import_neop.h5"), NULL, NULL, 2, 3, 1, "import_neop.h5", "has 4 samples"));
  PetscCall(expect_error(fixture("import_neop.h5"), NULL, NULL, 0, -1, 0, "import_neop.h5", "sub-sampling"));
  PetscCall(expect_error(fixture("import_neop.h5"), "a[1]", NULL, 0, -1, 1, "import_neop.h5", "no time axis"));
  PetscCall(expect_error(fixture("import_neop_time.h5"), NULL, "u[5]", 0, -1, 1, "import_neop_time.h5", "out of range"));
  return NeopTestFinalize();
}
