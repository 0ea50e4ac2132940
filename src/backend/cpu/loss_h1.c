/* H1 loss kernels on FFTW: real-to-complex transforms of one plane at a time,
   plans made once per grid (FFTW_ESTIMATE | FFTW_UNALIGNED, so one plan runs
   on any plane of the batch). Only the half spectrum is stored: a mode and
   its conjugate partner (-i, -j) have the same modulus, so the full-spectrum
   sum is the half sum with each column counted twice except j = 0 and
   j = n1/2, and the weight w^2 is replaced by its average over the pair
   (torch's wave numbers are not symmetric for odd n: k(n//2) = -(n//2) - 1). */
#include "backend/cpu/cpu.h"
#include <neop/nn/loss_h1.h>
#include <fftw3.h>
#include <string.h>

#define MAX_PLANS 16

typedef struct {
  int         dim, n0, n1;   /* 1-D: n0 = 1 */
  fftwf_plan  r2c, c2r;
  float      *wt;            /* (n0, n1/2 + 1): multiplicity * symmetrised w^2 */
  float      *sym;           /* (n0, n1/2 + 1): symmetrised w^2 (for the gradient) */
} H1Plan;

static H1Plan plans[MAX_PLANS];
static int    nplans;
static float         *rbuf;  /* (n0, n1) */
static fftwf_complex *cbuf;  /* (n0, n1/2 + 1) */
static size_t         rcap, ccap;

static double wave2(int i, int n)
{
  int k = i < n / 2 ? i : i - n;
  k     = k < 0 ? -k : k;
  return k < NEOP_H1_KMAX ? (double)k * k : 0.0;
}

