/* Calling a trained neop operator from C, without the neop executable:
     predict_darcy -checkpoint fno.h5 -grid 85
   builds a piecewise-constant permeability field in memory (as a simulation
   code would hand one over), predicts the pressure and prints a summary. */
#include <neop/neop.h>

int main(int argc, char **argv)
{
  char          path[PETSC_MAX_PATH_LEN] = "";
  PetscInt      S                        = 85;
  NeopPredictor p;
  NeopModel     m;
  float        *a, *u;
  int           grid[2];
  double        umax = 0, umean = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "predict_darcy -checkpoint C.h5 [-grid S]\n"));
  PetscCall(NeopInitialize(PETSC_COMM_WORLD));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-checkpoint", path, sizeof(path), NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-grid", &S, NULL));
  PetscCheck(path[0], PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "give -checkpoint FILE");

  PetscCall(NeopPredictorLoad(PETSC_COMM_SELF, path, &p));
  PetscCall(NeopPredictorGetModel(p, &m));
  PetscCheck(m->dim == 2 && m->in_channels == 1 && m->out_channels == 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT,
             "%s is not a 2-D scalar-to-scalar operator", path);
  grid[0] = grid[1] = (int)S;
  PetscCall(PetscMalloc2(S * S, &a, S * S, &u)); /* a, u: (1, 1, S, S) */
  /* permeability 12 in a disc, 3 outside */
  for (PetscInt i = 0; i < S; i++)
    for (PetscInt j = 0; j < S; j++) {
      double x = (double)i / (S - 1) - 0.5, y = (double)j / (S - 1) - 0.5;
      a[i * S + j] = x * x + y * y < 0.09 ? 12.f : 3.f;
    }
  PetscCall(NeopPredictorApply(p, 1, grid, a, 0, u));
  for (PetscInt k = 0; k < S * S; k++) {
    umean += u[k] / (double)(S * S);
    umax = PetscMax(umax, u[k]);
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "predicted u on %d x %d: mean %.6f, max %.6f, centre %.6f\n", (int)S, (int)S, umean, umax,
                        (double)u[(S / 2) * S + S / 2]));
  PetscCall(PetscFree2(a, u));
  PetscCall(NeopPredictorDestroy(&p));
  PetscCall(NeopFinalize());
  PetscCall(PetscFinalize());
  return 0;
}
