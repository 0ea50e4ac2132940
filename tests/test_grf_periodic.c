/* Periodic Gaussian random fields: the sampled spectrum and the pointwise
   statistics against the covariance sigma^2 (-Delta + tau^2)^-alpha, with
   bounds derived from the sample count for a 1e-6 false-failure probability
   (Chernoff bounds for the chi-square means, a Gaussian tail for the mean). */
#include "testing.h"
#include "grf_periodic.h"
#include <math.h>

#define PFAIL 1e-6

/* delta with 2 K exp(-shape (delta - log(1 + delta))) = PFAIL: for a mean R of
   Gamma(shape, 1/shape) variables, P(|R - 1| >= delta) <= 2 exp(-shape (delta - log(1 + delta)))
   (the lower tail is the smaller), so K such checks all pass with probability >= 1 - PFAIL. */
static double chernoff_delta(double shape, int K)
{
  double lo = 0, hi = 10, target = log(2.0 * K / PFAIL) / shape;
  for (int it = 0; it < 100; it++) {
    double mid = 0.5 * (lo + hi);
    if (mid - log1p(mid) < target) lo = mid;
    else hi = mid;
  }
  return hi;
}

/* The covariance formula, written out independently of the library. */
static double mode_variance(double sigma, double tau, double alpha, double k2)
{
  return k2 == 0 ? 0 : sigma * sigma * pow(4 * M_PI * M_PI * k2 + tau * tau, -alpha);
}

static int wavenumber(int i, int n) { return i <= n / 2 ? i : i - n; }

/* M samples of the dim-D field on n points: every mode's mean |w^_k|^2 against
   the formula, the mean and variance at x = 0 against 0 and sum_k E|w^_k|^2. */
static PetscErrorCode check_field(const char *name, int dim, int n, double alpha, double tau, double sigma, int M)
{
  NeopGRFPeriodic grf;
  const int       nh = n / 2 + 1, nx = dim == 2 ? n : 1;
  const size_t    nreal = (size_t)n * nx, nspec = (size_t)nh * nx;
  double         *w = fftw_alloc_real(nreal), *power, var0 = 0, mean0 = 0, sq0 = 0;
  fftw_complex   *hat = fftw_alloc_complex(nspec);
  fftw_plan       r2c = dim == 2 ? fftw_plan_dft_r2c_2d(n, n, w, hat, FFTW_ESTIMATE) : fftw_plan_dft_r2c_1d(n, w, hat, FFTW_ESTIMATE);
  NeopRng         r;
  int             K = 0, bad = 0;
  double          worst = 0, dcomplex, dreal;

  PetscFunctionBegin;
  PetscCall(NeopGRFPeriodicCreate(dim, n, alpha, tau, sigma, &grf));
  PetscCall(PetscCalloc1(nspec, &power));
  for (int s = 0; s < M; s++) {
    NeopRngInit(&r, 7, NEOP_RNG_DATA, (uint64_t)s);
    PetscCall(NeopGRFPeriodicSample(grf, &r, w));
    mean0 += w[0] / M;
    sq0 += w[0] * w[0] / M;
    fftw_execute(r2c);
    for (size_t m = 0; m < nspec; m++) power[m] += creal(hat[m] * conj(hat[m])) / ((double)nreal * nreal) / M;
  }
  /* Modes of the half spectrum: self-conjugate ones are real (chi-square with M
     degrees of freedom: shape M/2), the others complex (shape M). */
  K        = (int)nspec;
  dcomplex = chernoff_delta(M, K);
  dreal    = chernoff_delta(0.5 * M, K);
  for (int ix = 0; ix < nx; ix++)
    for (int iy = 0; iy < nh; iy++) {
      int       kx = dim == 2 ? wavenumber(ix, n) : 0;
      double    V  = mode_variance(sigma, tau, alpha, (double)kx * kx + (double)iy * iy);
      size_t    m  = (size_t)ix * nh + iy;
      PetscBool self = (iy == 0 || iy == n / 2) && (dim == 1 || ix == 0 || ix == n / 2);
      if (V == 0) continue; /* k = 0: checked below */
      double dev = fabs(power[m] / V - 1) / (self ? dreal : dcomplex);
      if (dev > worst) worst = dev;
      bad += dev > 1;
    }
  NeopTestCheck(bad == 0, "%s: mean |w^_k|^2 / formula within the bound (%.3f complex, %.3f real modes) for all %d modes; worst %.2f of the bound",
                name, dcomplex, dreal, K, worst);
  /* Pointwise variance at x = 0: every stored mode and its conjugate contribute. */
  for (int ix = 0; ix < nx; ix++)
    for (int iy = 0; iy < n; iy++) {
      int kx = dim == 2 ? wavenumber(ix, n) : 0, ky = wavenumber(iy, n);
      var0 += mode_variance(sigma, tau, alpha, (double)kx * kx + (double)ky * ky);
    }
  NeopTestCheck(power[0] < 1e-26 * var0, "%s: zero mean mode: mean |w^_0|^2 = %.3g (rounding only)", name, power[0]);
  {
    double z = 4.89; /* P(|N(0,1)| > 4.89) = 1e-6 */
    double d = chernoff_delta(0.5 * M, 1);
    NeopTestCheck(fabs(mean0) < z * sqrt(var0 / M), "%s: ensemble mean at x = 0 is %.3g, bound %.3g", name, mean0, z * sqrt(var0 / M));
    NeopTestCheck(fabs(sq0 / var0 - 1) < d, "%s: ensemble variance at x = 0 is %.6g, formula %.6g (bound %.3f relative)", name, sq0, var0, d);
  }
  /* The same key gives the same field; another sample index another field. */
  {
    double *w1, *w2, diff = 0, same = 0;
    PetscCall(PetscMalloc2(nreal, &w1, nreal, &w2));
    NeopRngInit(&r, 7, NEOP_RNG_DATA, 3);
    PetscCall(NeopGRFPeriodicSample(grf, &r, w1));
    NeopRngInit(&r, 7, NEOP_RNG_DATA, 3);
    PetscCall(NeopGRFPeriodicSample(grf, &r, w2));
    for (size_t j = 0; j < nreal; j++) same += fabs(w1[j] - w2[j]);
    NeopRngInit(&r, 7, NEOP_RNG_DATA, 4);
    PetscCall(NeopGRFPeriodicSample(grf, &r, w2));
    for (size_t j = 0; j < nreal; j++) diff += fabs(w1[j] - w2[j]);
    NeopTestCheck(same == 0 && diff > 0, "%s: stream (seed, data, 3) reproduces its field (%g), index 4 differs (%g)", name, same, diff);
    PetscCall(PetscFree2(w1, w2));
  }
  PetscCall(PetscFree(power));
  PetscCall(NeopGRFPeriodicDestroy(&grf));
  fftw_destroy_plan(r2c);
  fftw_free(w);
  fftw_free(hat);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  /* FNO Burgers: N(0, 625 (-Delta + 25 I)^-2); FNO Navier-Stokes: alpha 2.5, tau 7, sigma 7^1.5. */
  PetscCall(check_field("1-D Burgers GRF", 1, 64, 2.0, 5.0, 25.0, 4000));
  NeopTestCheck(fabs(NeopGRFPeriodicSigmaDefault(2, 2.5, 7.0) - pow(7.0, 1.5)) < 1e-12, "2-D default sigma is tau^(alpha - 1) = 7^1.5");
  PetscCall(check_field("2-D Navier-Stokes GRF", 2, 16, 2.5, 7.0, NeopGRFPeriodicSigmaDefault(2, 2.5, 7.0), 4000));
  return NeopTestFinalize();
}
