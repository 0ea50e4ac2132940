#include "cli/commands.h"

/* Commands are added here as their files land; main.c lists this table. */
const NeopCommand NeopCommands[] = {
  {"train", "train a neural operator on a data file (mpirun for data parallel)", NeopCmdTrain},
  {"eval", "evaluate a checkpoint against reference solutions", NeopCmdEval},
  {"predict", "apply a checkpoint to new inputs", NeopCmdPredict},
  {NULL, NULL, NULL}
};
