/* The optimizer's allreduce: on 2 ranks holding 1/4 and 3/4 of torch's
   gradient, every rank ends with torch's parameters (tests/reference/optim.py). */
#include "optim_fixture.h"

int main(int argc, char **argv)
{
  const char *cases[] = {"sgd", "adamw_onecycle"};
  PetscMPIInt rank, size;

  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  for (int k = 0; k < 2; k++) {
    OptimCase c;
    float    *params, *lr;
    char      what[128];
    /* shares sum to 1 whatever the number of ranks */
    float share = size == 1 ? 1.f : (rank == 0 ? 0.25f : 0.75f / (float)(size - 1));

    PetscCall(optim_case_load(cases[k], &c));
    PetscCall(PetscMalloc2(c.nsteps * c.n, &params, c.nsteps, &lr));
    PetscCall(optim_case_run(PETSC_COMM_WORLD, &c, share, params, lr));
    PetscCall(PetscSNPrintf(what, sizeof(what), "%s on %d ranks, rank %d: parameters after %d steps", cases[k], size, rank, c.nsteps));
    NeopTestClose(what, (int64_t)c.nsteps * c.n, params, c.params, 1e-5, 1e-6);
    PetscCall(PetscFree2(params, lr));
    PetscCall(optim_case_free(&c));
  }
  return NeopTestFinalize();
}
