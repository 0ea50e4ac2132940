/* The machine's sgemm rate, the reference for bench/fno_train_speed.sh's
   efficiency figure: best of -reps products C = A B of n x n float32
   matrices (OpenBLAS, -threads threads), 2 n^3 flops each.

     ./build/bench/sgemm_rate [-n 1024] [-reps 5] [-threads 1]

   Prints "sgemm n=1024 threads=1: best X ms, Y GFLOP/s". */
#include <petscsys.h>
#include <cblas.h>
#include <stdlib.h>

void openblas_set_num_threads(int);

int main(int argc, char **argv)
{
  PetscInt n = 1024, reps = 5, threads = 1;
  float   *A, *B, *C;
  double   best = 1e30;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "sgemm rate"));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-n", &n, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-reps", &reps, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-threads", &threads, NULL));
  openblas_set_num_threads((int)threads);
  PetscCall(PetscMalloc3(n * n, &A, n * n, &B, n * n, &C));
  for (PetscInt i = 0; i < n * n; i++) A[i] = (float)((i * 7) % 13) / 13.f, B[i] = (float)((i * 5) % 11) / 11.f;
  for (PetscInt r = 0; r <= reps; r++) {
    double t0 = MPI_Wtime(), dt;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.f, A, (int)n, B, (int)n, 0.f, C, (int)n);
    dt = MPI_Wtime() - t0;
    if (r && dt < best) best = dt; /* the first product warms up the threads and caches */
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "sgemm n=%d threads=%d: best %.2f ms, %.2f GFLOP/s\n", (int)n, (int)threads, 1e3 * best,
                        2.0 * n * n * n / best / 1e9));
  PetscCall(PetscFree3(A, B, C));
  PetscCall(PetscFinalize());
  return 0;
}
