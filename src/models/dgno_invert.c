/* DGNO inverse problems: the decoders are frozen and the latent beta is fitted
   to sparse noisy observations of u plus the weak residuals, as in the reference
   code (Inverse_DGenNO_*: beta = tanh(MLP(1)), MLP 1-64-64-latent with SiLU,
   Adam lr 1e-2 with weight decay 1e-4, halved every tenth of the run, w_data 25
   on the relative L2 misfit, w_pde 1); opt->mlp false fits beta = tanh(z)
   directly instead, which moves slower (Adam's steps are ~lr per coordinate).
   Beyond the reference, the posterior of z = atanh(beta) given the observations
   is sampled with MALA (Metropolis-adjusted Langevin) from the MAP point with
   the residual centres fixed, and the posterior mean and standard deviation
   of a and u are returned. */
#include <neop/dgno.h>
#include <neop/rng.h>
#include <neop/nn/transformer.h>
#include <math.h>

#define MLP_WIDTH 64

typedef struct {
  NeopModel                m;
  const NeopObservations  *obs;
  const NeopInvertOptions *opt;
  int                      L;
  NeopTape                *t;
  NeopParams              *mlp;        /* the latent MLP of the MAP phase (opt->mlp), else NULL */
  NeopTensor              *W[3], *b[3]; /* its layers: (64, 1), (64, 64), (L, 64) and biases */
} Inv;

