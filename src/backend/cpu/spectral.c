/* Spectral convolution on the CPU: FFTW (single precision, threads set by the
   runtime) and OpenBLAS cgemm.

   A d-dim rfftn is done in two stages so that only the kept modes travel:
     1. a batched 1-D r2c along the last dim (all rows), keeping the first
        m_d bins of every row;
     2. (d >= 2) complex FFTs over the leading dims, on those m_d columns only.
   The inverse runs the same stages backwards (complex inverse over the
   leading dims, then a 1-D c2r along the last dim). This is exactly numpy's
   and torch's irfftn (c2c over the leading axes, then irfft over the last,
   which drops the imaginary parts of the DC and Nyquist bins), also for the
   non-Hermitian spectra the layer produces.

   Adjoints (for the backward): the adjoint of c2r is r2c with the interior
   bins (0 < k < S/2) doubled; the adjoint of r2c is c2r with them halved; the
   adjoint of an unnormalised complex FFT is the one of opposite sign. */
#include "backend/cpu/cpu.h"
#include <neop/nn/spectral_conv.h>
#include <fftw3.h>
#include <cblas.h>
#include <string.h>

#define MAX_ENTRIES 16

typedef struct Entry {
  NeopSpectralShape s;      /* key */
  int               d, H, ml; /* dims, last-dim half spectrum S_d/2+1, kept last-dim bins m_d */
  int64_t           lead;     /* prod S[0..d-2] */
  int64_t           P;        /* prod S */
  int64_t           K, Mc;    /* kept modes, modes per corner */
  int               C[2];     /* channels: [0] input, [1] output */
  int64_t          *offs;     /* [K] complex offset of kept mode q inside one (lead, ml) slab */
  float            *R;        /* (N, max C, *S) real scratch */
  float            *Z;        /* (N max C lead, H, 2) half spectra along the last dim */
  float            *U;        /* (N max C, lead, ml, 2) kept columns */
  float            *Wt;       /* (K, cin, cout, 2) weights, mode-major */
  float            *dWt;      /* (K, cin, cout, 2) */
  float            *G;        /* (K, N, max C, 2) output-side modes */
  float            *Gx;       /* (K, N, cin, 2) input-side gradient modes */
  fftwf_plan        r2c[2], c2r[2];       /* along the last dim, for C[0] / C[1] rows */
  fftwf_plan        lead_f[2], lead_b[2]; /* over the leading dims (d >= 2), sign -1 / +1 */
  struct Entry     *next;
} Entry;

static Entry *cache; /* most recently used first */

static void entry_destroy(Entry *e)
{
  for (int k = 0; k < 2; k++) {
    if (e->r2c[k]) fftwf_destroy_plan(e->r2c[k]);
    if (e->c2r[k]) fftwf_destroy_plan(e->c2r[k]);
    if (e->lead_f[k]) fftwf_destroy_plan(e->lead_f[k]);
    if (e->lead_b[k]) fftwf_destroy_plan(e->lead_b[k]);
  }
  fftwf_free(e->R);
  fftwf_free(e->Z);
  fftwf_free(e->U);
  fftwf_free(e->Wt);
  fftwf_free(e->dWt);
  fftwf_free(e->G);
  fftwf_free(e->Gx);
  free(e->offs);
  free(e);
}

static void spectral_cleanup(void)
{
  while (cache) {
    Entry *e = cache;
    cache    = e->next;
    entry_destroy(e);
  }
}

static float *falloc(int64_t n, PetscBool *ok)
{
  float *p = fftwf_alloc_real((size_t)(n > 0 ? n : 1));
  if (!p) *ok = PETSC_FALSE;
  return p;
}

