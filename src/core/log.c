#include <neop/log.h>
#include <string.h>

PetscClassId NEOP_CLASSID = 0;

#define NEOP_MAX_EVENTS 128
static struct {
  const char   *name;
  PetscLogEvent event;
} events[NEOP_MAX_EVENTS];
static int nevents;

PetscErrorCode NeopLogEvent(const char *name, PetscLogEvent *event)
{
  PetscFunctionBegin;
  for (int i = 0; i < nevents; i++)
    if (!strcmp(events[i].name, name)) {
      *event = events[i].event;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  PetscCheck(nevents < NEOP_MAX_EVENTS, PETSC_COMM_SELF, PETSC_ERR_PLIB, "too many log events");
  if (!NEOP_CLASSID) PetscCall(PetscClassIdRegister("neop", &NEOP_CLASSID));
  PetscCall(PetscLogEventRegister(name, NEOP_CLASSID, event));
  events[nevents].name    = name;
  events[nevents++].event = *event;
  PetscFunctionReturn(PETSC_SUCCESS);
}
