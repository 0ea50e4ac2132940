/* PDE data generators for `neop datagen`: each PDE registers a NeopGenerator
   by name (-pde darcy|poisson|burgers|navier_stokes).

   sample(g, i, a, u) produces sample i from the random stream keyed by
   (seed, NEOP_RNG_DATA, i) only, so the file does not depend on the number of
   ranks. Stationary problems: a (ca, *grid), u (cu, *grid). Time-dependent
   problems (nt > 0): a is the initial state (ca, *grid) and u the trajectory
   (nt, cu, *grid) at the times t[0..nt-1]. Solves run on g->solve_comm
   (PETSC_COMM_SELF by default: one sample per rank). */
#pragma once
#include <neop/petsc_compat.h>
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
  uint64_t         seed;
  int              dim, grid[3];
  int              ca, cu;
  int              nt;          /* stored time levels; 0 for stationary problems */
  double          *t;           /* [nt] */
  double          *coords[3];   /* [grid[d]] node coordinates per dim */
  NeopGeneratorOps ops;
  void            *data;
  int              noptions;    /* every generator option, stored as file attributes */
  char             option_name[NEOP_GEN_MAX_OPTIONS][64];
  char             option_value[NEOP_GEN_MAX_OPTIONS][128];
};
