/* Spectral convolution: finite-difference gradients in 1-D, 2-D and 3-D (odd
   and even grids, the last dim's Nyquist bin kept or not), a check of the
   forward against a direct O(n^2) DFT, and refusal of overlapping modes. */
#include "testing.h"
#include <neop/nn/spectral_conv.h>
#include <math.h>

typedef struct {
  NeopSpectralMethod method;
  int                nw;
} Case;

static PetscErrorCode spectral_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  Case *c = (Case *)ctx;
  PetscFunctionBegin;
  PetscCall(NeopOpSpectralConv(t, c->method, in[0], c->nw, in + 1, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* y by definition: X = DFT of x over the spatial dims (full spectrum), Y at the
   kept modes = X W, y = Re of the inverse DFT of Y restricted to the half
   spectrum as irfftn reads it: sum over the kept modes of c_k Re(Y e^{+i theta}) / P
   with c_k = 2 on interior last-dim bins, 1 on DC and Nyquist. */
static void direct(int d, int N, int cin, int cout, const int *S, const int *m, const float *x, float *const *w, double *y)
{
  int     nc = 1 << (d - 1), Sx[3] = {1, 1, 1}, mm[3] = {1, 1, 1};
  int64_t P = 1, Mc = 1;
  for (int i = 0; i < d; i++) {
    Sx[3 - d + i] = S[i];
    mm[3 - d + i] = m[i];
    P *= S[i];
    Mc *= m[i];
  }
  for (int64_t k = 0; k < (int64_t)N * cout * P; k++) y[k] = 0;
  for (int c = 0; c < nc; c++)
    for (int64_t j = 0; j < Mc; j++) {
      int jj[3] = {(int)(j / (mm[1] * mm[2])), (int)(j / mm[2] % mm[1]), (int)(j % mm[2])}, kk[3];
      for (int a = 0; a < 3; a++) {
        int dimi = a - (3 - d); /* spatial dim index, negative for the padding dims */
        kk[a]    = jj[a];
        if (dimi >= 0 && dimi < d - 1 && ((c >> dimi) & 1)) kk[a] = Sx[a] - mm[a] + jj[a];
      }
      double ck = (kk[2] == 0 || 2 * kk[2] == Sx[2]) ? 1 : 2;
      for (int b = 0; b < N; b++) {
        double Xr[64], Xi[64];
        for (int i = 0; i < cin; i++) {
          Xr[i] = Xi[i] = 0;
          for (int64_t p = 0; p < P; p++) {
            int    n0 = (int)(p / (Sx[1] * Sx[2])), n1 = (int)(p / Sx[2] % Sx[1]), n2 = (int)(p % Sx[2]);
            double th = -2 * M_PI * ((double)kk[0] * n0 / Sx[0] + (double)kk[1] * n1 / Sx[1] + (double)kk[2] * n2 / Sx[2]);
            double v  = x[((int64_t)b * cin + i) * P + p];
            Xr[i] += v * cos(th);
            Xi[i] += v * sin(th);
          }
        }
        for (int o = 0; o < cout; o++) {
          double Yr = 0, Yi = 0;
          for (int i = 0; i < cin; i++) {
            const float *wv = w[c] + (((int64_t)i * cout + o) * Mc + j) * 2;
            Yr += Xr[i] * wv[0] - Xi[i] * wv[1];
            Yi += Xr[i] * wv[1] + Xi[i] * wv[0];
          }
          for (int64_t p = 0; p < P; p++) {
            int    n0 = (int)(p / (Sx[1] * Sx[2])), n1 = (int)(p / Sx[2] % Sx[1]), n2 = (int)(p % Sx[2]);
            double th = 2 * M_PI * ((double)kk[0] * n0 / Sx[0] + (double)kk[1] * n1 / Sx[1] + (double)kk[2] * n2 / Sx[2]);
            y[((int64_t)b * cout + o) * P + p] += ck * (Yr * cos(th) - Yi * sin(th)) / (double)P;
          }
        }
      }
    }
}

static PetscErrorCode check_case(const char *name0, NeopSpectralMethod method, int d, int N, int cin, int cout, const int *S, const int *m,
                                 uint64_t seed)
{
  int     nw = 1 << (d - 1), ndim[5], shape[5][NEOP_MAX_DIMS];
  Case    cs = {method, nw};
  char    name[96];
  float  *data[5];
  int64_t size[5];
  char    what[128];

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(name, sizeof(name), "%s (%s)", name0, NeopSpectralMethods[method]));
  ndim[0]     = d + 2;
  shape[0][0] = N;
  shape[0][1] = cin;
  size[0]     = (int64_t)N * cin;
  for (int i = 0; i < d; i++) {
    shape[0][2 + i] = S[i];
    size[0] *= S[i];
  }
  for (int c = 0; c < nw; c++) {
    ndim[1 + c]     = d + 3;
    shape[1 + c][0] = cin;
    shape[1 + c][1] = cout;
    size[1 + c]     = (int64_t)cin * cout * 2;
    for (int i = 0; i < d; i++) {
      shape[1 + c][2 + i] = m[i];
      size[1 + c] *= m[i];
    }
    shape[1 + c][2 + d] = 2;
  }
  for (int k = 0; k < 1 + nw; k++) {
    PetscCall(PetscMalloc1(size[k], &data[k]));
    NeopTestRandom(seed + (uint64_t)k, size[k], -1, 1, data[k]);
  }
  /* gradients: the map is linear in x and in each w, so central differences are exact up to rounding */
  PetscCall(PetscSNPrintf(what, sizeof(what), "spectral conv %s", name));
  PetscCall(NeopTestGradCheck(what, spectral_fn, &cs, 1 + nw, ndim, shape, data, 1e-2, 1e-2, 1e-3));

  /* forward against the direct DFT */
  {
    NeopTape   *t;
    NeopTensor *in[5], *y;
    double     *ref;
    float      *reff;
    PetscCall(NeopTapeCreate(&t));
    for (int k = 0; k < 1 + nw; k++) {
      PetscCall(NeopTapeTensor(t, ndim[k], shape[k], &in[k]));
      PetscCall(PetscArraycpy(in[k]->data, data[k], size[k]));
    }
    PetscCall(NeopOpSpectralConv(t, method, in[0], nw, in + 1, &y));
    PetscCall(PetscMalloc2(y->size, &ref, y->size, &reff));
    direct(d, N, cin, cout, S, m, data[0], data + 1, ref);
    for (int64_t k = 0; k < y->size; k++) reff[k] = (float)ref[k];
    PetscCall(PetscSNPrintf(what, sizeof(what), "spectral conv %s forward vs direct DFT", name));
    NeopTestClose(what, y->size, y->data, reff, 1e-4, 1e-5);
    PetscCall(PetscFree2(ref, reff));
    PetscCall(NeopTapeDestroy(&t));
  }
  for (int k = 0; k < 1 + nw; k++) PetscCall(PetscFree(data[k]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    int S[1] = {16}, m[1] = {5};
    for (int k = NEOP_SPECTRAL_FFT; k <= NEOP_SPECTRAL_DFT; k++) PetscCall(check_case("1-D even", (NeopSpectralMethod)k, 1, 2, 3, 4, S, m, 10));
  }
  {
    int S[1] = {9}, m[1] = {5}; /* all bins of an odd grid */
    for (int k = NEOP_SPECTRAL_FFT; k <= NEOP_SPECTRAL_DFT; k++) PetscCall(check_case("1-D odd, all bins", (NeopSpectralMethod)k, 1, 2, 2, 3, S, m, 20));
  }
  {
    int S[1] = {8}, m[1] = {5}; /* Nyquist bin kept */
    for (int k = NEOP_SPECTRAL_FFT; k <= NEOP_SPECTRAL_DFT; k++) PetscCall(check_case("1-D Nyquist kept", (NeopSpectralMethod)k, 1, 1, 2, 2, S, m, 30));
  }
  {
    int S[2] = {8, 7}, m[2] = {3, 2};
    for (int k = NEOP_SPECTRAL_FFT; k <= NEOP_SPECTRAL_DFT; k++) PetscCall(check_case("2-D", (NeopSpectralMethod)k, 2, 2, 3, 2, S, m, 40));
  }
  {
    int S[2] = {6, 6}, m[2] = {3, 4}; /* all first-dim modes, last-dim Nyquist kept */
    for (int k = NEOP_SPECTRAL_FFT; k <= NEOP_SPECTRAL_DFT; k++) PetscCall(check_case("2-D full", (NeopSpectralMethod)k, 2, 2, 2, 3, S, m, 50));
  }
  {
    int S[3] = {6, 5, 6}, m[3] = {2, 2, 3};
    for (int k = NEOP_SPECTRAL_FFT; k <= NEOP_SPECTRAL_DFT; k++) PetscCall(check_case("3-D", (NeopSpectralMethod)k, 3, 2, 2, 2, S, m, 60));
  }
  {
    /* overlapping corners are refused */
    NeopTape   *t;
    NeopTensor *x, *w[2], *y;
    int         xs[4] = {1, 1, 6, 6}, ws[5] = {1, 1, 4, 2, 2};
    PetscErrorCode ierr;
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, xs, &x));
    PetscCall(NeopTapeTensor(t, 5, ws, &w[0]));
    PetscCall(NeopTapeTensor(t, 5, ws, &w[1]));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = NeopOpSpectralConv(t, NEOP_SPECTRAL_AUTO, x, 2, w, &y);
    PetscCall(PetscPopErrorHandler());
    NeopTestCheck(ierr == PETSC_ERR_ARG_OUTOFRANGE, "4 modes on a 6-point non-last dim are refused (error %d)", (int)ierr);
    PetscCall(NeopTapeDestroy(&t));
  }
  return NeopTestFinalize();
}
