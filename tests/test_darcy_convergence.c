/* Darcy discretisation: second-order convergence on a manufactured solution
   with a smooth variable coefficient, and the generators' stored fields
   satisfy the 5-point equations of DESIGN.md section 6.

   Manufactured: u = sin(pi x) sin(2 pi y) (zero on the boundary),
   a = exp(0.5 sin(2 pi x) cos(pi y)), f = -div(a grad u) computed exactly.
   The max-norm nodal error on S = 17, 33, 65 gives the order
   log2(e_S / e_2S-1); a least-squares slope over the three grids too. */
#include "testing.h"
#include "darcy.h"
#include "generator.h"
#include <math.h>

static double exact_u(double x, double y) { return sin(M_PI * x) * sin(2 * M_PI * y); }

static double exact_f(double x, double y)
{
  double a   = exp(0.5 * sin(2 * M_PI * x) * cos(M_PI * y));
  double ax  = a * M_PI * cos(2 * M_PI * x) * cos(M_PI * y);
  double ay  = -a * 0.5 * M_PI * sin(2 * M_PI * x) * sin(M_PI * y);
  double ux  = M_PI * cos(M_PI * x) * sin(2 * M_PI * y);
  double uy  = 2 * M_PI * sin(M_PI * x) * cos(2 * M_PI * y);
  double lap = -5 * M_PI * M_PI * exact_u(x, y);
  return -(ax * ux + ay * uy + a * lap);
}

static PetscErrorCode mms_error(int S, double *err)
{
  NeopDarcySolver s;
  double         *a, *f, *u, h = 1.0 / (S - 1);

  PetscFunctionBegin;
  PetscCall(PetscMalloc3(S * S, &a, S * S, &f, S * S, &u));
  for (int i = 0; i < S; i++)
    for (int j = 0; j < S; j++) {
      a[i * S + j] = exp(0.5 * sin(2 * M_PI * i * h) * cos(M_PI * j * h));
      f[i * S + j] = exact_f(i * h, j * h);
    }
  PetscCall(NeopDarcySolverCreate(PETSC_COMM_SELF, S, "mms_", &s));
  PetscCall(NeopDarcySolverSetCoefficient(s, a));
  PetscCall(NeopDarcySolverSolve(s, f, u));
  *err = 0;
  for (int i = 0; i < S; i++)
    for (int j = 0; j < S; j++) *err = PetscMax(*err, fabs(u[i * S + j] - exact_u(i * h, j * h)));
  PetscCall(NeopDarcySolverDestroy(&s));
  PetscCall(PetscFree3(a, f, u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode check_order(void)
{
  const int S[3] = {17, 33, 65};
  double    e[3], lh[3], le[3], mh = 0, me = 0, sxy = 0, sxx = 0, slope;

  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-mms_ksp_rtol", "1e-13"));
  for (int k = 0; k < 3; k++) {
    PetscCall(mms_error(S[k], &e[k]));
    lh[k] = log(1.0 / (S[k] - 1));
    le[k] = log(e[k]);
    mh += lh[k] / 3;
    me += le[k] / 3;
  }
  for (int k = 0; k < 3; k++) {
    sxy += (lh[k] - mh) * (le[k] - me);
    sxx += (lh[k] - mh) * (lh[k] - mh);
  }
  slope = sxy / sxx;
  for (int k = 0; k < 2; k++) {
    double p = log2(e[k] / e[k + 1]);
    NeopTestCheck(p >= 1.8 && p <= 2.2, "order between S=%d (error %.3e) and S=%d (error %.3e): %.3f", S[k], e[k], S[k + 1],
                  e[k + 1], p);
  }
  NeopTestCheck(slope >= 1.8 && slope <= 2.2, "least-squares order over S = 17, 33, 65: %.3f", slope);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Residual of the stored (float32) u in the 5-point equations with the
   stored a, relative to max |f|: written here from the formula, not from
   darcy_solver.c. */
static PetscErrorCode check_generator(const char *pde, const char *coef)
{
  NeopGenerator g;
  const int     S = 33;
  float         a[33 * 33], u[33 * 33];
  double        h2 = 1.0 / ((S - 1.0) * (S - 1.0)), res = 0, fmax = 0, umax = 0, amax = 0, boundary = 0, bound;

  PetscFunctionBegin;
  PetscCall(PetscOptionsSetValue(NULL, "-grid", "33"));
  PetscCall(PetscOptionsSetValue(NULL, "-darcy_coef", coef ? coef : "threshold"));
  PetscCall(NeopGeneratorCreate(PETSC_COMM_SELF, &g));
  PetscCall(NeopGeneratorSetType(g, pde));
  PetscCall(NeopGeneratorSetFromOptions(g));
  PetscCall(NeopGeneratorSetUp(g));
  PetscCall(NeopGeneratorSample(g, 3, a, u));
  for (int i = 1; i < S - 1; i++)
    for (int j = 1; j < S - 1; j++) {
      const int    n = i * S + j, nb[4] = {n - S, n + S, n - 1, n + 1};
      const double an = strcmp(pde, "poisson") ? a[n] : 1.0;
      double       f  = strcmp(pde, "poisson") ? 1.0 : a[n], lhs = 0;
      for (int m = 0; m < 4; m++) {
        const double am = strcmp(pde, "poisson") ? a[nb[m]] : 1.0;
        lhs += 0.5 * (an + am) * ((double)u[n] - u[nb[m]]) / h2;
      }
      res  = PetscMax(res, fabs(lhs - f));
      fmax = PetscMax(fmax, fabs(f));
    }
  for (int i = 0; i < S; i++) boundary = PetscMax(boundary, PetscMax(PetscMax(fabs(u[i]), fabs(u[(S - 1) * S + i])),
                                                                  PetscMax(fabs(u[i * S]), fabs(u[i * S + S - 1]))));
  for (int n = 0; n < S * S; n++) {
    umax = PetscMax(umax, fabs(u[n]));
    amax = PetscMax(amax, strcmp(pde, "poisson") ? a[n] : 1.0);
  }
  /* Rounding u to float32 (relative 2^-24) moves each row by at most
     2 * 2^-24 max|u| * (sum of its 4 face weights <= 4 max a / h^2); the
     double solve leaves a residual below rtol ||f||_2 <= 1e-10 S max|f|;
     Poisson's stored f is itself rounded. */
  bound = 8 * amax * umax * ldexp(1.0, -24) / h2 + 1e-10 * S * fmax + ldexp(1.0, -24) * fmax;
  NeopTestCheck(boundary == 0, "%s %s: u = 0 on the boundary nodes (max |u| there %g)", pde, coef ? coef : "", boundary);
  NeopTestCheck(res <= bound, "%s %s: 5-point residual of the stored fields %.3g <= bound %.3g (max |f| %.3g)", pde,
                coef ? coef : "", res, bound, fmax);
  PetscCall(NeopGeneratorDestroy(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCall(check_order());
  PetscCall(check_generator("darcy", "threshold"));
  PetscCall(check_generator("darcy", "lognormal"));
  PetscCall(check_generator("poisson", NULL));
  return NeopTestFinalize();
}
