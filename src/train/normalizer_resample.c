/* Point-wise normaliser fields moved to another grid, for evaluation at a
   resolution other than the training one (zero-shot super-resolution). The
   grids are node-aligned on [0,1]^d (first and last points on the boundary),
   as the generators and sub-sampling produce them; values are interpolated
   multi-linearly. */
#include "train/trainer_impl.h"

/* Index and weight of the left neighbour of output node i on the input grid. */
static void locate(int i, int nout, int nin, int *j, double *w)
{
  double x = nout > 1 ? (double)i * (nin - 1) / (nout - 1) : 0;
  *j       = (int)x;
  if (*j >= nin - 1) *j = nin > 1 ? nin - 2 : 0;
  *w = nin > 1 ? x - *j : 0;
}

static void resample_field(int dim, const int *gin, const int *gout, const float *in, float *out)
{
  int    n0 = gout[0], n1 = dim > 1 ? gout[1] : 1, n2 = dim > 2 ? gout[2] : 1;
  int    m1 = dim > 1 ? gin[1] : 1, m2 = dim > 2 ? gin[2] : 1;
  for (int i = 0; i < n0; i++)
    for (int j = 0; j < n1; j++)
      for (int k = 0; k < n2; k++) {
        int    a, b = 0, c = 0;
        double wa, wb = 0, wc = 0, s = 0;
        locate(i, n0, gin[0], &a, &wa);
        if (dim > 1) locate(j, n1, gin[1], &b, &wb);
        if (dim > 2) locate(k, n2, gin[2], &c, &wc);
        for (int da = 0; da <= (gin[0] > 1); da++)
          for (int db = 0; db <= (dim > 1 && m1 > 1); db++)
            for (int dc = 0; dc <= (dim > 2 && m2 > 1); dc++) {
              double w = (da ? wa : 1 - wa) * (dim > 1 ? (db ? wb : 1 - wb) : 1) * (dim > 2 ? (dc ? wc : 1 - wc) : 1);
              s += w * in[((int64_t)(a + da) * m1 + (b + db)) * m2 + (c + dc)];
            }
        out[((int64_t)i * n1 + j) * n2 + k] = (float)s;
      }
}

PetscErrorCode NeopNormalizerResample(const NeopNormalizer *in, int dim, const int *grid_in, const int *grid_out, NeopNormalizer *out)
{
  int64_t pin = 1, pout = 1;

  PetscFunctionBegin;
  *out = *in;
  for (int d = 0; d < dim; d++) pin *= grid_in[d], pout *= grid_out[d];
  if (in->kind != NEOP_NORM_POINTWISE) {
    /* per-channel statistics do not depend on the grid: copy them */
    out->points = pout;
    out->n      = in->channels * pout;
    if (in->kind == NEOP_NORM_SCALAR) {
      PetscCall(PetscMalloc1(in->channels, &out->mean));
      PetscCall(PetscMalloc1(in->channels, &out->std));
      PetscCall(PetscArraycpy(out->mean, in->mean, in->channels));
      PetscCall(PetscArraycpy(out->std, in->std, in->channels));
    }
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(pin == in->points, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "normaliser has %lld points, grid %lld", (long long)in->points,
             (long long)pin);
  out->points = pout;
  out->n      = in->channels * pout;
  PetscCall(PetscMalloc1(out->n, &out->mean));
  PetscCall(PetscMalloc1(out->n, &out->std));
  for (int c = 0; c < in->channels; c++) {
    resample_field(dim, grid_in, grid_out, in->mean + c * pin, out->mean + c * pout);
    resample_field(dim, grid_in, grid_out, in->std + c * pin, out->std + c * pout);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