static PetscErrorCode buffers(size_t nr, size_t nc)
{
  PetscFunctionBegin;
  if (nr > rcap) {
    fftwf_free(rbuf);
    rbuf = fftwf_alloc_real(nr);
    rcap = nr;
  }
  if (nc > ccap) {
    fftwf_free(cbuf);
    cbuf = fftwf_alloc_complex(nc);
    ccap = nc;
  }
  PetscCheck(rbuf && cbuf, PETSC_COMM_SELF, PETSC_ERR_MEM, "H1 loss: out of memory for FFT buffers");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode get_plan(int dim, const int *grid, H1Plan **plan)
{
  int n0 = dim == 2 ? grid[0] : 1, n1 = grid[dim - 1], h = n1 / 2 + 1;

  PetscFunctionBegin;
  for (int i = 0; i < nplans; i++)
    if (plans[i].dim == dim && plans[i].n0 == n0 && plans[i].n1 == n1) {
      *plan = &plans[i];
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  PetscCheck(nplans < MAX_PLANS, PETSC_COMM_SELF, PETSC_ERR_SUP, "H1 loss: more than %d grid shapes", MAX_PLANS);
  PetscCall(buffers((size_t)n0 * n1, (size_t)n0 * h));
  H1Plan *p = &plans[nplans];
  p->dim = dim, p->n0 = n0, p->n1 = n1;
  if (dim == 2) {
    p->r2c = fftwf_plan_dft_r2c_2d(n0, n1, rbuf, cbuf, FFTW_ESTIMATE | FFTW_UNALIGNED);
    p->c2r = fftwf_plan_dft_c2r_2d(n0, n1, cbuf, rbuf, FFTW_ESTIMATE | FFTW_UNALIGNED);
  } else {
    p->r2c = fftwf_plan_dft_r2c_1d(n1, rbuf, cbuf, FFTW_ESTIMATE | FFTW_UNALIGNED);
    p->c2r = fftwf_plan_dft_c2r_1d(n1, cbuf, rbuf, FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  PetscCheck(p->r2c && p->c2r, PETSC_COMM_SELF, PETSC_ERR_LIB, "H1 loss: FFTW planning failed for %d x %d", n0, n1);
  PetscCall(PetscMalloc2(n0 * h, &p->wt, n0 * h, &p->sym));
  for (int i = 0; i < n0; i++)
    for (int j = 0; j < h; j++) {
      int    mi = (n0 - i) % n0, mj = (n1 - j) % n1; /* the conjugate partner */
      /* 1-D has no first dim (torch's formula would give k = -1 to an extent of 1) */
      double w2 = 1 + (dim == 2 ? wave2(i, n0) : 0) + wave2(j, n1), m2 = 1 + (dim == 2 ? wave2(mi, n0) : 0) + wave2(mj, n1);
      int    twice = j > 0 && 2 * j != n1;
      p->sym[i * h + j] = (float)(0.5 * (w2 + m2));
      p->wt[i * h + j]  = (float)((twice ? 2 : 1) * 0.5 * (w2 + m2));
    }
  nplans++;
  *plan = p;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* sum over the spectrum of one plane v (n0, n1) of w^2 |F v|^2 */
static double plane_norm2(H1Plan *p, const float *v)
{
  int    h = p->n1 / 2 + 1;
  double s = 0;
  float *c = (float *)cbuf; /* (re, im) pairs: fftwf_complex may be C99 complex here */
  fftwf_execute_dft_r2c(p->r2c, (float *)v, cbuf);
  for (int k = 0; k < p->n0 * h; k++) s += (double)p->wt[k] * ((double)c[2 * k] * c[2 * k] + (double)c[2 * k + 1] * c[2 * k + 1]);
  return s;
}

/* out += a G(v), G(v) = c2r(sym . r2c(v)) */
static void plane_grad(H1Plan *p, const float *v, double a, float *out)
{
  int     h = p->n1 / 2 + 1;
  int64_t P = (int64_t)p->n0 * p->n1;
  float  *c = (float *)cbuf;
  fftwf_execute_dft_r2c(p->r2c, (float *)v, cbuf);
  for (int k = 0; k < p->n0 * h; k++) c[2 * k] *= p->sym[k], c[2 * k + 1] *= p->sym[k];
  fftwf_execute_dft_c2r(p->c2r, cbuf, rbuf);
  for (int64_t k = 0; k < P; k++) out[k] += (float)(a * rbuf[k]);
}

static PetscErrorCode h1_norms(int dim, const int *grid, int n, int c, const float *pred, const float *target, double *num,
                               double *den)
{
  H1Plan *p;
  float  *diff;

  PetscFunctionBegin;
  PetscCall(get_plan(dim, grid, &p));
  int64_t P = (int64_t)p->n0 * p->n1;
  PetscCall(PetscMalloc1(P, &diff));
  for (int i = 0; i < n; i++) {
    num[i] = den[i] = 0;
    for (int ch = 0; ch < c; ch++) {
      const float *pp = pred + ((int64_t)i * c + ch) * P, *uu = target + ((int64_t)i * c + ch) * P;
      for (int64_t k = 0; k < P; k++) diff[k] = pp[k] - uu[k];
      num[i] += plane_norm2(p, diff);
      den[i] += plane_norm2(p, uu);
    }
  }
  PetscCall(PetscFree(diff));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode h1_grad(int dim, const int *grid, int n, int c, const float *pred, const float *target, const double *a,
                              const double *b, float *dpred, float *dtarget)
{
  H1Plan *p;
  float  *diff, *g;

  PetscFunctionBegin;
  PetscCall(get_plan(dim, grid, &p));
  int64_t P = (int64_t)p->n0 * p->n1;
  PetscCall(PetscMalloc2(P, &diff, P, &g));
  for (int i = 0; i < n; i++)
    for (int ch = 0; ch < c; ch++) {
      int64_t      off = ((int64_t)i * c + ch) * P;
      const float *pp = pred + off, *uu = target + off;
      for (int64_t k = 0; k < P; k++) diff[k] = pp[k] - uu[k];
      PetscCall(PetscArrayzero(g, P));
      plane_grad(p, diff, 1.0, g);
      if (dpred)
        for (int64_t k = 0; k < P; k++) dpred[off + k] += (float)(a[i] * g[k]);
      if (dtarget) {
        for (int64_t k = 0; k < P; k++) dtarget[off + k] -= (float)(a[i] * g[k]);
        plane_grad(p, uu, b[i], dtarget + off);
      }
    }
  PetscCall(PetscFree2(diff, g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const NeopH1Kernels NeopH1KernelsCPU = {.norms = h1_norms, .grad = h1_grad};