static PetscErrorCode entry_create(const NeopSpectralShape *s, Entry **out)
{
  Entry    *e;
  PetscBool ok = PETSC_TRUE;
  int       d = s->dim, Cmax;
  int64_t   rows;

  PetscFunctionBegin;
  e = (Entry *)calloc(1, sizeof(Entry));
  PetscCheck(e, PETSC_COMM_SELF, PETSC_ERR_MEM, "spectral conv: out of memory");
  e->s    = *s;
  e->d    = d;
  e->H    = s->S[d - 1] / 2 + 1;
  e->ml   = s->modes[d - 1];
  e->lead = 1;
  for (int i = 0; i < d - 1; i++) e->lead *= s->S[i];
  e->P  = e->lead * s->S[d - 1];
  e->Mc = 1;
  for (int i = 0; i < d; i++) e->Mc *= s->modes[i];
  e->K    = e->Mc * NeopSpectralCorners(d);
  e->C[0] = s->cin;
  e->C[1] = s->cout;
  Cmax    = PetscMax(s->cin, s->cout);
  rows    = (int64_t)s->N * Cmax * e->lead;

  e->R    = falloc(rows * s->S[d - 1], &ok);
  e->Z    = falloc(rows * e->H * 2, &ok);
  e->U    = falloc(rows * e->ml * 2, &ok);
  e->Wt   = falloc(e->K * s->cin * s->cout * 2, &ok);
  e->dWt  = falloc(e->K * s->cin * s->cout * 2, &ok);
  e->G    = falloc(e->K * s->N * Cmax * 2, &ok);
  e->Gx   = falloc(e->K * s->N * s->cin * 2, &ok);
  e->offs = (int64_t *)malloc(sizeof(int64_t) * (size_t)e->K);
  if (!ok || !e->offs) {
    entry_destroy(e);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_MEM, "spectral conv: out of memory for the scratch of %lld rows", (long long)rows);
  }

  /* kept mode q = c Mc + (j_0, ..., j_{d-1}) flattened row-major */
  for (int64_t q = 0; q < e->K; q++) {
    int64_t c = q / e->Mc, j = q % e->Mc, lead_idx = 0, jd[3];
    for (int i = d - 1; i >= 0; i--) {
      jd[i] = j % s->modes[i];
      j /= s->modes[i];
    }
    for (int i = 0; i < d - 1; i++) {
      int64_t idx = ((c >> i) & 1) ? s->S[i] - s->modes[i] + jd[i] : jd[i];
      lead_idx    = lead_idx * s->S[i] + idx;
    }
    e->offs[q] = lead_idx * e->ml + jd[d - 1];
  }

  for (int k = 0; k < 2; k++) {
    int howmany = (int)((int64_t)s->N * e->C[k] * e->lead), n = s->S[d - 1];
    e->r2c[k] = fftwf_plan_many_dft_r2c(1, &n, howmany, e->R, NULL, 1, n, (fftwf_complex *)e->Z, NULL, 1, e->H,
                                        FFTW_ESTIMATE);
    e->c2r[k] = fftwf_plan_many_dft_c2r(1, &n, howmany, (fftwf_complex *)e->Z, NULL, 1, e->H, e->R, NULL, 1, n,
                                        FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
    if (d >= 2) {
      fftwf_iodim dims[2], hm[2];
      int64_t     stride = e->ml;
      for (int i = d - 2; i >= 0; i--) {
        dims[i].n  = s->S[i];
        dims[i].is = dims[i].os = (int)stride;
        stride *= s->S[i];
      }
      hm[0].n  = e->ml;
      hm[0].is = hm[0].os = 1;
      hm[1].n             = s->N * e->C[k];
      hm[1].is = hm[1].os = (int)(e->lead * e->ml);
      e->lead_f[k] = fftwf_plan_guru_dft(d - 1, dims, 2, hm, (fftwf_complex *)e->U, (fftwf_complex *)e->U, FFTW_FORWARD,
                                         FFTW_ESTIMATE);
      e->lead_b[k] = fftwf_plan_guru_dft(d - 1, dims, 2, hm, (fftwf_complex *)e->U, (fftwf_complex *)e->U, FFTW_BACKWARD,
                                         FFTW_ESTIMATE);
      ok = ok && e->lead_f[k] && e->lead_b[k];
    }
    ok = ok && e->r2c[k] && e->c2r[k];
  }
  if (!ok) {
    entry_destroy(e);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "spectral conv: FFTW could not plan the transforms");
  }
  *out = e;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The entry of a shape, moved to the front; the least recently used is dropped beyond MAX_ENTRIES. */