/* beta (1, L) = tanh(MLP(1)) (the MLP's parameters from iv->mlp, z unused) or tanh(z); *zt: the leaf z (mlp: NULL) */
static PetscErrorCode inv_latent(Inv *iv, PetscBool use_mlp, const double *z, PetscBool grad, NeopTensor **zt, NeopTensor **beta)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTape          *t  = iv->t;
  NeopTensor        *h, *y;
  int                one[2] = {1, 1}, sz[2] = {1, iv->L};
  float             *zf, c = 1;

  PetscFunctionBegin;
  *zt = NULL;
  if (use_mlp) {
    PetscCall(NeopTapeTensor(t, 2, one, &h));
    PetscCall(be->from_host(h->data, &c, sizeof(float)));
    for (int i = 0; i < 3; i++) {
      PetscCall(NeopOpLinear(t, h, iv->W[i], iv->b[i], &y));
      if (i < 2) PetscCall(NeopOpUnary(t, NEOP_UNARY_SILU, y, &h));
    }
  } else {
    PetscCall(NeopTapeTensor(t, 2, sz, &y));
    PetscCall(PetscMalloc1(iv->L, &zf));
    for (int i = 0; i < iv->L; i++) zf[i] = (float)z[i];
    PetscCall(be->from_host(y->data, zf, sizeof(float) * (size_t)iv->L));
    PetscCall(PetscFree(zf));
    y->requires_grad = grad;
    *zt              = y;
  }
  PetscCall(NeopOpUnary(t, NEOP_UNARY_TANH, y, beta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* mode 0: the optimisation loss; mode 1: the energy U(z). val and, when grad != NULL, the gradient:
   dval/dz into grad, or in mode 0 with the MLP, into the MLP's gradient buffer */
static PetscErrorCode inv_eval(Inv *iv, int mode, const double *z, uint64_t step, double *val, double *grad)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTape          *t  = iv->t;
  PetscBool          use_mlp = mode == 0 && iv->mlp;
  NeopTensor        *zt, *beta, *xo, *uo, *u, *loss;
  int                sx[2] = {iv->obs->M, iv->obs->dim}, su[2] = {1, iv->obs->M};
  float             *zf;

  PetscFunctionBegin;
  PetscCall(NeopTapeReset(t));
  PetscCall(NeopTapeSetRecording(t, grad ? PETSC_TRUE : PETSC_FALSE));
  PetscCall(inv_latent(iv, use_mlp, z, grad ? PETSC_TRUE : PETSC_FALSE, &zt, &beta));
  PetscCall(NeopTapeTensor(t, 2, sx, &xo));
  PetscCall(be->from_host(xo->data, iv->obs->x_obs, sizeof(float) * (size_t)xo->size));
  PetscCall(NeopTapeTensor(t, 2, su, &uo));
  PetscCall(be->from_host(uo->data, iv->obs->u_obs, sizeof(float) * (size_t)uo->size));
  PetscCall(NeopDgnoDecode(iv->m, t, beta, xo, &u, NULL, NULL)); /* (1, M) */
  if (mode == 0) {
    NeopTensor *ld, *lp, *s1, *s2;
    PetscCall(NeopOpLossRelLp(t, u, uo, 2.0, NEOP_REDUCTION_SUM, 1, &ld));
    PetscCall(NeopDgnoPdeLoss(iv->m, t, beta, NULL, step, 1, &lp));
    PetscCall(NeopOpScale(t, ld, iv->opt->w_data, &s1));
    PetscCall(NeopOpScale(t, lp, iv->opt->w_pde, &s2));
    PetscCall(NeopOpAdd(t, s1, s2, &loss));
  } else {
    NeopTensor *e, *e2, *s, *r, *r2, *sr, *z2, *sz2, *a1, *a2, *a3, *b1;
    double      sig = iv->obs->noise_std, sp = iv->opt->pde_sigma;
    PetscCall(NeopOpSub(t, u, uo, &e));
    PetscCall(NeopOpMul(t, e, e, &e2));
    PetscCall(NeopOpSum(t, e2, &s));
    PetscCall(NeopOpScale(t, s, 0.5 / (sig * sig), &a1));
    PetscCall(NeopDgnoResidual(iv->m, t, beta, NULL, step, &r));
    PetscCall(NeopOpMul(t, r, r, &r2));
    PetscCall(NeopOpSum(t, r2, &sr));
    PetscCall(NeopOpScale(t, sr, 0.5 / (sp * sp), &a2));
    PetscCall(NeopOpMul(t, zt, zt, &z2)); /* the N(0, I) prior of z */
    PetscCall(NeopOpSum(t, z2, &sz2));
    PetscCall(NeopOpScale(t, sz2, 0.5, &a3));
    PetscCall(NeopOpAdd(t, a1, a2, &b1));
    PetscCall(NeopOpAdd(t, b1, a3, &loss));
  }
  {
    float v;
    PetscCall(be->to_host(&v, loss->data, sizeof(float)));
    *val = v;
  }
  if (grad && use_mlp) {
    PetscCall(NeopParamsZeroGrad(iv->mlp));
    PetscCall(NeopTapeBackward(t, loss));
  } else if (grad) {
    PetscCall(NeopTapeBackward(t, loss));
    PetscCall(PetscMalloc1(iv->L, &zf));
    PetscCall(be->to_host(zf, zt->grad, sizeof(float) * (size_t)iv->L));
    for (int i = 0; i < iv->L; i++) grad[i] = zf[i];
    PetscCall(PetscFree(zf));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a and u of latent z at the S^dim output nodes (host) */
static PetscErrorCode inv_fields(Inv *iv, const double *z, float *a, float *u)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTape          *t  = iv->t;
  NeopTensor        *zt, *beta, *x, *ut, *at;
  int                S[3] = {iv->opt->S, iv->opt->S, iv->opt->S}, P = 1, sz[2] = {1, iv->L}, sx[2];
  float             *host;

  PetscFunctionBegin;
  for (int k = 0; k < iv->obs->dim; k++) P *= iv->opt->S;
  sx[0] = P;
  sx[1] = iv->obs->dim;
  PetscCall(NeopTapeReset(t));
  PetscCall(NeopTapeSetRecording(t, PETSC_FALSE));
  PetscCall(NeopTapeTensor(t, 2, sz, &zt));
  PetscCall(NeopTapeTensor(t, 2, sx, &x));
  PetscCall(PetscMalloc1(PetscMax(P * iv->obs->dim, iv->L), &host));
  for (int i = 0; i < iv->L; i++) host[i] = (float)z[i];
  PetscCall(be->from_host(zt->data, host, sizeof(float) * (size_t)iv->L));
  PetscCall(NeopPositionGrid(iv->obs->dim, S, host));
  PetscCall(be->from_host(x->data, host, sizeof(float) * (size_t)x->size));
  PetscCall(PetscFree(host));
  PetscCall(NeopOpUnary(t, NEOP_UNARY_TANH, zt, &beta));
  PetscCall(NeopDgnoDecode(iv->m, t, beta, x, &ut, NULL, &at));
  PetscCall(be->to_host(u, ut->data, sizeof(float) * (size_t)P));
  PetscCall(be->to_host(a, at->data, sizeof(float) * (size_t)P));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static double rel_l2(int n, const float *x, const float *ref)
{
  double e = 0, r = 0;
  for (int i = 0; i < n; i++) {
    e += ((double)x[i] - ref[i]) * ((double)x[i] - ref[i]);
    r += (double)ref[i] * ref[i];
  }
  return r > 0 ? sqrt(e / r) : -1;
}

PetscErrorCode NeopDgnoInvert(NeopModel m, const NeopObservations *obs, const NeopInvertOptions *opt, NeopInvertResult *res)
{
  const NeopBackend *be = NeopBackendGet();
  Inv                iv = {m, obs, opt, 0, NULL, NULL, {NULL}, {NULL}};
  int                L, P = 1, np = m->params->n, nx;
  double            *z, *x, *g, *mo, *vo, lr = opt->lr, val = 0; /* z (L); x, g, mo, vo (nx): the MAP's variables */
  float             *xf;                                         /* (nx) host copies of the MLP's parameters and gradients */
  PetscBool         *frozen;
  PetscBool          truth = obs->a_true && obs->u_true && obs->S == opt->S;

  PetscFunctionBegin;
  PetscCall(NeopDgnoGetLatent(m, &L));
  PetscCheck(obs->dim == m->dim && obs->M >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "invert: %d observations in %d-D for a %d-D model", obs->M,
             obs->dim, m->dim);
  PetscCheck(opt->S >= 2 && opt->steps >= 0 && opt->lr > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "invert: grid %d, steps %d, lr %g", opt->S,
             opt->steps, opt->lr);
  PetscCheck(opt->samples == 0 || (obs->noise_std > 0 && opt->pde_sigma > 0 && opt->mala_step > 0), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "invert: sampling needs a noise std (%g), a residual sigma (%g) and a step (%g) > 0", obs->noise_std, opt->pde_sigma, opt->mala_step);
  iv.L = L;
  for (int k = 0; k < m->dim; k++) P *= opt->S;
  PetscCall(PetscMemzero(res, sizeof(*res)));
  PetscCall(NeopTapeCreate(&iv.t));
  /* freeze the decoders: no parameter gradients are computed */
  PetscCall(PetscMalloc1(np, &frozen));
  for (int i = 0; i < np; i++) {
    frozen[i]                               = m->params->list[i]->tensor.requires_grad;
    m->params->list[i]->tensor.requires_grad = PETSC_FALSE;
  }
  if (opt->mlp) {
    int  width[3] = {MLP_WIDTH, MLP_WIDTH, L}, in = 1;
    char name[16];
    PetscCall(NeopParamsCreate(&iv.mlp));
    for (int i = 0; i < 3; i++) {
      PetscCall(PetscSNPrintf(name, sizeof(name), "beta.%d", i));
      PetscCall(NeopParamsAddLinear(iv.mlp, name, in, width[i], &iv.W[i], &iv.b[i]));
      in = width[i];
    }
    PetscCall(NeopParamsFinalize(iv.mlp, opt->seed));
  }
  nx = iv.mlp ? (int)iv.mlp->total : L;
  PetscCall(PetscCalloc5(L, &z, nx, &x, nx, &g, nx, &mo, nx, &vo));
  PetscCall(PetscMalloc1(nx, &xf));
  if (iv.mlp) {
    PetscCall(be->to_host(xf, iv.mlp->data, sizeof(float) * (size_t)nx));
    for (int i = 0; i < nx; i++) x[i] = xf[i];
  }
  /* MAP by Adam (torch's: L2 weight decay added to the gradient) on x = the MLP's parameters or z,
     centres redrawn every step as in training */
  for (int s = 0; s < opt->steps; s++) {
    if (opt->lr_step > 0 && s > 0 && s % opt->lr_step == 0) lr *= 0.5;
    PetscCall(inv_eval(&iv, 0, x, (uint64_t)s, &val, g));
    if (iv.mlp) {
      PetscCall(be->to_host(xf, iv.mlp->grad, sizeof(float) * (size_t)nx));
      for (int i = 0; i < nx; i++) g[i] = xf[i];
    }
    for (int i = 0; i < nx; i++) {
      double gi = g[i] + opt->weight_decay * x[i];
      mo[i]     = 0.9 * mo[i] + 0.1 * gi;
      vo[i]     = 0.999 * vo[i] + 0.001 * gi * gi;
      x[i] -= lr * (mo[i] / (1 - pow(0.9, s + 1))) / (sqrt(vo[i] / (1 - pow(0.999, s + 1))) + 1e-8);
    }
    if (iv.mlp) {
      for (int i = 0; i < nx; i++) xf[i] = (float)x[i];
      PetscCall(be->from_host(iv.mlp->data, xf, sizeof(float) * (size_t)nx));
    }
  }
  PetscCall(PetscFree(xf));
  res->loss = val;
  PetscCall(PetscMalloc3(L, &res->beta, P, &res->a_map, P, &res->u_map));
  if (iv.mlp) { /* the sampler and the fields work on z = atanh(beta) */
    NeopTensor *zt, *beta;
    PetscCall(NeopTapeReset(iv.t));
    PetscCall(NeopTapeSetRecording(iv.t, PETSC_FALSE));
    PetscCall(inv_latent(&iv, PETSC_TRUE, NULL, PETSC_FALSE, &zt, &beta));
    PetscCall(be->to_host(res->beta, beta->data, sizeof(float) * (size_t)L));
    for (int i = 0; i < L; i++) z[i] = atanh(PetscMin(PetscMax((double)res->beta[i], -1 + 1e-6), 1 - 1e-6));
  } else
    for (int i = 0; i < L; i++) z[i] = x[i];
  for (int i = 0; i < L; i++) res->beta[i] = (float)tanh(z[i]);
  PetscCall(inv_fields(&iv, z, res->a_map, res->u_map));
  res->err_a = truth ? rel_l2(P, res->a_map, obs->a_true) : -1;
  res->err_u = truth ? rel_l2(P, res->u_map, obs->u_true) : -1;
  res->err_a_mean = res->err_u_mean = -1;
  if (opt->samples > 0) {
    NeopRng  rng;
    double  *zp, *gp, *sa, *sa2, *su, *su2, U, Up, h = opt->mala_step;
    float   *a, *u;
    int      acc = 0, wacc = 0, total = opt->burn + opt->samples;
    uint64_t key = (uint64_t)opt->steps + 1; /* fixed centres: U is a function of z */

    NeopRngInit(&rng, opt->seed, NEOP_RNG_NOISE, 0x4d414c41ULL);
    PetscCall(PetscMalloc2(L, &zp, L, &gp));
    PetscCall(PetscCalloc4(P, &sa, P, &sa2, P, &su, P, &su2));
    PetscCall(PetscMalloc2(P, &a, P, &u));
    PetscCall(inv_eval(&iv, 1, z, key, &U, g));
    for (int it = 0; it < total; it++) {
      double lq = 0, lqr = 0, mh;
      for (int i = 0; i < L; i++) zp[i] = z[i] - h * g[i] + sqrt(2 * h) * NeopRngNormal(&rng);
      PetscCall(inv_eval(&iv, 1, zp, key, &Up, gp));
      for (int i = 0; i < L; i++) {
        double f = zp[i] - z[i] + h * g[i], b = z[i] - zp[i] + h * gp[i];
        lq += f * f;  /* -log q(zp | z) * 4h */
        lqr += b * b; /* -log q(z | zp) * 4h */
      }
      mh = -(Up - U) - (lqr - lq) / (4 * h);
      if (isfinite(Up) && log(NeopRngUniform(&rng)) < mh) {
        PetscCall(PetscArraycpy(z, zp, L));
        PetscCall(PetscArraycpy(g, gp, L));
        U = Up;
        if (it >= opt->burn) acc++;
        wacc++;
      }
      if (it < opt->burn && (it + 1) % 20 == 0) { /* adapt the step towards MALA's optimal 0.574 acceptance */
        h *= wacc / 20.0 > 0.574 ? 1.25 : 0.8;
        wacc = 0;
      }
      if (it >= opt->burn) {
        PetscCall(inv_fields(&iv, z, a, u));
        for (int p = 0; p < P; p++) {
          sa[p] += a[p], sa2[p] += (double)a[p] * a[p];
          su[p] += u[p], su2[p] += (double)u[p] * u[p];
        }
      }
    }
    PetscCall(PetscMalloc4(P, &res->a_mean, P, &res->a_std, P, &res->u_mean, P, &res->u_std));
    for (int p = 0; p < P; p++) {
      double n = opt->samples, ma = sa[p] / n, mu = su[p] / n;
      res->a_mean[p] = (float)ma;
      res->u_mean[p] = (float)mu;
      res->a_std[p]  = (float)sqrt(PetscMax(0.0, sa2[p] / n - ma * ma));
      res->u_std[p]  = (float)sqrt(PetscMax(0.0, su2[p] / n - mu * mu));
    }
    res->acceptance = (double)acc / opt->samples;
    if (truth) {
      res->err_a_mean = rel_l2(P, res->a_mean, obs->a_true);
      res->err_u_mean = rel_l2(P, res->u_mean, obs->u_true);
    }
    PetscCall(PetscFree2(zp, gp));
    PetscCall(PetscFree4(sa, sa2, su, su2));
    PetscCall(PetscFree2(a, u));
  }
  for (int i = 0; i < np; i++) m->params->list[i]->tensor.requires_grad = frozen[i];
  PetscCall(PetscFree(frozen));
  PetscCall(PetscFree5(z, x, g, mo, vo));
  PetscCall(NeopParamsDestroy(&iv.mlp));
  PetscCall(NeopTapeDestroy(&iv.t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopInvertResultDestroy(NeopInvertResult *res)
{
  PetscFunctionBegin;
  PetscCall(PetscFree3(res->beta, res->a_map, res->u_map));
  if (res->a_mean) PetscCall(PetscFree4(res->a_mean, res->a_std, res->u_mean, res->u_std));
  PetscFunctionReturn(PETSC_SUCCESS);
}
