/* Positional features of grid points (host arrays, constant: no gradient). */
#include <neop/nn/transformer.h>
#include <neop/rng.h>
#include <math.h>

/* coordinate d of point p of a row-major grid S, in [0, 1] */
static inline double grid_coord(int dim, const int *S, int64_t p, int d)
{
  int64_t stride = 1;
  for (int e = dim - 1; e > d; e--) stride *= S[e];
  int64_t i = p / stride % S[d];
  return S[d] > 1 ? (double)i / (S[d] - 1) : 0.0;
}

static int64_t grid_points(int dim, const int *S)
{
  int64_t P = 1;
  for (int d = 0; d < dim; d++) P *= S[d];
  return P;
}

PetscErrorCode NeopPositionGrid(int dim, const int *S, float *pos)
{
  int64_t P = grid_points(dim, S);

  PetscFunctionBegin;
  for (int64_t p = 0; p < P; p++)
    for (int d = 0; d < dim; d++) pos[p * dim + d] = (float)grid_coord(dim, S, p, d);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPositionFourier(int dim, const int *S, int m, double sigma, uint64_t seed, float *pos)
{
  int64_t P = grid_points(dim, S);
  double *Bm;
  NeopRng r;

  PetscFunctionBegin;
  PetscCheck(m >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Fourier features: %d frequencies, need >= 1", m);
  PetscCall(PetscMalloc1((size_t)m * dim, &Bm)); /* (m, dim) */
  NeopRngInit(&r, seed, NEOP_RNG_MODEL, 0x464f55524945ULL);
  for (int i = 0; i < m * dim; i++) Bm[i] = sigma * NeopRngNormal(&r);
  for (int64_t p = 0; p < P; p++)
    for (int i = 0; i < m; i++) {
      double a = 0;
      for (int d = 0; d < dim; d++) a += Bm[i * dim + d] * grid_coord(dim, S, p, d);
      pos[p * 2 * m + i]     = (float)sin(2 * M_PI * a);
      pos[p * 2 * m + m + i] = (float)cos(2 * M_PI * a);
    }
  PetscCall(PetscFree(Bm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPositionUnified(int dim, const int *S, int ref, float *pos)
{
  int64_t P = grid_points(dim, S), R = 1;
  int     Sr[3];

  PetscFunctionBegin;
  PetscCheck(ref >= 2, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "unified position: reference grid %d, need >= 2", ref);
  for (int d = 0; d < dim; d++) Sr[d] = ref, R *= ref;
  for (int64_t p = 0; p < P; p++)
    for (int64_t q = 0; q < R; q++) {
      double s = 0;
      for (int d = 0; d < dim; d++) {
        double e = grid_coord(dim, S, p, d) - grid_coord(dim, Sr, q, d);
        s += e * e;
      }
      pos[p * R + q] = (float)sqrt(s);
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}
