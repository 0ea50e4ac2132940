/* Weak-form residuals with Wendland test functions (neop/nn/weak_form.h). */
#include <neop/nn/weak_form.h>
#include <neop/rng.h>
#include <neop/log.h>
#include <math.h>

struct NeopWeakForm_s {
  int        dim, nc, Q;   /* centres per step, quadrature points */
  double     R;
  double    *z, *v, *dv;   /* (Q, dim), (Q), (Q, dim) host */
  double    *wflux, *wsrc; /* (dim, Q) = dv / R and (1, Q) = v, backend memory */
  double    *wones;        /* (dim, Q) ones, backend memory: plain means over the quadrature set */
  double     hi[2];        /* centres in [R, hi_j - R] */
  double    *centres;      /* (nc, dim) host */
  NeopTensor x;            /* (nc Q, dim) points, backend memory */
};

static PetscLogEvent ev_weak;

void NeopWendland(int dim, const double *z, double *v, double *dv)
{
  int    l = dim / 2 + 3;
  double r = 0, a, g;

  for (int j = 0; j < dim; j++) r += z[j] * z[j];
  r = sqrt(r);
  if (r >= 1) {
    *v = 0;
    for (int j = 0; j < dim; j++) dv[j] = 0;
    return;
  }
  a  = 1 - r;
  *v = pow(a, l + 2) * ((l * l + 4. * l + 3.) * r * r + (3. * l + 6.) * r + 3.) / 3.;
  /* (dv/dr) / r, so that grad v = (dv/dr / r) z */
  g = pow(a, l + 1) * (-(l * l * l + 8. * l * l + 19. * l + 12.) * r - (l * l + 7. * l + 12.)) / 3.;
  for (int j = 0; j < dim; j++) dv[j] = g * z[j];
}

