/* neop train: fit a model to a data file; see include/neop/train.h. */
#include "cli/commands.h"
#include <neop/train.h>

PetscErrorCode NeopCmdTrain(MPI_Comm comm)
{
  NeopTrainer tr;

  PetscFunctionBegin;
  PetscCall(NeopTrainerCreate(comm, &tr));
  PetscCall(NeopTrainerSetFromOptions(tr));
  PetscCall(NeopTrainerSetUp(tr));
  PetscCall(NeopTrainerRun(tr));
  PetscCall(NeopTrainerDestroy(&tr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
