/* Point sets made from grid data: every sample keeps P distinct nodes of its
   grid, drawn at random, with their coordinates (neop convert -points). A way
   to get unstructured-mesh data (Transolver's Elasticity / Airfoil kind) from
   any grid file, for tests and examples. */
#include "io/dataset_impl.h"
#include <neop/rng.h>

static int cmp_int(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

/* node set of stream 'index': P distinct flat grid indices out of n, ascending */
static void draw_nodes(uint64_t seed, uint64_t index, int n, int P, int *perm, int *nodes)
{
  NeopRng rng;
  NeopRngInit(&rng, seed, NEOP_RNG_NOISE, index);
  NeopRngPermutation(&rng, n, perm);
  for (int i = 0; i < P; i++) nodes[i] = perm[i];
  qsort(nodes, (size_t)P, sizeof(int), cmp_int);
}

/* pos (d, P): the coordinates of the flat row-major grid indices nodes[P] */
static void node_coords(const NeopDataset *g, double *const coords[3], int P, const int *nodes, float *pos)
{
  for (int i = 0; i < P; i++) {
    int64_t r = nodes[i];
    for (int d = g->dim - 1; d >= 0; d--) {
      pos[(int64_t)d * P + i] = (float)coords[d][r % g->grid[d]];
      r /= g->grid[d];
    }
  }
}

PetscErrorCode NeopDatasetSamplePoints(const NeopDataset *g, double *const coords[3], int P, uint64_t seed, PetscBool shared, int64_t file_first,
                                       NeopDataset **out)
{
  NeopDataset *ds;
  int64_t      n = 1;
  int         *perm, *nodes;

  PetscFunctionBegin;
  PetscCheck(!g->pdim, g->comm, PETSC_ERR_ARG_WRONG, "%s is a point set already; -points samples nodes of a grid", g->path);
  for (int d = 0; d < g->dim; d++) n *= g->grid[d];
  PetscCheck(P >= 1 && P <= n, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "-points %d: the grid of %s has %lld nodes", P, g->path, (long long)n);
  PetscCall(PetscNew(&ds));
  ds->comm = g->comm;
  PetscCall(PetscStrncpy(ds->path, g->path, sizeof(ds->path)));
  ds->dim        = 1;
  ds->grid[0]    = P;
  ds->grid[1]    = ds->grid[2] = 1;
  ds->ca         = g->ca;
  ds->cu         = g->cu;
  ds->nglobal    = g->nglobal;
  ds->first      = g->first;
  ds->nlocal     = g->nlocal;
  ds->pdim       = g->dim;
  ds->pos_shared = shared;
  PetscCall(PetscMalloc1((int64_t)ds->nlocal * ds->ca * P + 1, &ds->a));
  if (ds->cu) PetscCall(PetscMalloc1((int64_t)ds->nlocal * ds->cu * P + 1, &ds->u));
  PetscCall(PetscMalloc1((shared ? 1 : (int64_t)ds->nlocal) * ds->pdim * P + 1, &ds->pos));
  PetscCall(PetscMalloc2(n, &perm, P, &nodes));
  if (shared) {
    draw_nodes(seed, 0, (int)n, P, perm, nodes);
    node_coords(g, coords, P, nodes, ds->pos);
  }
  for (int s = 0; s < ds->nlocal; s++) {
    if (!shared) {
      draw_nodes(seed, (uint64_t)(file_first + s), (int)n, P, perm, nodes);
      node_coords(g, coords, P, nodes, ds->pos + (int64_t)s * ds->pdim * P);
    }
    for (int c = 0; c < ds->ca; c++)
      for (int i = 0; i < P; i++) ds->a[((int64_t)s * ds->ca + c) * P + i] = g->a[((int64_t)s * g->ca + c) * n + nodes[i]];
    for (int c = 0; c < ds->cu; c++)
      for (int i = 0; i < P; i++) ds->u[((int64_t)s * ds->cu + c) * P + i] = g->u[((int64_t)s * g->cu + c) * n + nodes[i]];
  }
  PetscCall(PetscFree2(perm, nodes));
  *out = ds;
  PetscFunctionReturn(PETSC_SUCCESS);
}
