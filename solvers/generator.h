/* PDE data generators for `neop datagen`: each PDE registers a NeopGenerator
   by name (-pde darcy|poisson|burgers|navier_stokes).

   sample(g, i, a, u) produces sample i from the random stream keyed by
   (seed, NEOP_RNG_DATA, i) only, so the file does not depend on the number of
   ranks. Stationary problems: a (ca, *grid), u (cu, *grid). Time-dependent
   problems (nt > 0): a is the initial state (ca, *grid) and u the trajectory
   (nt, cu, *grid) at the times t[0..nt-1]. Solves run on g->solve_comm
   (PETSC_COMM_SELF by default: one sample per rank); sample() is collective
   on solve_comm and fills a and u on every rank of it.

   Lifecycle: Create -> SetType (or -pde in SetFromOptions) -> SetFromOptions
   -> SetUp -> Sample... -> View -> Destroy. A PDE's setfromoptions reads its
   options (PetscOptions*, no prefix: the names carry their own, -darcy_coef)
   and records every value it uses with NeopGeneratorRecordOption(); datagen
   stores the records as attributes of the output file. */
#pragma once
#include <neop/petsc_compat.h>
#include <petscksp.h>
#include <stdint.h>

typedef struct NeopGenerator_s *NeopGenerator;

typedef struct {
  PetscErrorCode (*setfromoptions)(NeopGenerator g, PetscOptionItems *PetscOptionsObject);
  PetscErrorCode (*setup)(NeopGenerator g); /* fills dim, grid, ca, cu, nt, t, coords */
  PetscErrorCode (*sample)(NeopGenerator g, int64_t index, float *a, float *u);
  PetscErrorCode (*destroy)(NeopGenerator g);
} NeopGeneratorOps;

#define NEOP_GEN_MAX_OPTIONS 48

struct NeopGenerator_s {
  MPI_Comm         comm;        /* the datagen communicator */
  MPI_Comm         solve_comm;  /* where one sample is solved */
  char             pde[32];
  uint64_t         seed;        /* -seed */
  int              npoints;     /* -grid: points per spatial dim of the stored fields */
  int              dim, grid[3];
  int              ca, cu;
  int              nt;          /* stored time levels; 0 for stationary problems */
  double          *t;           /* [nt] (PetscMalloc'ed by setup, freed by Destroy) */
  double          *coords[3];   /* [grid[d]] node coordinates per dim (likewise) */
  NeopGeneratorOps ops;
  void            *data;
  int              noptions;    /* every generator option, stored as file attributes */
  char             option_name[NEOP_GEN_MAX_OPTIONS][64];
  char             option_value[NEOP_GEN_MAX_OPTIONS][128];
  PetscBool        setup_called;
};

typedef PetscErrorCode (*NeopGeneratorCreateFn)(NeopGenerator g);

/* Constructors of the PDEs linked into libneop (one line each). */
PetscErrorCode NeopGeneratorCreate_Darcy(NeopGenerator g);
PetscErrorCode NeopGeneratorCreate_Poisson(NeopGenerator g);

/* Not collective. */
PetscErrorCode NeopGeneratorRegister(const char *pde, NeopGeneratorCreateFn create);
PetscErrorCode NeopGeneratorRegisterAll(void);
/* Registered names, comma separated. */
PetscErrorCode NeopGeneratorTypeList(char *buf, size_t len);
/* The i-th registered name, NULL past the end. */
const char    *NeopGeneratorTypeName(int i);

/* Collective on comm for all below unless said otherwise. */
PetscErrorCode NeopGeneratorCreate(MPI_Comm comm, NeopGenerator *g);
PetscErrorCode NeopGeneratorSetType(NeopGenerator g, const char *pde);
/* -pde (unless set), -grid, -seed, then the PDE's own options. */
PetscErrorCode NeopGeneratorSetFromOptions(NeopGenerator g);
PetscErrorCode NeopGeneratorSetUp(NeopGenerator g);
/* Sample 'index' into a (ca, *grid) and u ([nt,] cu, *grid). Collective on g->solve_comm. */
PetscErrorCode NeopGeneratorSample(NeopGenerator g, int64_t index, float *a, float *u);
PetscErrorCode NeopGeneratorView(NeopGenerator g, PetscViewer viewer);
PetscErrorCode NeopGeneratorDestroy(NeopGenerator *g);
/* Records an option value as the PDE used it (not collective). */
PetscErrorCode NeopGeneratorRecordOption(NeopGenerator g, const char *name, const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(3, 4);
/* Values per sample of a (ca * points) and u (max(nt, 1) * cu * points). Not collective. */
int64_t NeopGeneratorSizeA(NeopGenerator g);
int64_t NeopGeneratorSizeU(NeopGenerator g);
/* Helpers for a PDE's setfromoptions, recording what they read:
   the solve communicator, -<name> self|world (default self), */
PetscErrorCode NeopGeneratorOptionsSolveComm(NeopGenerator g, PetscOptionItems *PetscOptionsObject, const char *name);
/* and the random field's -grf_alpha, -grf_tau (defaults given in *alpha, *tau). */
PetscErrorCode NeopGeneratorOptionsGRF(NeopGenerator g, PetscOptionItems *PetscOptionsObject, double *alpha, double *tau);
/* Records a configured KSP's type, PC type and tolerances under its prefix
   (-darcy_ksp_type, ...), so that the file says how u was computed. */
PetscErrorCode NeopGeneratorRecordKSP(NeopGenerator g, KSP ksp);
/* Node coordinates i / (n - 1), i < n, of every dim into g->coords. */
PetscErrorCode NeopGeneratorSetUnitNodes(NeopGenerator g);
