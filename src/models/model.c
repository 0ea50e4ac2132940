/* The generic part of NeopModel: registry, lifecycle, recorded options. */
#include <neop/model.h>
#include <stdarg.h>

#define NEOP_MAX_FAMILIES 32
static struct {
  char              type[32];
  NeopModelCreateFn create;
} families[NEOP_MAX_FAMILIES];
static int nfamilies;

PetscErrorCode NeopModelRegister(const char *type, NeopModelCreateFn create)
{
  PetscFunctionBegin;
  for (int i = 0; i < nfamilies; i++)
    if (!strcmp(families[i].type, type)) {
      families[i].create = create;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  PetscCheck(nfamilies < NEOP_MAX_FAMILIES, PETSC_COMM_SELF, PETSC_ERR_PLIB, "too many model families");
  PetscCall(PetscStrncpy(families[nfamilies].type, type, sizeof(families[0].type)));
  families[nfamilies++].create = create;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscBool NeopModelTypeRegistered(const char *type)
{
  for (int i = 0; i < nfamilies; i++)
    if (!strcmp(families[i].type, type)) return PETSC_TRUE;
  return PETSC_FALSE;
}

PetscErrorCode NeopModelTypeList(char *buf, size_t len)
{
  PetscFunctionBegin;
  buf[0] = 0;
  for (int i = 0; i < nfamilies; i++) {
    if (i) PetscCall(PetscStrlcat(buf, ",", len));
    PetscCall(PetscStrlcat(buf, families[i].type, len));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate(MPI_Comm comm, NeopModel *m)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(m));
  (*m)->comm = comm;
  (*m)->seed = 0;
  PetscCall(NeopParamsCreate(&(*m)->params));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelSetType(NeopModel m, const char *type)
{
  char known[512];

  PetscFunctionBegin;
  PetscCheck(!m->type[0], m->comm, PETSC_ERR_ARG_WRONGSTATE, "model type already set to %s", m->type);
  for (int i = 0; i < nfamilies; i++)
    if (!strcmp(families[i].type, type)) {
      PetscCall(PetscStrncpy(m->type, type, sizeof(m->type)));
      PetscCall(PetscSNPrintf(m->prefix, sizeof(m->prefix), "%s_", type));
      PetscCall(families[i].create(m));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  PetscCall(NeopModelTypeList(known, sizeof(known)));
  SETERRQ(m->comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "unknown model type '%s' (known: %s)", type, known);
}

PetscErrorCode NeopModelSetShape(NeopModel m, int dim, int in_channels, int out_channels)
{
  PetscFunctionBegin;
  PetscCheck(dim >= 1 && dim <= 3, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "spatial dimension %d not in [1, 3]", dim);
  PetscCheck(in_channels >= 1 && out_channels >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "channels must be positive");
  m->dim          = dim;
  m->in_channels  = in_channels;
  m->out_channels = out_channels;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelSetGrid(NeopModel m, const int *grid)
{
  PetscFunctionBegin;
  PetscCheck(m->dim, m->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopModelSetGrid: call NeopModelSetShape first");
  for (int d = 0; d < m->dim; d++) m->grid[d] = grid[d];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelSetPointSet(NeopModel m, PetscBool point_set)
{
  PetscFunctionBegin;
  PetscCheck(!m->setup_called, m->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopModelSetPointSet after NeopModelSetUp");
  m->point_set = point_set;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelRecordOption(NeopModel m, const char *name, const char *fmt, ...)
{
  va_list ap;
  int     i;

  PetscFunctionBegin;
  for (i = 0; i < m->noptions; i++)
    if (!strcmp(m->option_name[i], name)) break;
  PetscCheck(i < NEOP_MAX_OPTIONS, m->comm, PETSC_ERR_PLIB, "too many recorded options");
  PetscCall(PetscStrncpy(m->option_name[i], name, sizeof(m->option_name[i])));
  va_start(ap, fmt);
  vsnprintf(m->option_value[i], sizeof(m->option_value[i]), fmt, ap);
  va_end(ap);
  if (i == m->noptions) m->noptions++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelSetFromOptions(NeopModel m)
{
  char      type[32] = "fno", known[512];
  PetscInt  seed     = (PetscInt)m->seed;
  PetscBool set;

  PetscFunctionBegin;
  PetscCall(NeopModelTypeList(known, sizeof(known)));
  PetscOptionsBegin(m->comm, NULL, "Neural operator", NULL);
  PetscCall(PetscOptionsString("-model", "model family", NULL, m->type[0] ? m->type : type, type, sizeof(type), &set));
  PetscCall(PetscOptionsInt("-model_seed", "seed of the parameter initialisation", NULL, seed, &seed, NULL));
  PetscOptionsEnd();
  if (!m->type[0]) PetscCall(NeopModelSetType(m, type));
  else PetscCheck(!set || !strcmp(type, m->type), m->comm, PETSC_ERR_ARG_WRONG, "-model %s but the model is %s", type, m->type);
  m->seed = (uint64_t)seed;
  PetscCall(NeopModelRecordOption(m, "-model", "%s", m->type));
  PetscCall(NeopModelRecordOption(m, "-model_seed", "%d", (int)seed));
  if (m->ops.setfromoptions) {
    PetscOptionsBegin(m->comm, m->prefix, "Model family options", NULL);
    PetscCall(m->ops.setfromoptions(m, PetscOptionsObject));
    PetscOptionsEnd();
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelSetUp(NeopModel m)
{
  PetscFunctionBegin;
  if (m->setup_called) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(m->type[0], m->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopModelSetUp: no model type set");
  PetscCheck(m->dim, m->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopModelSetUp: call NeopModelSetShape first");
  PetscCheck(!m->point_set || m->ops.forward_points, m->comm, PETSC_ERR_SUP,
             "model %s works on grids only; point sets (values at coordinates /pos) need a model that takes positions: -model transolver",
             m->type);
  PetscCall(m->ops.setup(m));
  PetscCall(NeopParamsFinalize(m->params, m->seed));
  m->setup_called = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelForward(NeopModel m, NeopTape *tape, NeopTensor *x, NeopTensor **y)
{
  char buf[96];

  PetscFunctionBegin;
  PetscCheck(m->setup_called, m->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopModelForward before NeopModelSetUp");
  PetscCheck(!m->point_set, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "model %s was set up for point sets: use NeopModelForwardPoints", m->type);
  PetscCheck(x->ndim == m->dim + 2 && x->shape[1] == m->in_channels, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "model %s expects input (N, %d, %d spatial dims), got %s", m->type, m->in_channels, m->dim,
             NeopTensorShapeString(x, buf, sizeof(buf)));
  PetscCall(m->ops.forward(m, tape, x, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelForwardPoints(NeopModel m, NeopTape *tape, NeopTensor *x, NeopTensor *pos, NeopTensor **y)
{
  char bx[96], bp[96];

  PetscFunctionBegin;
  PetscCheck(m->setup_called, m->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopModelForwardPoints before NeopModelSetUp");
  PetscCheck(m->point_set, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "model %s was set up for grids (NeopModelSetPointSet)", m->type);
  PetscCheck(x->ndim == 3 && x->shape[1] == m->in_channels && pos->ndim == 3 && pos->shape[0] == x->shape[0] && pos->shape[1] == m->dim &&
               pos->shape[2] == x->shape[2],
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "model %s expects values (N, %d, P) and positions (N, %d, P), got %s and %s", m->type,
             m->in_channels, m->dim, NeopTensorShapeString(x, bx, sizeof(bx)), NeopTensorShapeString(pos, bp, sizeof(bp)));
  PetscCall(m->ops.forward_points(m, tape, x, pos, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelView(NeopModel m, PetscViewer viewer)
{
  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(m->comm, &viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "NeopModel %s: %d-D%s, %d -> %d channels\n", m->type, m->dim, m->point_set ? " point sets" : "",
                                   m->in_channels, m->out_channels));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  if (m->ops.view) PetscCall(m->ops.view(m, viewer));
  for (int i = 0; i < m->noptions; i++)
    PetscCall(PetscViewerASCIIPrintf(viewer, "%s %s\n", m->option_name[i], m->option_value[i]));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "parameters: %lld\n", (long long)NeopModelParameterCount(m)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int64_t NeopModelParameterCount(NeopModel m)
{
  int64_t n = 0;
  for (int i = 0; i < m->params->n; i++) n += m->params->list[i]->tensor.size;
  return n;
}

PetscErrorCode NeopModelDestroy(NeopModel *m)
{
  PetscFunctionBegin;
  if (!*m) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*m)->ops.destroy) PetscCall((*m)->ops.destroy(*m));
  PetscCall(NeopParamsDestroy(&(*m)->params));
  PetscCall(PetscFree(*m));
  PetscFunctionReturn(PETSC_SUCCESS);
}
