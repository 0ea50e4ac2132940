/* Double-precision FFTW for the PDE solvers (the networks use fftwf_*). */
#pragma once
#include <neop/petsc_compat.h>
#include <complex.h> /* before fftw3.h: fftw_complex is then double _Complex */
#include <fftw3.h>

/* Initialises FFTW's double-precision threads once per process and sets the
   thread count of the plans made next to the runtime's -threads. Plans use
   FFTW_ESTIMATE: the plan, hence the rounding, does not depend on timings, so
   a sample comes out bit-identical on every run. Not collective. */
PetscErrorCode NeopFFTWDoubleSetUp(void);
