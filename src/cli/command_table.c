#include "cli/commands.h"

/* Commands are added here as their files land; main.c lists this table. */
const NeopCommand NeopCommands[] = {
  {NULL, NULL, NULL}
};
