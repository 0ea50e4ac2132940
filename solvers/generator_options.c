#include "generator_pdes.h"
#include <stdarg.h>
#include <string.h>

PetscErrorCode NeopGeneratorAddOption(NeopGenerator g, const char *name, const char *fmt, ...)
{
  va_list ap;
  int     i;

  PetscFunctionBegin;
  for (i = 0; i < g->noptions; i++)
    if (!strcmp(g->option_name[i], name)) break;
  PetscCheck(i < NEOP_GEN_MAX_OPTIONS, PETSC_COMM_SELF, PETSC_ERR_PLIB, "generator %s: more than %d options recorded", g->pde,
             NEOP_GEN_MAX_OPTIONS);
  PetscCall(PetscStrncpy(g->option_name[i], name, sizeof(g->option_name[i])));
  va_start(ap, fmt);
  vsnprintf(g->option_value[i], sizeof(g->option_value[i]), fmt, ap);
  va_end(ap);
  if (i == g->noptions) g->noptions++;
  PetscFunctionReturn(PETSC_SUCCESS);
}
