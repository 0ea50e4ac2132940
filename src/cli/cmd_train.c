/* neop train: fit a model to a data file; see include/neop/train.h. */
#include "cli/commands.h"
#include <neop/train.h>
#include "core/runtime.h"

PetscErrorCode NeopCmdTrain(MPI_Comm comm)
{
  NeopTrainer tr;

  PetscFunctionBegin;
  PetscCall(NeopTrainerCreate(comm, &tr));
  PetscCall(NeopTrainerSetFromOptions(tr));
  {
    PetscBool help;
    PetscCall(PetscOptionsHasHelp(NULL, &help));
    if (help) {
      PetscCall(NeopTrainerHelp(tr));
      PetscCall(NeopTrainerDestroy(&tr));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  PetscCall(NeopTrainerSetUp(tr));
  /* every option has been read by now: refuse a misspelt one before training */
  PetscCall(NeopRuntimeCheckOptionsUsed(comm));
  PetscCall(NeopTrainerRun(tr));
  PetscCall(NeopTrainerDestroy(&tr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
