#include "cli/commands.h"

/* Commands are added here as their files land; main.c lists this table. */
const NeopCommand NeopCommands[] = {
  {"datagen", "generate PDE training data with the PETSc solvers", NeopCmdDatagen},
  {"train", "train a neural operator on a data file (mpirun for data parallel)", NeopCmdTrain},
  {"eval", "evaluate a checkpoint against reference solutions", NeopCmdEval},
  {"predict", "apply a checkpoint to new inputs", NeopCmdPredict},
  {"convert", "convert MATLAB (v5/v7.3) or PDEBench data to a neop data file", NeopCmdConvert},
  {"invert", "DGNO inverse problem: latent fit and posterior sampling from sparse observations", NeopCmdInvert},
  {"info", "describe a data file or checkpoint: kind, datasets, ranges, attributes", NeopCmdInfo},
  {NULL, NULL, NULL}
};
