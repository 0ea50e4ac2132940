/* The generic part of NeopGenerator: registry, lifecycle, recorded options. */
#include "generator.h"
#include "generator_pdes.h"
#include <stdarg.h>

#define NEOP_MAX_PDES 16
static struct {
  char                  pde[32];
  NeopGeneratorCreateFn create;
} pdes[NEOP_MAX_PDES];
static int npdes;

PetscErrorCode NeopGeneratorRegister(const char *pde, NeopGeneratorCreateFn create)
{
  PetscFunctionBegin;
  for (int i = 0; i < npdes; i++)
    if (!strcmp(pdes[i].pde, pde)) {
      pdes[i].create = create;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  PetscCheck(npdes < NEOP_MAX_PDES, PETSC_COMM_SELF, PETSC_ERR_PLIB, "too many PDE generators");
  PetscCall(PetscStrncpy(pdes[npdes].pde, pde, sizeof(pdes[0].pde)));
  pdes[npdes++].create = create;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorRegisterAll(void)
{
  static PetscBool done = PETSC_FALSE;

  PetscFunctionBegin;
  if (done) PetscFunctionReturn(PETSC_SUCCESS);
  done = PETSC_TRUE;
  PetscCall(NeopGeneratorRegister("darcy", NeopGeneratorCreate_Darcy));
  PetscCall(NeopGeneratorRegister("poisson", NeopGeneratorCreate_Poisson));
  PetscCall(NeopGeneratorRegister("burgers", NeopGeneratorCreate_Burgers));
  PetscCall(NeopGeneratorRegister("navier_stokes", NeopGeneratorCreate_NavierStokes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorTypeList(char *buf, size_t len)
{
  PetscFunctionBegin;
  buf[0] = 0;
  for (int i = 0; i < npdes; i++) {
    if (i) PetscCall(PetscStrlcat(buf, ", ", len));
    PetscCall(PetscStrlcat(buf, pdes[i].pde, len));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

const char *NeopGeneratorTypeName(int i) { return i >= 0 && i < npdes ? pdes[i].pde : NULL; }

PetscErrorCode NeopGeneratorCreate(MPI_Comm comm, NeopGenerator *g)
{
  PetscFunctionBegin;
  PetscCall(NeopGeneratorRegisterAll());
  PetscCall(PetscNew(g));
  (*g)->comm       = comm;
  (*g)->solve_comm = PETSC_COMM_SELF;
  (*g)->npoints    = 64;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorSetType(NeopGenerator g, const char *pde)
{
  char known[256];

  PetscFunctionBegin;
  PetscCheck(!g->pde[0], g->comm, PETSC_ERR_ARG_WRONGSTATE, "generator type already set to %s", g->pde);
  for (int i = 0; i < npdes; i++)
    if (!strcmp(pdes[i].pde, pde)) {
      PetscCall(PetscStrncpy(g->pde, pde, sizeof(g->pde)));
      PetscCall(pdes[i].create(g));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  PetscCall(NeopGeneratorTypeList(known, sizeof(known)));
  SETERRQ(g->comm, PETSC_ERR_ARG_UNKNOWN_TYPE, "-pde %s: unknown PDE (known: %s)", pde, known);
}

PetscErrorCode NeopGeneratorRecordOption(NeopGenerator g, const char *name, const char *fmt, ...)
{
  va_list ap;
  int     i;

  PetscFunctionBegin;
  for (i = 0; i < g->noptions; i++)
    if (!strcmp(g->option_name[i], name)) break;
  PetscCheck(i < NEOP_GEN_MAX_OPTIONS, g->comm, PETSC_ERR_PLIB, "too many recorded generator options");
  PetscCall(PetscStrncpy(g->option_name[i], name, sizeof(g->option_name[i])));
  va_start(ap, fmt);
  vsnprintf(g->option_value[i], sizeof(g->option_value[i]), fmt, ap);
  va_end(ap);
  if (i == g->noptions) g->noptions++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorSetFromOptions(NeopGenerator g)
{
  char      pde[32] = "darcy", known[256], help[300];
  PetscInt  npoints = g->npoints, seed = (PetscInt)g->seed;
  PetscBool set;

  PetscFunctionBegin;
  PetscCall(NeopGeneratorTypeList(known, sizeof(known)));
  PetscCall(PetscSNPrintf(help, sizeof(help), "PDE to generate data for (%s)", known));
  PetscOptionsBegin(g->comm, NULL, "PDE data generator", NULL);
  PetscCall(PetscOptionsString("-pde", help, NULL, g->pde[0] ? g->pde : pde, pde, sizeof(pde), &set));
  PetscCall(PetscOptionsInt("-grid", "points per spatial dimension (boundary included)", NULL, npoints, &npoints, NULL));
  PetscCall(PetscOptionsInt("-seed", "seed of the per-sample random streams", NULL, seed, &seed, NULL));
  PetscOptionsEnd();
  PetscCheck(npoints >= 3, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-grid %d: need at least 3 points per dimension", (int)npoints);
  PetscCheck(seed >= 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-seed %d: must be non-negative", (int)seed);
  if (!g->pde[0]) PetscCall(NeopGeneratorSetType(g, pde));
  else PetscCheck(!set || !strcmp(pde, g->pde), g->comm, PETSC_ERR_ARG_WRONG, "-pde %s but the generator is %s", pde, g->pde);
  g->npoints = (int)npoints;
  g->seed    = (uint64_t)seed;
  PetscCall(NeopGeneratorRecordOption(g, "-grid", "%d", g->npoints));
  if (g->ops.setfromoptions) {
    char title[64]; /* one per PDE: -help prints a (prefix, title) section once */
    PetscCall(PetscSNPrintf(title, sizeof(title), "PDE %s", g->pde));
    PetscOptionsBegin(g->comm, NULL, title, NULL);
    PetscCall(g->ops.setfromoptions(g, PetscOptionsObject));
    PetscOptionsEnd();
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorOptionsSolveComm(NeopGenerator g, PetscOptionItems *PetscOptionsObject, const char *name)
{
  const char *choices[] = {"self", "world"};
  PetscInt    which     = g->solve_comm == PETSC_COMM_SELF ? 0 : 1;

  PetscFunctionBegin;
  PetscCall(PetscOptionsEList(name, "solve each sample on one rank (self) or across all ranks (world)", NULL, choices, 2,
                              choices[which], &which, NULL));
  g->solve_comm = which ? g->comm : PETSC_COMM_SELF;
  PetscCall(NeopGeneratorRecordOption(g, name, "%s", choices[which]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorSetUp(NeopGenerator g)
{
  PetscFunctionBegin;
  if (g->setup_called) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(g->pde[0], g->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopGeneratorSetUp: no PDE set (-pde)");
  PetscCall(g->ops.setup(g));
  PetscCheck(g->dim >= 1 && g->dim <= 3 && g->ca >= 1 && g->cu >= 1, g->comm, PETSC_ERR_PLIB,
             "generator %s set up an invalid layout (dim %d, ca %d, cu %d)", g->pde, g->dim, g->ca, g->cu);
  g->setup_called = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

int64_t NeopGeneratorSizeA(NeopGenerator g)
{
  int64_t n = g->ca;
  for (int d = 0; d < g->dim; d++) n *= g->grid[d];
  return n;
}

int64_t NeopGeneratorSizeU(NeopGenerator g)
{
  int64_t n = (int64_t)(g->nt > 0 ? g->nt : 1) * g->cu;
  for (int d = 0; d < g->dim; d++) n *= g->grid[d];
  return n;
}

PetscErrorCode NeopGeneratorSample(NeopGenerator g, int64_t index, float *a, float *u)
{
  PetscFunctionBegin;
  PetscCheck(g->setup_called, g->comm, PETSC_ERR_ARG_WRONGSTATE, "NeopGeneratorSample before NeopGeneratorSetUp");
  PetscCheck(index >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "sample index %lld is negative", (long long)index);
  PetscCall(g->ops.sample(g, index, a, u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorView(NeopGenerator g, PetscViewer viewer)
{
  PetscFunctionBegin;
  if (!viewer) PetscCall(PetscViewerASCIIGetStdout(g->comm, &viewer));
  PetscCall(PetscViewerASCIIPrintf(viewer, "NeopGenerator %s: %d-D, grid", g->pde, g->dim));
  for (int d = 0; d < g->dim; d++) PetscCall(PetscViewerASCIIPrintf(viewer, "%s%d", d ? " x " : " ", g->grid[d]));
  PetscCall(PetscViewerASCIIPrintf(viewer, ", a: %d channel(s), u: %d channel(s)", g->ca, g->cu));
  if (g->nt) PetscCall(PetscViewerASCIIPrintf(viewer, " x %d times", g->nt));
  PetscCall(PetscViewerASCIIPrintf(viewer, ", seed %llu\n", (unsigned long long)g->seed));
  PetscCall(PetscViewerASCIIPushTab(viewer));
  for (int i = 0; i < g->noptions; i++)
    PetscCall(PetscViewerASCIIPrintf(viewer, "%s %s\n", g->option_name[i], g->option_value[i]));
  PetscCall(PetscViewerASCIIPopTab(viewer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorDestroy(NeopGenerator *g)
{
  PetscFunctionBegin;
  if (!*g) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*g)->ops.destroy) PetscCall((*g)->ops.destroy(*g));
  PetscCall(PetscFree((*g)->t));
  for (int d = 0; d < 3; d++) PetscCall(PetscFree((*g)->coords[d]));
  PetscCall(PetscFree(*g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorOptionsGRF(NeopGenerator g, PetscOptionItems *PetscOptionsObject, double *alpha, double *tau)
{
  PetscReal a = *alpha, t = *tau;

  PetscFunctionBegin;
  PetscCall(PetscOptionsReal("-grf_alpha", "random field smoothness alpha (covariance (-Laplacian + tau^2)^-alpha)", NULL, a, &a, NULL));
  PetscCall(PetscOptionsReal("-grf_tau", "random field inverse length scale tau", NULL, t, &t, NULL));
  PetscCheck(a > 0 && t > 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-grf_alpha %g and -grf_tau %g must be positive", (double)a,
             (double)t);
  *alpha = a;
  *tau   = t;
  PetscCall(NeopGeneratorRecordOption(g, "-grf_alpha", "%.17g", *alpha));
  PetscCall(NeopGeneratorRecordOption(g, "-grf_tau", "%.17g", *tau));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorSetUnitNodes(NeopGenerator g)
{
  PetscFunctionBegin;
  for (int d = 0; d < g->dim; d++) {
    PetscCall(PetscFree(g->coords[d]));
    PetscCall(PetscMalloc1(g->grid[d], &g->coords[d]));
    for (int i = 0; i < g->grid[d]; i++) g->coords[d][i] = (double)i / (g->grid[d] - 1);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopGeneratorRecordKSP(NeopGenerator g, KSP ksp)
{
  PC          pc;
  KSPType     ktype;
  PCType      ptype;
  PetscReal   rtol, atol;
  PetscInt    maxit;
  const char *prefix;
  char        name[64];

  PetscFunctionBegin;
  PetscCall(KSPGetOptionsPrefix(ksp, &prefix));
  if (!prefix) prefix = "";
  PetscCall(KSPGetPC(ksp, &pc));
  PetscCall(KSPGetType(ksp, &ktype));
  PetscCall(PCGetType(pc, &ptype));
  PetscCall(KSPGetTolerances(ksp, &rtol, &atol, NULL, &maxit));
  PetscCall(PetscSNPrintf(name, sizeof(name), "-%sksp_type", prefix));
  PetscCall(NeopGeneratorRecordOption(g, name, "%s", ktype));
  PetscCall(PetscSNPrintf(name, sizeof(name), "-%spc_type", prefix));
  PetscCall(NeopGeneratorRecordOption(g, name, "%s", ptype));
  PetscCall(PetscSNPrintf(name, sizeof(name), "-%sksp_rtol", prefix));
  PetscCall(NeopGeneratorRecordOption(g, name, "%g", (double)rtol));
  PetscCall(PetscSNPrintf(name, sizeof(name), "-%sksp_atol", prefix));
  PetscCall(NeopGeneratorRecordOption(g, name, "%g", (double)atol));
  PetscCall(PetscSNPrintf(name, sizeof(name), "-%sksp_max_it", prefix));
  PetscCall(NeopGeneratorRecordOption(g, name, "%d", (int)maxit));
  PetscFunctionReturn(PETSC_SUCCESS);
}
