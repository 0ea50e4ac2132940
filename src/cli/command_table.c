#include "cli/commands.h"

/* Commands are added here as their files land; main.c lists this table. */
const NeopCommand NeopCommands[] = {
  {"datagen", "generate PDE training data with the PETSc solvers", NeopCmdDatagen},
  {NULL, NULL, NULL}
};
