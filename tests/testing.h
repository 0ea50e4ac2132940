/* Shared helpers of the C tests: start-up, checks with a pass/fail tally,
   finite-difference gradient checks and PyTorch fixture loading. */
#pragma once
#include <neop/ops.h>
#include <neop/params.h>

/* PetscInitialize + the neop runtime. */
PetscErrorCode NeopTestInitialize(int *argc, char ***argv);
/* Prints "N passed, N failed" and finalizes; returns the process exit code. */
int NeopTestFinalize(void);

/* Records one check; prints a line for failures (always) and passes (-v). */
void NeopTestCheck(PetscBool ok, const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(2, 3);
/* Largest |a-b| / (atol + rtol |b|) over n values; the check passes when <= 1. */
void NeopTestClose(const char *what, int64_t n, const float *a, const float *b, double rtol, double atol);

/* A function of some leaf tensors, building its result on the tape. */
typedef PetscErrorCode (*NeopTestFn)(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out);

/* Finite-difference gradient check of fn at the given inputs (host arrays
   data[i] of the shapes given): the output is contracted with a fixed random
   tensor to a scalar; analytic gradients from the tape are compared with
   central differences (step eps, in float32) on up to 'maxcheck' entries per
   input. Returns the largest error ratio (<= 1 passes) without recording a check. */
PetscErrorCode NeopTestGradCheckRatio(NeopTestFn fn, void *ctx, int nin, const int *ndim, const int (*shape)[NEOP_MAX_DIMS],
                                      float **data, double eps, double rtol, double atol, int maxcheck, double *ratio);
/* The same, recording a check named 'name'. */
PetscErrorCode NeopTestGradCheck(const char *name, NeopTestFn fn, void *ctx, int nin, const int *ndim,
                                 const int (*shape)[NEOP_MAX_DIMS], float **data, double eps, double rtol, double atol);

/* Fills n floats with U(lo, hi) from a fixed stream. */
void NeopTestRandom(uint64_t seed, int64_t n, float lo, float hi, float *v);

/* Reads a float32 dataset of a fixture file in $NEOP_FIXTURES into a new
   host array (PetscFree it); *n gets the element count. */
PetscErrorCode NeopTestReadFixture(const char *file, const char *dataset, float **v, int64_t *n);

/* A layer or model under test: y = f(x) on the tape. */
typedef PetscErrorCode (*NeopTestForwardFn)(void *ctx, NeopTape *t, NeopTensor *x, NeopTensor **y);
/* Compares one case of a PyTorch fixture: loads <cs>/p/<name> into the
   parameters p, runs fn on <cs>/x, checks <cs>/y, runs backward seeded with
   <cs>/w and checks <cs>/dx, every <cs>/g/<name> and the parameter count
   <cs>/nparams. Tolerance 1e-4 relative to each array's largest magnitude,
   with a floor of 1e-6 of the case's largest gradient (gradients that are
   zero in exact arithmetic come out as float32 rounding). */
PetscErrorCode NeopTestTorchCase(const char *fixture, const char *cs, NeopParams *p, int xdim, const int *xshape, NeopTestForwardFn fn,
                                 void *ctx);
