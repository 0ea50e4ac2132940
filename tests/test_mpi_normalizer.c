/* A normaliser fitted on two ranks' samples equals the one fitted on all of them on one rank. */
#include "testing.h"
#include <neop/data.h>

int main(int argc, char **argv)
{
  const int      N = 7, C = 3, P = 10, n = C * P;
  float          x[7 * 30];
  NeopNormalizer whole, split;
  PetscMPIInt    rank;

  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  NeopTestRandom(11, N * n, -2, 5, x);
  for (int kind = NEOP_NORM_POINTWISE; kind <= NEOP_NORM_SCALAR; kind++) {
    int first = rank ? 4 : 0, count = rank ? 3 : 4; /* samples 0..3 | 4..6 */
    PetscCall(NeopNormalizerFit(PETSC_COMM_SELF, (NeopNormKind)kind, C, P, N, x, &whole));
    PetscCall(NeopNormalizerFit(PETSC_COMM_WORLD, (NeopNormKind)kind, C, P, count, x + first * n, &split));
    int m = kind == NEOP_NORM_POINTWISE ? n : C;
    NeopTestClose(kind == NEOP_NORM_POINTWISE ? "pointwise mean, 2 ranks vs 1" : "per-channel mean, 2 ranks vs 1", m, split.mean,
                  whole.mean, 1e-6, 1e-7);
    NeopTestClose(kind == NEOP_NORM_POINTWISE ? "pointwise std, 2 ranks vs 1" : "per-channel std, 2 ranks vs 1", m, split.std,
                  whole.std, 1e-6, 1e-7);
    PetscCall(NeopNormalizerDestroy(&whole));
    PetscCall(NeopNormalizerDestroy(&split));
  }
  return NeopTestFinalize();
}
