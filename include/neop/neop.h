/* libneop's public interface in one include.

   Calling a trained operator from a C (or Fortran, through ISO_C_BINDING)
   simulation code takes four calls:

     PetscInitialize(&argc, &argv, NULL, NULL);
     NeopInitialize(PETSC_COMM_WORLD);               // model registry, threads
     NeopPredictorLoad(PETSC_COMM_SELF, "fno.h5", &p);
     NeopPredictorApply(p, n, grid, a, 0, u);       // a (n, Cin, *grid) -> u (n, Cout, *grid)
     NeopPredictorDestroy(&p);

   See examples/capi/predict_darcy.c. */
#pragma once
#include <neop/tensor.h>
#include <neop/autograd.h>
#include <neop/params.h>
#include <neop/ops.h>
#include <neop/model.h>
#include <neop/optim.h>
#include <neop/data.h>
#include <neop/checkpoint.h>
#include <neop/train.h>
#include <neop/evaluate.h>

/* Registers the model families and applies -threads. Call after
   PetscInitialize. Collective. */
PetscErrorCode NeopInitialize(MPI_Comm comm);
/* Releases what NeopInitialize set up. Not collective. */
PetscErrorCode NeopFinalize(void);
