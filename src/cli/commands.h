/* The neop subcommands. Each runs after PetscInitialize on PETSC_COMM_WORLD,
   reads its options from the PETSc options database and is collective. */
#pragma once
#include <neop/petsc_compat.h>

typedef PetscErrorCode (*NeopCommandFn)(MPI_Comm comm);

typedef struct {
  const char   *name;
  const char   *summary;
  NeopCommandFn run;
} NeopCommand;

PetscErrorCode NeopCmdDatagen(MPI_Comm comm);
PetscErrorCode NeopCmdTrain(MPI_Comm comm);
PetscErrorCode NeopCmdEval(MPI_Comm comm);
PetscErrorCode NeopCmdPredict(MPI_Comm comm);
PetscErrorCode NeopCmdConvert(MPI_Comm comm);
PetscErrorCode NeopCmdInfo(MPI_Comm comm);
PetscErrorCode NeopCmdInvert(MPI_Comm comm);

/* Table of the commands linked into this build (src/cli/command_table.c). */
extern const NeopCommand NeopCommands[];