PetscErrorCode NeopWeakFormCreate(int dim, double radius, int ncentres, int nmesh, NeopWeakForm *wf)
{
  const NeopBackend *be = NeopBackendGet();
  NeopWeakForm       w;
  int                n = 0, total = dim == 1 ? nmesh : nmesh * nmesh, shape[2];
  double            *host;

  PetscFunctionBegin;
  PetscCheck(dim == 1 || dim == 2, PETSC_COMM_SELF, PETSC_ERR_SUP, "weak form: dimension %d not supported (1 or 2)", dim);
  PetscCheck(radius > 0 && radius < 0.5, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "weak form: radius %g must be in (0, 0.5)", radius);
  PetscCheck(ncentres >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "weak form: %d centres, need >= 1", ncentres);
  PetscCheck(nmesh >= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "weak form: %d quadrature mesh points per dim, need >= 3", nmesh);
  PetscCall(PetscNew(&w));
  w->dim = dim;
  w->R   = radius;
  w->nc  = ncentres;
  w->hi[0] = w->hi[1] = 1.0;
  PetscCall(PetscMalloc3(total * dim, &w->z, total, &w->v, total * dim, &w->dv));
  for (int i = 0; i < total; i++) {
    double z[2], r2 = 0;
    for (int j = 0; j < dim; j++) {
      int ij = j == 0 ? i % nmesh : i / nmesh; /* first coordinate fastest, as np.meshgrid's ravel */
      z[j]   = -1.0 + 2.0 * ij / (nmesh - 1);
      r2 += z[j] * z[j];
    }
    if (dim == 2 && !(sqrt(r2) < 1.0)) continue;
    for (int j = 0; j < dim; j++) w->z[n * dim + j] = z[j];
    NeopWendland(dim, z, &w->v[n], &w->dv[n * dim]);
    n++;
  }
  w->Q = n;
  PetscCall(PetscMalloc1(ncentres * dim, &w->centres));
  PetscCall(be->alloc(sizeof(double) * (size_t)(dim * n), (void **)&w->wflux));
  PetscCall(be->alloc(sizeof(double) * (size_t)n, (void **)&w->wsrc));
  PetscCall(be->alloc(sizeof(double) * (size_t)(dim * n), (void **)&w->wones));
  PetscCall(PetscMalloc1(dim * n, &host));
  for (int j = 0; j < dim * n; j++) host[j] = 1.0;
  PetscCall(be->from_host(w->wones, host, sizeof(double) * (size_t)(dim * n)));
  for (int j = 0; j < dim; j++)
    for (int q = 0; q < n; q++) host[j * n + q] = w->dv[q * dim + j] / radius;
  PetscCall(be->from_host(w->wflux, host, sizeof(double) * (size_t)(dim * n)));
  PetscCall(be->from_host(w->wsrc, w->v, sizeof(double) * (size_t)n));
  PetscCall(PetscFree(host));
  shape[0] = ncentres * n;
  shape[1] = dim;
  PetscCall(NeopTensorSetShape(&w->x, 2, shape));
  PetscCall(be->alloc(sizeof(float) * (size_t)w->x.size, (void **)&w->x.data));
  *wf = w;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormDestroy(NeopWeakForm *wf)
{
  const NeopBackend *be = NeopBackendGet();

  PetscFunctionBegin;
  if (!*wf) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree3((*wf)->z, (*wf)->v, (*wf)->dv));
  PetscCall(PetscFree((*wf)->centres));
  PetscCall(be->free((*wf)->wflux));
  PetscCall(be->free((*wf)->wsrc));
  PetscCall(be->free((*wf)->wones));
  PetscCall(be->free((*wf)->x.data));
  PetscCall(PetscFree(*wf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* points x = c + R z in double, rounded once to float32 */
static PetscErrorCode weak_points(NeopWeakForm wf)
{
  int    nc = wf->nc, d = wf->dim, Q = wf->Q;
  float *x; /* (nc Q, d) */

  PetscFunctionBegin;
  PetscCall(PetscMalloc1((size_t)nc * Q * d, &x));
  for (int i = 0; i < nc; i++)
    for (int q = 0; q < Q; q++)
      for (int j = 0; j < d; j++) x[((int64_t)i * Q + q) * d + j] = (float)(wf->centres[i * d + j] + wf->R * wf->z[q * d + j]);
  PetscCall(NeopBackendGet()->from_host(wf->x.data, x, sizeof(float) * (size_t)wf->x.size));
  PetscCall(PetscFree(x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormDraw(NeopWeakForm wf, uint64_t seed, uint64_t step)
{
  NeopRng rng;
  int     nc = wf->nc, d = wf->dim, *perm;

  PetscFunctionBegin;
  NeopRngInit(&rng, seed, NEOP_RNG_MODEL, step);
  PetscCall(PetscMalloc1(nc, &perm));
  /* Latin hypercube: in each dim one point per stratum [i/nc, (i+1)/nc), strata shuffled; scaled to [R, hi - R] */
  for (int j = 0; j < d; j++) {
    NeopRngPermutation(&rng, nc, perm);
    for (int i = 0; i < nc; i++) wf->centres[i * d + j] = wf->R + (wf->hi[j] - 2 * wf->R) * (perm[i] + NeopRngUniform(&rng)) / nc;
  }
  PetscCall(PetscFree(perm));
  PetscCall(weak_points(wf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormSetBox(NeopWeakForm wf, const double *hi)
{
  PetscFunctionBegin;
  for (int j = 0; j < wf->dim; j++) {
    PetscCheck(hi[j] > 2 * wf->R, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "weak form: box side %g in dim %d must exceed 2 R = %g", hi[j], j,
               2 * wf->R);
    wf->hi[j] = hi[j];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormSetCentres(NeopWeakForm wf, const double *centres)
{
  PetscFunctionBegin;
  PetscCall(PetscArraycpy(wf->centres, centres, wf->nc * wf->dim));
  PetscCall(weak_points(wf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormGetPoints(NeopWeakForm wf, int *ncentres, int *nquad, NeopTensor **x, const double **centres)
{
  PetscFunctionBegin;
  if (ncentres) *ncentres = wf->nc;
  if (nquad) *nquad = wf->Q;
  if (x) *x = &wf->x;
  if (centres) *centres = wf->centres;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormGetQuadrature(NeopWeakForm wf, int *nquad, const double **z, const double **v, const double **dv)
{
  PetscFunctionBegin;
  if (nquad) *nquad = wf->Q;
  if (z) *z = wf->z;
  if (v) *v = wf->v;
  if (dv) *dv = wf->dv;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* y (N, C) = (1/Q) sum_j sum_q F[n, j, c Q + q] w[j, q]; w is a constant (ctx) */
static PetscErrorCode weak_reduce_backward(NeopTape *t, NeopTapeNode *n)
{
  float *dF;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_weak, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, n->in[0], &dF));
  NeopBackendGet()->onet->weak_reduce_backward(n->in[0]->shape[0], n->ints[0], n->ints[1], n->ints[2], (const double *)n->ctx,
                                               n->out->grad, dF);
  PetscCall(PetscLogEventEnd(ev_weak, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode weak_reduce(NeopWeakForm wf, NeopTape *t, NeopTensor *F, int J, const double *w, NeopTensor **y)
{
  NeopTapeNode *node;
  int           shape[2] = {F->shape[0], wf->nc};
  char          bf[96];

  PetscFunctionBegin;
  if (!ev_weak) PetscCall(NeopLogEvent("NeopWeakForm", &ev_weak));
  PetscCheck(F->size == (int64_t)F->shape[0] * J * wf->nc * wf->Q, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "weak form: integrand %s must hold (N, %d, %d) values (N, components, centres x quadrature points)",
             NeopTensorShapeString(F, bf, sizeof(bf)), J, wf->nc * wf->Q);
  PetscCall(PetscLogEventBegin(ev_weak, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 2, shape, y));
  NeopBackendGet()->onet->weak_reduce(F->shape[0], J, wf->nc, wf->Q, F->data, w, (*y)->data);
  PetscCall(NeopTapeRecord(t, "weak_reduce", weak_reduce_backward, 1, &F, *y, &node));
  if (node) {
    node->ints[0] = J;
    node->ints[1] = wf->nc;
    node->ints[2] = wf->Q;
    node->ctx     = (void *)w;
  }
  PetscCall(PetscLogEventEnd(ev_weak, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormFlux(NeopWeakForm wf, NeopTape *t, NeopTensor *F, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(weak_reduce(wf, t, F, wf->dim, wf->wflux, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormSource(NeopWeakForm wf, NeopTape *t, NeopTensor *s, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(weak_reduce(wf, t, s, 1, wf->wsrc, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormDarcyResidual(NeopWeakForm wf, NeopTape *t, NeopTensor *a, NeopTensor *du, double f, NeopTensor **r)
{
  NeopTensor *a3, *F, *left, *rhs;
  int         N = du->shape[0], P = wf->nc * wf->Q, shape[3] = {N, 1, P}, one = 1;
  double      mv = 0;
  float       c;
  char        ba[96], bd[96];

  PetscFunctionBegin;
  PetscCheck(a->size == (int64_t)N * P && du->ndim == 3 && du->shape[1] == wf->dim && du->shape[2] == P, PETSC_COMM_SELF,
             PETSC_ERR_ARG_SIZ, "weak form: a %s and du %s must be (N, %d) and (N, %d, %d)", NeopTensorShapeString(a, ba, sizeof(ba)),
             NeopTensorShapeString(du, bd, sizeof(bd)), P, wf->dim, P);
  PetscCall(NeopOpReshape(t, a, 3, shape, &a3));
  PetscCall(NeopOpMul(t, a3, du, &F)); /* flux a grad u (N, d, P) */
  PetscCall(NeopWeakFormFlux(wf, t, F, &left));
  /* constant source: mean_q f v(z_q), exact in double */
  for (int q = 0; q < wf->Q; q++) mv += wf->v[q];
  c = (float)(f * mv / wf->Q);
  PetscCall(NeopTapeTensor(t, 1, &one, &rhs));
  PetscCall(NeopBackendGet()->from_host(rhs->data, &c, sizeof(float)));
  PetscCall(NeopOpSub(t, left, rhs, r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormPoissonResidual(NeopWeakForm wf, NeopTape *t, NeopTensor *f, NeopTensor *du, NeopTensor **r)
{
  NeopTensor *f3, *fv, *rhs, *left, *vq;
  int         N = du->shape[0], P = wf->nc * wf->Q, s3[3] = {N, wf->nc, wf->Q}, last = 2;
  float      *v;
  char        bf[96], bd[96];

  PetscFunctionBegin;
  PetscCheck(f->size == (int64_t)N * P && du->ndim == 3 && du->shape[1] == wf->dim && du->shape[2] == P, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "weak form (Poisson): f %s and du %s must be (N, %d) and (N, %d, %d)", NeopTensorShapeString(f, bf, sizeof(bf)),
             NeopTensorShapeString(du, bd, sizeof(bd)), P, wf->dim, P);
  PetscCall(NeopWeakFormFlux(wf, t, du, &left)); /* a = 1: the flux is grad u */
  /* mean_q f v: v(z_q) / Q (Q), broadcast over (N, nc, Q) */
  PetscCall(NeopTapeTensor(t, 1, &wf->Q, &vq));
  PetscCall(PetscMalloc1(wf->Q, &v));
  for (int q = 0; q < wf->Q; q++) v[q] = (float)(wf->v[q] / wf->Q);
  PetscCall(NeopBackendGet()->from_host(vq->data, v, sizeof(float) * (size_t)wf->Q));
  PetscCall(PetscFree(v));
  PetscCall(NeopOpReshape(t, f, 3, s3, &f3));
  PetscCall(NeopOpMul(t, f3, vq, &fv));
  PetscCall(NeopOpSumDims(t, fv, 1, &last, PETSC_FALSE, &rhs)); /* (N, nc) */
  PetscCall(NeopOpSub(t, left, rhs, r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormLoss(NeopWeakForm wf, NeopTape *t, NeopTensor *r, int topk, int nglobal, NeopTensor **loss)
{
  NeopTensor *nrm, *s, *mean;

  PetscFunctionBegin;
  PetscCheck(nglobal >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "weak form loss: global batch %d", nglobal);
  PetscCheck(topk >= 0 && topk <= wf->nc, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "weak form loss: top-k %d not in [0, %d centres]", topk, wf->nc);
  PetscCall(NeopOpNormLp(t, r, 2.0, &nrm)); /* (N) */
  PetscCall(NeopOpSum(t, nrm, &s));
  PetscCall(NeopOpScale(t, s, 1.0 / nglobal, &mean));
  if (topk > 0) {
    NeopTensor *r2, *tk, *ts;
    PetscCall(NeopOpMul(t, r, r, &r2));
    PetscCall(NeopOpTopKSum(t, r2, topk, &tk)); /* (N) */
    PetscCall(NeopOpSum(t, tk, &ts));
    PetscCall(NeopOpAdd(t, mean, ts, loss));
  } else *loss = mean;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormDarcyMixedResidual(NeopWeakForm wf, NeopTape *t, NeopTensor *a, NeopTensor *du, NeopTensor *s, double f, NeopTensor **r1,
                                              NeopTensor **r2)
{
  NeopTensor *a3, *adu, *e, *e2, *left, *rhs;
  int         N = du->shape[0], P = wf->nc * wf->Q, shape[3] = {N, 1, P}, one = 1;
  double      mv = 0;
  float       c;
  char        ba[96], bd[96], bs[96];

  PetscFunctionBegin;
  PetscCheck(a->size == (int64_t)N * P && du->ndim == 3 && du->shape[1] == wf->dim && du->shape[2] == P && NeopTensorSameShape(s, du),
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "weak form (mixed): a %s, du %s and s %s must be (N, %d), (N, %d, %d) and (N, %d, %d)",
             NeopTensorShapeString(a, ba, sizeof(ba)), NeopTensorShapeString(du, bd, sizeof(bd)), NeopTensorShapeString(s, bs, sizeof(bs)), P,
             wf->dim, P, wf->dim, P);
  PetscCall(NeopOpReshape(t, a, 3, shape, &a3));
  PetscCall(NeopOpMul(t, a3, du, &adu));
  PetscCall(NeopOpSub(t, s, adu, &e)); /* s - a grad u (N, d, P) */
  PetscCall(NeopOpMul(t, e, e, &e2));
  PetscCall(weak_reduce(wf, t, e2, wf->dim, wf->wones, r1)); /* mean_q |s - a grad u|^2 */
  PetscCall(NeopWeakFormFlux(wf, t, s, &left));
  for (int q = 0; q < wf->Q; q++) mv += wf->v[q];
  c = (float)(f * mv / wf->Q);
  PetscCall(NeopTapeTensor(t, 1, &one, &rhs));
  PetscCall(NeopBackendGet()->from_host(rhs->data, &c, sizeof(float)));
  PetscCall(NeopOpSub(t, left, rhs, r2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormMixedLoss(NeopWeakForm wf, NeopTape *t, NeopTensor *r1, NeopTensor *r2, int nglobal, NeopTensor **loss)
{
  NeopTensor *s1, *q, *s2, *l1, *l2;

  PetscFunctionBegin;
  PetscCheck(nglobal >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "weak form loss: global batch %d", nglobal);
  PetscCall(NeopOpSum(t, r1, &s1));
  PetscCall(NeopOpScale(t, s1, 1.0 / ((double)nglobal * wf->nc), &l1));
  PetscCall(NeopOpMul(t, r2, r2, &q));
  PetscCall(NeopOpSum(t, q, &s2));
  PetscCall(NeopOpScale(t, s2, sqrt((double)wf->nc) / ((double)nglobal * wf->nc), &l2));
  PetscCall(NeopOpAdd(t, l1, l2, loss));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopWeakFormBurgersResidual(NeopWeakForm wf, NeopTape *t, NeopTensor *u, NeopTensor *du, double nu, NeopTensor **r)
{
  NeopTensor *ux3, *ut3, *ux, *ut, *uux, *src, *F, *fl, *sr;
  int         N = du->shape[0], P = wf->nc * wf->Q, shape[2] = {N, P};
  char        bu[96], bd[96];

  PetscFunctionBegin;
  PetscCheck(u->size == (int64_t)N * P && du->ndim == 3 && du->shape[1] == 2 && du->shape[2] == P, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "weak form (Burgers): u %s and du %s must be (N, %d) and (N, 2, %d) (derivatives in x and t)", NeopTensorShapeString(u, bu, sizeof(bu)),
             NeopTensorShapeString(du, bd, sizeof(bd)), P, P);
  PetscCall(NeopOpSlice(t, du, 1, 0, 1, 1, &ux3)); /* (N, 1, P) */
  PetscCall(NeopOpSlice(t, du, 1, 1, 2, 1, &ut3));
  PetscCall(NeopOpReshape(t, ux3, 2, shape, &ux));
  PetscCall(NeopOpReshape(t, ut3, 2, shape, &ut));
  PetscCall(NeopOpMul(t, u, ux, &uux));
  PetscCall(NeopOpAdd(t, ut, uux, &src));
  PetscCall(NeopWeakFormSource(wf, t, src, &sr)); /* mean_q (u_t + u u_x) v */
  if (wf->dim == 1) PetscCall(NeopOpScale(t, ux3, nu, &F));
  else { /* test functions in (x, t): the flux (nu u_x, 0) */
    NeopTensor *c;
    int         cs[2] = {2, 1};
    float       cv[2] = {(float)nu, 0.f};
    PetscCall(NeopTapeTensor(t, 2, cs, &c));
    PetscCall(NeopBackendGet()->from_host(c->data, cv, sizeof(cv)));
    PetscCall(NeopOpMul(t, du, c, &F));
  }
  PetscCall(NeopWeakFormFlux(wf, t, F, &fl)); /* mean_q nu u_x dv/dx */
  PetscCall(NeopOpAdd(t, sr, fl, r));
  PetscFunctionReturn(PETSC_SUCCESS);
}
