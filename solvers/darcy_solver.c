/* 5-point finite differences for -div(a grad u) = f on a DMDA of the
   interior nodes (see darcy.h). The DMDA's first (fastest) index i runs
   along y and its second index j along x, so that its natural ordering is
   the row-major (x, y) order of the interior nodes. */
#include "darcy.h"
#include <petscdmda.h>

struct NeopDarcySolver_s {
  MPI_Comm   comm;
  int        S;       /* nodes per dim, boundary included */
  DM         da;      /* (S-2) x (S-2) interior nodes */
  Mat        A;
  Vec        b, x;    /* global vectors on da */
  Vec        xn;      /* x in natural ordering */
  Vec        xall;    /* (S-2)^2 on every rank */
  VecScatter toall;
  KSP        ksp;
};

PetscErrorCode NeopDarcySolverCreate(MPI_Comm comm, int S, const char *prefix, NeopDarcySolver *solver)
{
  NeopDarcySolver s;
  PC              pc;

  PetscFunctionBegin;
  PetscCheck(S >= 3, comm, PETSC_ERR_ARG_OUTOFRANGE, "Darcy solver: -grid %d, need at least 3 nodes per dimension", S);
  PetscCall(PetscNew(&s));
  s->comm = comm;
  s->S    = S;
  PetscCall(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, S - 2, S - 2, PETSC_DECIDE,
                         PETSC_DECIDE, 1, 1, NULL, NULL, &s->da));
  PetscCall(DMSetUp(s->da));
  PetscCall(DMCreateMatrix(s->da, &s->A));
  PetscCall(DMCreateGlobalVector(s->da, &s->b));
  PetscCall(VecDuplicate(s->b, &s->x));
  PetscCall(DMDACreateNaturalVector(s->da, &s->xn));
  PetscCall(VecScatterCreateToAll(s->xn, &s->toall, &s->xall));
  PetscCall(KSPCreate(comm, &s->ksp));
  PetscCall(KSPSetOptionsPrefix(s->ksp, prefix));
  PetscCall(KSPSetType(s->ksp, KSPCG));
  PetscCall(KSPGetPC(s->ksp, &pc));
  PetscCall(PCSetType(pc, PCGAMG));
  /* GAMG would otherwise keep the first matrix's interpolation for every later
     one: the solution would depend (at rounding level) on which samples a
     rank solved before, hence on the number of ranks. */
  PetscCall(PCGAMGSetReuseInterpolation(pc, PETSC_FALSE));
  PetscCall(KSPSetTolerances(s->ksp, 1e-10, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(KSPSetFromOptions(s->ksp));
  *solver = s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDarcySolverSetCoefficient(NeopDarcySolver s, const double *a)
{
  const int    S  = s->S;
  const double h2 = 1.0 / ((double)(S - 1) * (S - 1));
  PetscInt     xs, ys, xm, ym;

  PetscFunctionBegin;
  PetscCall(DMDAGetCorners(s->da, &xs, &ys, NULL, &xm, &ym, NULL));
  for (PetscInt j = ys; j < ys + ym; j++)
    for (PetscInt i = xs; i < xs + xm; i++) {
      const int   ix = (int)j + 1, iy = (int)i + 1, n = ix * S + iy;
      /* neighbours: -x, +x, -y, +y */
      const int   nb[4] = {n - S, n + S, n - 1, n + 1};
      const int   di[4] = {0, 0, -1, 1}, dj[4] = {-1, 1, 0, 0};
      MatStencil  row = {.i = i, .j = j}, col[5];
      PetscScalar v[5], diag = 0;
      int         nc = 0;
      for (int m = 0; m < 4; m++) {
        double w = 0.5 * (a[n] + a[nb[m]]) / h2;
        diag += w;
        col[nc].i = i + di[m];
        col[nc].j = j + dj[m];
        /* boundary neighbours carry u = 0: only their face enters the diagonal */
        if (col[nc].i < 0 || col[nc].i > S - 3 || col[nc].j < 0 || col[nc].j > S - 3) continue;
        v[nc++] = -w;
      }
      col[nc] = row;
      v[nc++] = diag;
      PetscCall(MatSetValuesStencil(s->A, 1, &row, nc, col, v, INSERT_VALUES));
    }
  PetscCall(MatAssemblyBegin(s->A, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(s->A, MAT_FINAL_ASSEMBLY));
  PetscCall(KSPSetOperators(s->ksp, s->A, s->A));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDarcySolverSolve(NeopDarcySolver s, const double *f, double *u)
{
  const int           S = s->S;
  PetscInt            xs, ys, xm, ym, its;
  PetscScalar       **b;
  const PetscScalar  *x;
  KSPConvergedReason  reason;

  PetscFunctionBegin;
  PetscCall(DMDAGetCorners(s->da, &xs, &ys, NULL, &xm, &ym, NULL));
  PetscCall(DMDAVecGetArray(s->da, s->b, &b));
  for (PetscInt j = ys; j < ys + ym; j++)
    for (PetscInt i = xs; i < xs + xm; i++) b[j][i] = f[(j + 1) * S + (i + 1)];
  PetscCall(DMDAVecRestoreArray(s->da, s->b, &b));
  PetscCall(KSPSolve(s->ksp, s->b, s->x));
  PetscCall(KSPGetConvergedReason(s->ksp, &reason));
  PetscCall(KSPGetIterationNumber(s->ksp, &its));
  PetscCheck(reason > 0, s->comm, PETSC_ERR_NOT_CONVERGED, "Darcy solve (%d x %d nodes) diverged: %s after %d iterations",
             S, S, KSPConvergedReasons[reason], (int)its);
  PetscCall(DMDAGlobalToNaturalBegin(s->da, s->x, INSERT_VALUES, s->xn));
  PetscCall(DMDAGlobalToNaturalEnd(s->da, s->x, INSERT_VALUES, s->xn));
  PetscCall(VecScatterBegin(s->toall, s->xn, s->xall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(s->toall, s->xn, s->xall, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecGetArrayRead(s->xall, &x));
  for (int ix = 0; ix < S; ix++)
    for (int iy = 0; iy < S; iy++) {
      const int inner = ix > 0 && ix < S - 1 && iy > 0 && iy < S - 1;
      u[ix * S + iy]  = inner ? x[(ix - 1) * (S - 2) + (iy - 1)] : 0.0;
    }
  PetscCall(VecRestoreArrayRead(s->xall, &x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDarcySolverGetKSP(NeopDarcySolver s, KSP *ksp)
{
  PetscFunctionBegin;
  *ksp = s->ksp;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopDarcySolverDestroy(NeopDarcySolver *s)
{
  PetscFunctionBegin;
  if (!*s) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(KSPDestroy(&(*s)->ksp));
  PetscCall(VecScatterDestroy(&(*s)->toall));
  PetscCall(VecDestroy(&(*s)->xall));
  PetscCall(VecDestroy(&(*s)->xn));
  PetscCall(VecDestroy(&(*s)->x));
  PetscCall(VecDestroy(&(*s)->b));
  PetscCall(MatDestroy(&(*s)->A));
  PetscCall(DMDestroy(&(*s)->da));
  PetscCall(PetscFree(*s));
  PetscFunctionReturn(PETSC_SUCCESS);
}