static PetscErrorCode entry_get(const NeopSpectralShape *s, Entry **out)
{
  Entry *e, *prev = NULL;
  int    n = 0;

  PetscFunctionBegin;
  for (e = cache; e; prev = e, e = e->next, n++)
    if (!memcmp(&e->s, s, sizeof(*s))) break;
  if (e) {
    if (prev) {
      prev->next = e->next;
      e->next    = cache;
      cache      = e;
    }
  } else {
    if (n >= MAX_ENTRIES) {
      Entry *p = cache;
      while (p->next->next) p = p->next;
      entry_destroy(p->next);
      p->next = NULL;
    }
    PetscCall(entry_create(s, &e));
    e->next = cache;
    cache   = e;
  }
  *out = e;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* U (rows, ml) <- Z (rows, H) first ml bins, each bin k times f(k) (scale[k] or 1) */
static void take_columns(const Entry *e, int64_t rows, const float *scale)
{
  int ml = e->ml, H = e->H;
#pragma omp parallel for if (rows > 256)
  for (int64_t r = 0; r < rows; r++) {
    const float *z = e->Z + r * H * 2;
    float       *u = e->U + r * ml * 2;
    for (int k = 0; k < ml; k++) {
      float f      = scale ? scale[k] : 1.f;
      u[2 * k]     = f * z[2 * k];
      u[2 * k + 1] = f * z[2 * k + 1];
    }
  }
}

/* Z (rows, H) <- U (rows, ml) times scale[k] (or 1), zeros beyond ml */
static void put_columns(const Entry *e, int64_t rows, const float *scale)
{
  int ml = e->ml, H = e->H;
#pragma omp parallel for if (rows > 256)
  for (int64_t r = 0; r < rows; r++) {
    float       *z = e->Z + r * H * 2;
    const float *u = e->U + r * ml * 2;
    for (int k = 0; k < ml; k++) {
      float f      = scale ? scale[k] : 1.f;
      z[2 * k]     = f * u[2 * k];
      z[2 * k + 1] = f * u[2 * k + 1];
    }
    memset(z + 2 * ml, 0, sizeof(float) * 2 * (size_t)(H - ml));
  }
}

/* M (K, N, C) <- U (N C, lead, ml) at the kept modes, times f */
static void gather_modes(const Entry *e, int C, float f, float *M)
{
  int64_t slab = e->lead * e->ml, NC = (int64_t)e->s.N * C;
#pragma omp parallel for if (e->K * NC > 65536)
  for (int64_t q = 0; q < e->K; q++) {
    const float *u = e->U + 2 * e->offs[q];
    float       *m = M + q * NC * 2;
    for (int64_t bc = 0; bc < NC; bc++) {
      m[2 * bc]     = f * u[2 * bc * slab];
      m[2 * bc + 1] = f * u[2 * bc * slab + 1];
    }
  }
}

/* U (N C, lead, ml) <- zeros, with M (K, N, C) at the kept modes */
static void scatter_modes(const Entry *e, int C, const float *M)
{
  int64_t slab = e->lead * e->ml, NC = (int64_t)e->s.N * C;
  memset(e->U, 0, sizeof(float) * 2 * (size_t)(NC * slab));
#pragma omp parallel for if (e->K * NC > 65536)
  for (int64_t q = 0; q < e->K; q++) {
    float       *u = e->U + 2 * e->offs[q];
    const float *m = M + q * NC * 2;
    for (int64_t bc = 0; bc < NC; bc++) {
      u[2 * bc * slab]     = m[2 * bc];
      u[2 * bc * slab + 1] = m[2 * bc + 1];
    }
  }
}

/* Wt (K, cin, cout) <- w[c] (cin, cout, Mc) */
static void transpose_weights(const Entry *e, const float *const *w)
{
  int64_t io = (int64_t)e->s.cin * e->s.cout, Mc = e->Mc;
  for (int c = 0; c < NeopSpectralCorners(e->d); c++)
#pragma omp parallel for if (io * Mc > 65536)
    for (int64_t j = 0; j < Mc; j++) {
      float       *dst = e->Wt + (c * Mc + j) * io * 2;
      const float *src = w[c] + 2 * j;
      for (int64_t k = 0; k < io; k++) {
        dst[2 * k]     = src[2 * k * Mc];
        dst[2 * k + 1] = src[2 * k * Mc + 1];
      }
    }
}

/* The real array x must have the alignment the plans were made for, else it goes through R. */
static PetscBool same_alignment(const float *a, const float *b) { return fftwf_alignment_of((float *)a) == fftwf_alignment_of((float *)b); }

static PetscErrorCode spectral_forward(const NeopSpectralShape *s, const float *x, const float *const *w, float *xk, float *y)
{
  Entry        *e;
  int           N = s->N, cin = s->cin, cout = s->cout;
  int64_t       in_rows, out_rows;
  const float  *xin = x;
  float        *yout;
  float         alpha[2], beta[2] = {0, 0};

  PetscFunctionBegin;
  PetscCall(entry_get(s, &e));
  in_rows  = (int64_t)N * cin * e->lead;
  out_rows = (int64_t)N * cout * e->lead;
  if (!same_alignment(x, e->R)) {
    memcpy(e->R, x, sizeof(float) * (size_t)(in_rows * s->S[s->dim - 1]));
    xin = e->R;
  }
  /* 1. rfft along the last dim; 2. FFTs over the leading dims of the kept columns */
  fftwf_execute_dft_r2c(e->r2c[0], (float *)xin, (fftwf_complex *)e->Z);
  take_columns(e, in_rows, NULL);
  if (e->d >= 2) fftwf_execute_dft(e->lead_f[0], (fftwf_complex *)e->U, (fftwf_complex *)e->U);
  gather_modes(e, cin, 1.f, xk);
  /* 3. mix channels per mode: G[q] (N, cout) = xk[q] (N, cin) Wt[q] (cin, cout) / P */
  transpose_weights(e, w);
  alpha[0] = 1.f / (float)e->P;
  alpha[1] = 0;
  for (int64_t q = 0; q < e->K; q++)
    cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, cout, cin, alpha, xk + q * N * cin * 2, cin,
                e->Wt + q * cin * cout * 2, cout, beta, e->G + q * N * cout * 2, cout);
  /* 4. back: inverse FFTs over the leading dims, then c2r along the last dim */
  scatter_modes(e, cout, e->G);
  if (e->d >= 2) fftwf_execute_dft(e->lead_b[1], (fftwf_complex *)e->U, (fftwf_complex *)e->U);
  put_columns(e, out_rows, NULL);
  yout = same_alignment(y, e->R) ? y : e->R;
  fftwf_execute_dft_c2r(e->c2r[1], (fftwf_complex *)e->Z, yout);
  if (yout != y) memcpy(y, yout, sizeof(float) * (size_t)(out_rows * s->S[s->dim - 1]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* bin weights of the real transforms' adjoints: 2 (or 1/2) for interior bins, 1 for DC and Nyquist */
static void bin_factors(const Entry *e, float interior, float *f)
{
  int Sl = e->s.S[e->d - 1];
  for (int k = 0; k < e->ml; k++) f[k] = (k == 0 || 2 * k == Sl) ? 1.f : interior;
}

static PetscErrorCode spectral_backward(const NeopSpectralShape *s, const float *dy, const float *const *w, const float *xk,
                                        float *dx, float *const *dw)
{
  Entry        *e;
  int           N = s->N, cin = s->cin, cout = s->cout, nc = NeopSpectralCorners(s->dim);
  int64_t       in_rows, out_rows, io = (int64_t)cin * cout;
  const float  *gin = dy;
  float        *f;
  const float   one[2] = {1, 0}, zero[2] = {0, 0};

  PetscFunctionBegin;
  PetscCall(entry_get(s, &e));
  PetscCall(PetscMalloc1(e->ml, &f));
  in_rows  = (int64_t)N * cin * e->lead;
  out_rows = (int64_t)N * cout * e->lead;
  if (!same_alignment(dy, e->R)) {
    memcpy(e->R, dy, sizeof(float) * (size_t)(out_rows * s->S[s->dim - 1]));
    gin = e->R;
  }
  /* adjoint of (c2r / P): r2c, interior bins doubled, then the adjoint of the leading inverse FFTs */
  fftwf_execute_dft_r2c(e->r2c[1], (float *)gin, (fftwf_complex *)e->Z);
  bin_factors(e, 2.f, f);
  take_columns(e, out_rows, f);
  if (e->d >= 2) fftwf_execute_dft(e->lead_f[1], (fftwf_complex *)e->U, (fftwf_complex *)e->U);
  gather_modes(e, cout, 1.f / (float)e->P, e->G); /* G (K, N, cout): gradient of the mixed modes */

  if (dw && dw[0]) {
    /* dWt[q] (cin, cout) = xk[q]^H (cin, N) G[q] (N, cout) */
    for (int64_t q = 0; q < e->K; q++)
      cblas_cgemm(CblasRowMajor, CblasConjTrans, CblasNoTrans, cin, cout, N, one, xk + q * N * cin * 2, cin,
                  e->G + q * N * cout * 2, cout, zero, e->dWt + q * io * 2, cout);
    for (int c = 0; c < nc; c++)
#pragma omp parallel for if (io * e->Mc > 65536)
      for (int64_t j = 0; j < e->Mc; j++) {
        const float *src = e->dWt + (c * e->Mc + j) * io * 2;
        float       *dst = dw[c] + 2 * j;
        for (int64_t k = 0; k < io; k++) {
          dst[2 * k * e->Mc] += src[2 * k];
          dst[2 * k * e->Mc + 1] += src[2 * k + 1];
        }
      }
  }
  if (dx) {
    int64_t n = in_rows * s->S[s->dim - 1];
    /* Gx[q] (N, cin) = G[q] (N, cout) Wt[q]^H (cout, cin) */
    transpose_weights(e, w);
    for (int64_t q = 0; q < e->K; q++)
      cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasConjTrans, N, cin, cout, one, e->G + q * N * cout * 2, cout,
                  e->Wt + q * io * 2, cout, zero, e->Gx + q * N * cin * 2, cin);
    /* adjoint of the leading forward FFTs, then of r2c: c2r with interior bins halved */
    scatter_modes(e, cin, e->Gx);
    if (e->d >= 2) fftwf_execute_dft(e->lead_b[0], (fftwf_complex *)e->U, (fftwf_complex *)e->U);
    bin_factors(e, 0.5f, f);
    put_columns(e, in_rows, f);
    fftwf_execute_dft_c2r(e->c2r[0], (fftwf_complex *)e->Z, e->R);
#pragma omp parallel for simd if (n > 65536)
    for (int64_t i = 0; i < n; i++) dx[i] += e->R[i];
  }
  PetscCall(PetscFree(f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const NeopSpectralKernels neop_cpu_spectral = {
  .forward  = spectral_forward,
  .backward = spectral_backward,
  .cleanup  = spectral_cleanup,
};
