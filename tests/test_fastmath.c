/* The vectorisable expf/erff of src/backend/cpu/fastmath.h and the GELU
   kernels built on them, against libm in double precision and against the
   erff formula the kernels used before (PyTorch's exact GELU). */
#include "testing.h"
#include "backend/cpu/cpu.h"
#include "backend/cpu/fastmath.h"
#include <float.h>

/* error of a float result r against the exact value e, in units of the float spacing at e */
static double ulps(float r, double e)
{
  float  ef = (float)e;
  double sp = (double)nextafterf(fabsf(ef), INFINITY) - fabsf(ef);
  return fabs((double)r - e) / sp;
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  {
    /* erf on [-6, 6], every 2^-18: float32 rounding is 0.5 ulp; allow 3 */
    double worst = 0, worst_abs = 0, libm = 0, at = 0;
    for (int64_t i = -(6 << 18); i <= (6 << 18); i++) {
      float  x = (float)i / (1 << 18);
      double e = erf((double)x), u = ulps(neop_fast_erff(x), e);
      if (u > worst) worst = u, at = x;
      worst_abs = PetscMax(worst_abs, fabs((double)neop_fast_erff(x) - e));
      libm      = PetscMax(libm, ulps(erff(x), e));
    }
    NeopTestCheck(worst <= 3, "erf: worst %.2f ulps at %g (libm erff %.2f ulps), worst absolute error %.3g", worst, at, libm, worst_abs);
    NeopTestCheck(neop_fast_erff(0.f) == 0.f && neop_fast_erff(1e-30f) > 0.f && neop_fast_erff(-50.f) == -1.f &&
                    neop_fast_erff(INFINITY) == 1.f && isnan(neop_fast_erff(NAN)),
                  "erf: 0, tiny, -50, inf, NaN");
    /* small arguments: relative accuracy (erf(x) ~ 1.128 x) */
    worst = 0;
    for (int k = -40; k <= -2; k++) {
      float x = ldexpf(1.3f, k);
      worst   = PetscMax(worst, ulps(neop_fast_erff(x), erf((double)x)));
    }
    NeopTestCheck(worst <= 3, "erf of 1.3 * 2^-40 .. 2^-2: worst %.2f ulps", worst);
  }
  {
    /* exp on [-87, 88] */
    double worst = 0, at = 0;
    for (int64_t i = -87 * 4096; i <= 88 * 4096; i++) {
      float  x = (float)i / 4096;
      double u = ulps(neop_fast_expf(x), exp((double)x));
      if (u > worst) worst = u, at = x;
    }
    NeopTestCheck(worst <= 3, "exp: worst %.2f ulps at %g", worst, at);
    NeopTestCheck(neop_fast_expf(0.f) == 1.f && neop_fast_expf(-200.f) < 2e-38f && neop_fast_expf(-200.f) >= 0.f,
                  "exp: exp(0) = 1, exp(-200) clamped to below 2e-38");
  }
  {
    /* sin(pi t), cos(pi t) on [-6, 6]: absolute error (the activations add O(1) terms) */
    double ws = 0, wc = 0;
    for (int64_t i = -6 * 65536; i <= 6 * 65536; i++) {
      float t = (float)i / 65536, s, c;
      neop_fast_sincospi(t, &s, &c);
      ws = PetscMax(ws, fabs(s - sin(M_PI * (double)t)));
      wc = PetscMax(wc, fabs(c - cos(M_PI * (double)t)));
    }
    NeopTestCheck(ws < 3e-7 && wc < 3e-7, "sin(pi t), cos(pi t) on [-6, 6]: worst absolute errors %.2g, %.2g", ws, wc);
  }
  {
    /* GELU forward and backward (accumulating and in place) against the erff
       formula in double: x on [-10, 10] */
    enum { n = 200001 };
    float  *x, *y, *dy, *dx, *g, *y2, *g2;
    double  wf = 0, wb = 0, wg = 0, wfg = 0;
    PetscCall(PetscMalloc5(n, &x, n, &y, n, &dy, n, &dx, n, &g));
    PetscCall(PetscMalloc2(n, &y2, n, &g2));
    for (int i = 0; i < n; i++) {
      x[i]  = -10.f + 20.f * (float)i / (n - 1);
      dy[i] = 0.5f + 0.25f * (float)(i % 7);
      dx[i] = 1.f;
      g[i]  = dy[i];
      g2[i] = dy[i];
    }
    neop_cpu_unary_forward(NEOP_UNARY_GELU, n, x, y);
    neop_cpu_unary_backward(NEOP_UNARY_GELU, n, x, y, dy, dx);
    neop_cpu_unary_grad(NEOP_UNARY_GELU, n, x, y, g);
    neop_cpu_unary_forward_grad(NEOP_UNARY_GELU, n, x, y2, g2);
    for (int i = 0; i < n; i++) {
      double xi = x[i], cdf = 0.5 * (1 + erf(xi / sqrt(2.0))), pdf = exp(-0.5 * xi * xi) / sqrt(2 * M_PI), d = cdf + xi * pdf;
      /* absolute errors relative to the magnitudes involved (GELU(x) ~ x for x > 0) */
      wf = PetscMax(wf, fabs(y[i] - xi * cdf) / (FLT_EPSILON * PetscMax(1.0, fabs(xi))));
      wb = PetscMax(wb, fabs(dx[i] - (1 + dy[i] * d)) / (FLT_EPSILON * PetscMax(1.0, fabs(dy[i] * d))));
      wg = PetscMax(wg, fabs(g[i] - dy[i] * d) / (FLT_EPSILON * PetscMax(1.0, fabs(dy[i] * d))));
      wfg = PetscMax(wfg, y2[i] == y[i] && g2[i] == g[i] ? 0 : 1);
    }
    NeopTestCheck(wf <= 4 && wb <= 4 && wg <= 4, "gelu: forward, backward, in-place grad within %.2f, %.2f, %.2f float epsilons", wf, wb, wg);
    NeopTestCheck(wfg == 0, "gelu: forward_grad gives the bits of forward and grad");
    PetscCall(PetscFree5(x, y, dy, dx, g));
    PetscCall(PetscFree2(y2, g2));
  }
  return NeopTestFinalize();
}
