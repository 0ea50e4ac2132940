/* Finite-difference solver of -div(a grad u) = f on [0,1]^2, u = 0 on the
   boundary, used by the darcy and poisson generators and the tests.

   Grid: S x S nodes x_i = i h, h = 1/(S-1), boundary included; the unknowns
   are the (S-2)^2 interior nodes on a PETSc DMDA. 5-point stencil with face
   coefficients equal to the arithmetic mean of the two nodes' a:
     sum over the 4 neighbours m of a_(n+m)/2 (u_n - u_m) / h^2 = f_n,
   u_m = 0 for boundary neighbours. The matrix is symmetric positive
   definite; KSP defaults: CG + GAMG, rtol 1e-10, changed with
   -<prefix>ksp_type, -<prefix>pc_type, ...

   Node arrays are (S, S) row-major, index [ix * S + iy] (x first, y fastest),
   complete on every rank of the solver's communicator. */
#pragma once
#include <neop/petsc_compat.h>
#include <petscksp.h>

typedef struct NeopDarcySolver_s *NeopDarcySolver;

/* Creates the DMDA, matrix and KSP (options prefix 'prefix', e.g. "darcy_")
   and calls KSPSetFromOptions. Collective on comm. */
PetscErrorCode NeopDarcySolverCreate(MPI_Comm comm, int S, const char *prefix, NeopDarcySolver *s);
/* Assembles the operator for the coefficient a (S, S) (values on boundary
   nodes enter through the face means). Collective. */
PetscErrorCode NeopDarcySolverSetCoefficient(NeopDarcySolver s, const double *a);
/* Solves for f (S, S) (boundary values unused); u (S, S) gets the solution,
   zero on the boundary, on every rank. Errors out if the KSP diverges.
   Collective. */
PetscErrorCode NeopDarcySolverSolve(NeopDarcySolver s, const double *f, double *u);
/* The KSP, to query iterations or record the solver settings. Not collective. */
PetscErrorCode NeopDarcySolverGetKSP(NeopDarcySolver s, KSP *ksp);
PetscErrorCode NeopDarcySolverDestroy(NeopDarcySolver *s);
