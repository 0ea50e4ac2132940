/* Spectral convolution on the CPU: the truncated transforms by FFTW or by
   DFT matrices on OpenBLAS, the mode mixing by cgemm per kept mode.

   A d-dim rfftn is done in two stages so that only the kept modes travel:
     A. along the last dim (real): keep bins [0, m_d) of every line;
     B. (d >= 2) along each leading dim (complex), on those columns only.
   The inverse runs the stages backwards (B: leading dims, then A: c2r along
   the last dim). This is exactly numpy's and torch's irfftn (c2c over the
   leading axes, then irfft over the last, which drops the imaginary parts of
   the DC and Nyquist bins), also for the non-Hermitian spectra the layer makes.

   FFT method (FFTW, plans cached per shape):
     A: batched 1-D r2c / c2r of all lines, the first m_d bins copied;
     B: complex FFTs over the leading dims of the (N C, lead, m_d) columns.
     Adjoints: c2r^T is r2c with the interior bins (0 < k < S/2) doubled,
     r2c^T is c2r with them halved; an unnormalised complex FFT's adjoint is
     the one of opposite sign.
   DFT method (sgemm / cgemm, matrices cached per shape):
     A: x rows (., n) times Fr (n, 2 m_d) [cos, -sin] gives the kept bins;
        the inverse multiplies by Gr (2 m_d, n) [c_k cos, -c_k sin], c_k = 2 on
        interior bins, 1 on DC and Nyquist;
     B: F_i (2 m_i, S_i) keeps the 2 m_i kept frequencies of dim i, the
        inverse expands with Finv_i = F_i^H.
     Adjoints are the transposed products (A) and F <-> Finv (B).
   Layouts of the kept columns: FFT (N C, lead, m_d) with the full leading
   grid; DFT (lead', N C, m_d) with the leading dims first (full S_i before
   stage B, 2 m_i after) so that each stage is one matrix product. */
#include "backend/cpu/cpu.h"
#include <neop/nn/spectral_conv.h>
#include <fftw3.h>
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#define MAX_ENTRIES 16

typedef struct Entry {
  NeopSpectralShape s;        /* key */
  int               d, H, ml; /* dims, last-dim half spectrum S_d/2+1, kept last-dim bins m_d */
  int64_t           lead;     /* prod S[0..d-2] */
  int64_t           klead;    /* prod 2 m[0..d-2]: kept leading rows */
  int64_t           P;        /* prod S */
  int64_t           K, Mc;    /* kept modes, modes per corner */
  int               C[2];     /* channels: [0] input, [1] output */
  int64_t          *lidx;     /* [K] leading index of mode q: FFT flat over S[0..d-2], DFT flat over 2 m[0..d-2] */
  int              *jl;       /* [K] last-dim bin of mode q */
  float            *Wt;       /* (K, cin, cout, 2) weights, mode-major */
  float            *dWt;      /* (K, cin, cout, 2) */
  float            *G;        /* (K, N, max C, 2) output-side modes */
  float            *Gx;       /* (K, N, cin, 2) input-side gradient modes */
  /* FFT */
  float            *R;                    /* (N, max C, *S) real scratch */
  float            *Z;                    /* (N max C lead, H, 2) half spectra along the last dim */
  float            *U;                    /* (N max C, lead, ml, 2) kept columns */
  fftwf_plan        r2c[2], c2r[2];       /* along the last dim, for C[0] / C[1] rows */
  fftwf_plan        lead_f[2], lead_b[2]; /* over the leading dims (d >= 2), sign -1 / +1 */
  /* DFT */
  float            *T[2];                 /* (lead, N max C, ml, 2) ping-pong */
  float            *Fr, *Gr;              /* (n, 2 ml), (2 ml, n) */
  float            *Fl[2], *Fl_inv[2];    /* per leading dim i: (2 m_i, S_i, 2), (S_i, 2 m_i, 2) */
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
    fftwf_free(e->T[k]);
    fftwf_free(e->Fl[k]);
    fftwf_free(e->Fl_inv[k]);
  }
  fftwf_free(e->R);
  fftwf_free(e->Z);
  fftwf_free(e->U);
  fftwf_free(e->Fr);
  fftwf_free(e->Gr);
  fftwf_free(e->Wt);
  fftwf_free(e->dWt);
  fftwf_free(e->G);
  fftwf_free(e->Gx);
  free(e->lidx);
  free(e->jl);
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

/* kept frequency index of row r in [0, 2m) of a dim of S points: 0..m-1, then S-m..S-1 */
static int kept_freq(int r, int m, int S) { return r < m ? r : S - 2 * m + r; }

static void fill_dft_matrices(Entry *e)
{
  const NeopSpectralShape *s = &e->s;
  int                      n = s->S[e->d - 1], ml = e->ml;
  for (int t = 0; t < n; t++)
    for (int k = 0; k < ml; k++) {
      double th = 2 * M_PI * (double)((int64_t)k * t % n) / n, ck = (k == 0 || 2 * k == n) ? 1 : 2;
      e->Fr[(int64_t)t * 2 * ml + 2 * k]     = (float)cos(th);
      e->Fr[(int64_t)t * 2 * ml + 2 * k + 1] = (float)-sin(th);
      e->Gr[(int64_t)(2 * k) * n + t]        = (float)(ck * cos(th));
      e->Gr[(int64_t)(2 * k + 1) * n + t]    = (float)(-ck * sin(th));
    }
  for (int i = 0; i < e->d - 1; i++) {
    int S = s->S[i], m = s->modes[i];
    for (int r = 0; r < 2 * m; r++)
      for (int x = 0; x < S; x++) {
        double th = 2 * M_PI * (double)((int64_t)kept_freq(r, m, S) * x % S) / S;
        e->Fl[i][((int64_t)r * S + x) * 2]             = (float)cos(th);
        e->Fl[i][((int64_t)r * S + x) * 2 + 1]         = (float)-sin(th);
        e->Fl_inv[i][((int64_t)x * 2 * m + r) * 2]     = (float)cos(th);
        e->Fl_inv[i][((int64_t)x * 2 * m + r) * 2 + 1] = (float)sin(th);
      }
  }
}

static PetscErrorCode plan_fft(Entry *e, PetscBool *ok)
{
  const NeopSpectralShape *s = &e->s;
  int                      d = e->d;

  PetscFunctionBegin;
  for (int k = 0; k < 2; k++) {
    int howmany = (int)((int64_t)s->N * e->C[k] * e->lead), n = s->S[d - 1];
    e->r2c[k] = fftwf_plan_many_dft_r2c(1, &n, howmany, e->R, NULL, 1, n, (fftwf_complex *)e->Z, NULL, 1, e->H, FFTW_ESTIMATE);
    e->c2r[k] = fftwf_plan_many_dft_c2r(1, &n, howmany, (fftwf_complex *)e->Z, NULL, 1, e->H, e->R, NULL, 1, n,
                                        FFTW_ESTIMATE | FFTW_DESTROY_INPUT);
    *ok = (PetscBool)(*ok && e->r2c[k] && e->c2r[k]);
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
      e->lead_f[k] = fftwf_plan_guru_dft(d - 1, dims, 2, hm, (fftwf_complex *)e->U, (fftwf_complex *)e->U, FFTW_FORWARD, FFTW_ESTIMATE);
      e->lead_b[k] = fftwf_plan_guru_dft(d - 1, dims, 2, hm, (fftwf_complex *)e->U, (fftwf_complex *)e->U, FFTW_BACKWARD, FFTW_ESTIMATE);
      *ok = (PetscBool)(*ok && e->lead_f[k] && e->lead_b[k]);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode entry_create(const NeopSpectralShape *s, Entry **out)
{
  Entry    *e;
  PetscBool ok = PETSC_TRUE, fft = (PetscBool)(s->method == NEOP_SPECTRAL_FFT);
  int       d = s->dim, Cmax, n = s->S[s->dim - 1];
  int64_t   NC;

  PetscFunctionBegin;
  e = (Entry *)calloc(1, sizeof(Entry));
  PetscCheck(e, PETSC_COMM_SELF, PETSC_ERR_MEM, "spectral conv: out of memory");
  e->s     = *s;
  e->d     = d;
  e->H     = n / 2 + 1;
  e->ml    = s->modes[d - 1];
  e->lead  = 1;
  e->klead = 1;
  for (int i = 0; i < d - 1; i++) {
    e->lead *= s->S[i];
    e->klead *= 2 * s->modes[i];
  }
  e->P  = e->lead * n;
  e->Mc = 1;
  for (int i = 0; i < d; i++) e->Mc *= s->modes[i];
  e->K    = e->Mc * NeopSpectralCorners(d);
  e->C[0] = s->cin;
  e->C[1] = s->cout;
  Cmax    = PetscMax(s->cin, s->cout);
  NC      = (int64_t)s->N * Cmax;

  e->Wt   = falloc(s->diag ? 1 : e->K * s->cin * s->cout * 2, &ok); /* depthwise mixing reads w directly */
  e->dWt  = falloc(s->diag ? 1 : e->K * s->cin * s->cout * 2, &ok);
  e->G    = falloc(e->K * NC * 2, &ok);
  e->Gx   = falloc(e->K * s->N * s->cin * 2, &ok);
  e->lidx = (int64_t *)malloc(sizeof(int64_t) * (size_t)e->K);
  e->jl   = (int *)malloc(sizeof(int) * (size_t)e->K);
  if (fft) {
    e->R = falloc(NC * e->P, &ok);
    e->Z = falloc(NC * e->lead * e->H * 2, &ok);
    e->U = falloc(NC * e->lead * e->ml * 2, &ok);
  } else {
    e->T[0] = falloc(NC * e->lead * e->ml * 2, &ok);
    e->T[1] = falloc(NC * e->lead * e->ml * 2, &ok);
    e->Fr   = falloc((int64_t)n * 2 * e->ml, &ok);
    e->Gr   = falloc((int64_t)n * 2 * e->ml, &ok);
    for (int i = 0; i < d - 1; i++) {
      e->Fl[i]     = falloc((int64_t)2 * s->modes[i] * s->S[i] * 2, &ok);
      e->Fl_inv[i] = falloc((int64_t)2 * s->modes[i] * s->S[i] * 2, &ok);
    }
  }
  if (!ok || !e->lidx || !e->jl) {
    entry_destroy(e);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_MEM, "spectral conv: out of memory for the scratch of %lld x %lld points", (long long)NC,
            (long long)e->P);
  }
  /* kept mode q = c Mc + (j_0, ..., j_{d-1}) flattened row-major; corner bit i: negative frequencies in dim i */
  for (int64_t q = 0; q < e->K; q++) {
    int64_t c = q / e->Mc, j = q % e->Mc, li = 0, jd[3];
    for (int i = d - 1; i >= 0; i--) {
      jd[i] = j % s->modes[i];
      j /= s->modes[i];
    }
    for (int i = 0; i < d - 1; i++) {
      int neg = (int)((c >> i) & 1), m = s->modes[i];
      if (fft) li = li * s->S[i] + (neg ? s->S[i] - m + jd[i] : jd[i]);
      else li = li * 2 * m + (neg ? m + jd[i] : jd[i]);
    }
    e->lidx[q] = li;
    e->jl[q]   = (int)jd[d - 1];
  }
  if (fft) PetscCall(plan_fft(e, &ok));
  else fill_dft_matrices(e);
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

/* ---- mode gather / scatter and mixing, shared by both methods ---- */

/* where mode q of channel row bc sits in the kept-column buffer (complex units) */
static inline int64_t mode_offset(const Entry *e, int64_t q, int64_t bc, int64_t NC)
{
  if (e->s.method == NEOP_SPECTRAL_FFT) return (bc * e->lead + e->lidx[q]) * e->ml + e->jl[q];
  return (e->lidx[q] * NC + bc) * e->ml + e->jl[q];
}

/* M (K, N, C) <- B at the kept modes, times f */
static void gather_modes(const Entry *e, const float *B, int C, float f, float *M)
{
  int64_t NC = (int64_t)e->s.N * C;
#pragma omp parallel for if (e->K * NC > 65536)
  for (int64_t q = 0; q < e->K; q++)
    for (int64_t bc = 0; bc < NC; bc++) {
      int64_t o                = mode_offset(e, q, bc, NC);
      M[(q * NC + bc) * 2]     = f * B[2 * o];
      M[(q * NC + bc) * 2 + 1] = f * B[2 * o + 1];
    }
}

/* B <- M (K, N, C) at the kept modes; the FFT layout also holds unkept rows: zeroed */
static void scatter_modes(const Entry *e, const float *M, int C, float *B)
{
  int64_t NC = (int64_t)e->s.N * C;
  if (e->s.method == NEOP_SPECTRAL_FFT) memset(B, 0, sizeof(float) * 2 * (size_t)(NC * e->lead * e->ml));
#pragma omp parallel for if (e->K * NC > 65536)
  for (int64_t q = 0; q < e->K; q++)
    for (int64_t bc = 0; bc < NC; bc++) {
      int64_t o    = mode_offset(e, q, bc, NC);
      B[2 * o]     = M[(q * NC + bc) * 2];
      B[2 * o + 1] = M[(q * NC + bc) * 2 + 1];
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

/* depthwise (diag): G[q][b][i] = xk[q][b][i] w[c][i][j] / P, q = c Mc + j */
static void mix_forward_diag(const Entry *e, const float *const *w, const float *xk)
{
  int64_t N = e->s.N, C = e->s.cin, Mc = e->Mc;
  float   s = 1.f / (float)e->P;
#pragma omp parallel for if (e->K * N * C > 65536)
  for (int64_t q = 0; q < e->K; q++)
    for (int64_t b = 0; b < N; b++)
      for (int64_t i = 0; i < C; i++) {
        const float *x = xk + ((q * N + b) * C + i) * 2, *wq = w[q / Mc] + (i * Mc + q % Mc) * 2;
        float       *g = e->G + ((q * N + b) * C + i) * 2;
        g[0]           = s * (x[0] * wq[0] - x[1] * wq[1]);
        g[1]           = s * (x[0] * wq[1] + x[1] * wq[0]);
      }
}

/* depthwise: dw[c][i][j] += sum_b conj(xk) G; Gx = G conj(w) (if want_x) */
static void mix_backward_diag(const Entry *e, const float *const *w, const float *xk, float *const *dw, PetscBool want_x)
{
  int64_t N = e->s.N, C = e->s.cin, Mc = e->Mc;
#pragma omp parallel for if (e->K * N * C > 65536)
  for (int64_t q = 0; q < e->K; q++)
    for (int64_t i = 0; i < C; i++) {
      const float *wq = w[q / Mc] + (i * Mc + q % Mc) * 2;
      float        re = 0, im = 0;
      for (int64_t b = 0; b < N; b++) {
        const float *x = xk + ((q * N + b) * C + i) * 2, *g = e->G + ((q * N + b) * C + i) * 2;
        re += x[0] * g[0] + x[1] * g[1];
        im += x[0] * g[1] - x[1] * g[0];
        if (want_x) {
          float *gx = e->Gx + ((q * N + b) * C + i) * 2;
          gx[0]     = g[0] * wq[0] + g[1] * wq[1];
          gx[1]     = g[1] * wq[0] - g[0] * wq[1];
        }
      }
      if (dw) {
        float *d = dw[q / Mc] + (i * Mc + q % Mc) * 2;
        d[0] += re;
        d[1] += im;
      }
    }
}
/* threads for the K small products of the mode mixing: OpenBLAS would run each on one thread anyway */
static int mix_threads(const Entry *e) { return e->K >= 2 * omp_get_max_threads() ? omp_get_max_threads() : 1; }

/* G[q] (N, cout) = xk[q] (N, cin) Wt[q] (cin, cout) / P */
static void mix_forward(const Entry *e, const float *const *w, const float *xk)
{
  int         N = e->s.N, cin = e->s.cin, cout = e->s.cout;
  const float alpha[2] = {1.f / (float)e->P, 0}, zero[2] = {0, 0};
  int         nt, ob;
  if (e->s.diag) {
    mix_forward_diag(e, w, xk);
    return;
  }
  transpose_weights(e, w);
  nt = mix_threads(e);
  ob = neop_cpu_blas_single(nt);
#pragma omp parallel for schedule(dynamic, 8) num_threads(nt) if (nt > 1)
  for (int64_t q = 0; q < e->K; q++)
    cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, cout, cin, alpha, xk + q * N * cin * 2, cin,
                e->Wt + q * cin * cout * 2, cout, zero, e->G + q * N * cout * 2, cout);
  neop_cpu_blas_restore(nt, ob);
}

/* from G = d loss / d (mixed modes): dw[c] += xk^H G per mode; Gx = G Wt^H (if want_x) */
static void mix_backward(const Entry *e, const float *const *w, const float *xk, float *const *dw, PetscBool want_x)
{
  int         N = e->s.N, cin = e->s.cin, cout = e->s.cout;
  int64_t     io = (int64_t)cin * cout;
  const float one[2] = {1, 0}, zero[2] = {0, 0};
  int         nt = mix_threads(e), ob;
  if (e->s.diag) {
    mix_backward_diag(e, w, xk, dw, want_x);
    return;
  }
  if (dw) {
    ob = neop_cpu_blas_single(nt);
#pragma omp parallel for schedule(dynamic, 8) num_threads(nt) if (nt > 1)
    for (int64_t q = 0; q < e->K; q++)
      cblas_cgemm(CblasRowMajor, CblasConjTrans, CblasNoTrans, cin, cout, N, one, xk + q * N * cin * 2, cin,
                  e->G + q * N * cout * 2, cout, zero, e->dWt + q * io * 2, cout);
    neop_cpu_blas_restore(nt, ob);
    for (int c = 0; c < NeopSpectralCorners(e->d); c++)
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
  if (want_x) {
    transpose_weights(e, w);
    ob = neop_cpu_blas_single(nt);
#pragma omp parallel for schedule(dynamic, 8) num_threads(nt) if (nt > 1)
    for (int64_t q = 0; q < e->K; q++)
      cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasConjTrans, N, cin, cout, one, e->G + q * N * cout * 2, cout,
                  e->Wt + q * io * 2, cout, zero, e->Gx + q * N * cin * 2, cin);
    neop_cpu_blas_restore(nt, ob);
  }
}

/* ---- FFT method ---- */

/* U (rows, ml) <- Z (rows, H) first ml bins, bin k times f[k] (or 1) */
static void take_columns(const Entry *e, int64_t rows, const float *f)
{
  int ml = e->ml, H = e->H;
#pragma omp parallel for if (rows > 256)
  for (int64_t r = 0; r < rows; r++) {
    const float *z = e->Z + r * H * 2;
    float       *u = e->U + r * ml * 2;
    for (int k = 0; k < ml; k++) {
      float g      = f ? f[k] : 1.f;
      u[2 * k]     = g * z[2 * k];
      u[2 * k + 1] = g * z[2 * k + 1];
    }
  }
}

/* Z (rows, H) <- U (rows, ml), bin k times f[k] (or 1), zeros beyond ml */
static void put_columns(const Entry *e, int64_t rows, const float *f)
{
  int ml = e->ml, H = e->H;
#pragma omp parallel for if (rows > 256)
  for (int64_t r = 0; r < rows; r++) {
    float       *z = e->Z + r * H * 2;
    const float *u = e->U + r * ml * 2;
    for (int k = 0; k < ml; k++) {
      float g      = f ? f[k] : 1.f;
      z[2 * k]     = g * u[2 * k];
      z[2 * k + 1] = g * u[2 * k + 1];
    }
    memset(z + 2 * ml, 0, sizeof(float) * 2 * (size_t)(H - ml));
  }
}

/* weights of the real transforms' adjoints: 'interior' on 0 < k < S/2, 1 on DC and Nyquist */
static void bin_factors(const Entry *e, float interior, float *f)
{
  int n = e->s.S[e->d - 1];
  for (int k = 0; k < e->ml; k++) f[k] = (k == 0 || 2 * k == n) ? 1.f : interior;
}

static PetscBool same_alignment(const float *a, const float *b) { return (PetscBool)(fftwf_alignment_of((float *)a) == fftwf_alignment_of((float *)b)); }

/* real lines of 'C' channels (k = 0 input, 1 output) -> kept columns U, bin k times f[k] */
static void fft_in(Entry *e, int k, const float *x, const float *f)
{
  int64_t rows = (int64_t)e->s.N * e->C[k] * e->lead, n = e->s.S[e->d - 1];
  if (!same_alignment(x, e->R)) {
    memcpy(e->R, x, sizeof(float) * (size_t)(rows * n));
    x = e->R;
  }
  fftwf_execute_dft_r2c(e->r2c[k], (float *)x, (fftwf_complex *)e->Z);
  take_columns(e, rows, f);
  if (e->d >= 2) fftwf_execute_dft(e->lead_f[k], (fftwf_complex *)e->U, (fftwf_complex *)e->U);
}

/* kept columns U -> real lines y (beta 0: y =, 1: y +=), bin k times f[k] */
static void fft_out(Entry *e, int k, float *y, float beta, const float *f)
{
  int64_t rows = (int64_t)e->s.N * e->C[k] * e->lead, n = e->s.S[e->d - 1], total = rows * n;
  float  *out  = (beta == 0 && same_alignment(y, e->R)) ? y : e->R;
  if (e->d >= 2) fftwf_execute_dft(e->lead_b[k], (fftwf_complex *)e->U, (fftwf_complex *)e->U);
  put_columns(e, rows, f);
  fftwf_execute_dft_c2r(e->c2r[k], (fftwf_complex *)e->Z, out);
  if (out == y) return;
  if (beta == 0) memcpy(y, out, sizeof(float) * (size_t)total);
  else {
#pragma omp parallel for simd if (total > 65536)
    for (int64_t i = 0; i < total; i++) y[i] += out[i];
  }
}

/* ---- DFT method ---- */

/* Large products split over the threads in pieces handed out one at a time, each on a
   single-threaded BLAS (a thread the machine preempts holds up the others less than in
   OpenBLAS's even split); the pieces do not change any element's sum: the same bits. */
#define PIECE_ROWS 2048 /* real lines per piece of the last-dim products */
#define PIECE_COLS 512  /* complex columns per piece of the leading-dim products */

/* C (M, N) = A (M, K) op(B) + beta C, row-major, split by rows */
static void sgemm_by_rows(PetscBool transB, int64_t M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C,
                          int ldc)
{
  int     nt = omp_get_max_threads(), ob;
  int64_t np = (M + PIECE_ROWS - 1) / PIECE_ROWS;
  if (nt == 1 || np < 2 * nt) {
    neop_cpu_sgemm(PETSC_FALSE, transB, (int)M, N, K, 1.f, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  ob = neop_cpu_blas_single(nt);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t p = 0; p < np; p++) {
    int64_t r0 = p * PIECE_ROWS;
    int     m  = (int)(M - r0 < PIECE_ROWS ? M - r0 : PIECE_ROWS);
    neop_cpu_sgemm(PETSC_FALSE, transB, m, N, K, 1.f, A + r0 * lda, lda, B, ldb, beta, C + r0 * ldc, ldc);
  }
  neop_cpu_blas_restore(nt, ob);
}

/* complex C (M, N) = A (M, K) B (K, N), row-major, split by columns */
static void cgemm_by_cols(int M, int64_t N, int K, const float *A, int lda, const float *B, int ldb, float *C, int ldc)
{
  const float one[2] = {1, 0}, zero[2] = {0, 0};
  int         nt = omp_get_max_threads(), ob;
  int64_t     np = (N + PIECE_COLS - 1) / PIECE_COLS;
  if (nt == 1 || np < 2 * nt) {
    cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, (int)N, K, one, A, lda, B, ldb, zero, C, ldc);
    return;
  }
  ob = neop_cpu_blas_single(nt);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t p = 0; p < np; p++) {
    int64_t c0 = p * PIECE_COLS;
    int     n  = (int)(N - c0 < PIECE_COLS ? N - c0 : PIECE_COLS);
    cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, n, K, one, A, lda, B + 2 * c0, ldb, zero, C + 2 * c0, ldc);
  }
  neop_cpu_blas_restore(nt, ob);
}

/* dst (b, a, w) <- src (a, b, w): blocks of w floats */
static void transpose_blocks(int64_t a, int64_t b, int w, const float *src, float *dst)
{
#pragma omp parallel for if (a * b * w > 65536)
  for (int64_t i = 0; i < a; i++)
    for (int64_t j = 0; j < b; j++) {
      const float *sb = src + (i * b + j) * w;
      float       *db = dst + (j * a + i) * w;
#pragma omp simd
      for (int k = 0; k < w; k++) db[k] = sb[k];
    }
}

/* the ping-pong buffer that is not 'T' */
static float *other_buffer(const Entry *e, const float *T) { return T == e->T[0] ? e->T[1] : e->T[0]; }

/* real lines (N C lead, n) -> T (lead, N C, ml): one sgemm with Fr (op 'trans': Gr^T) over all lines into the
   other buffer (N C, lead, ml), then its blocks transposed (a product per leading point, with the lines
   lead n floats apart, ran at 60 % of the one product's rate) */
static void dft_last_in(const Entry *e, int C, const float *x, PetscBool adjoint_of_out, float *T)
{
  int64_t NC = (int64_t)e->s.N * C, n = e->s.S[e->d - 1], ml = e->ml, rows = NC * e->lead;
  float  *W = e->lead > 1 ? other_buffer(e, T) : T; /* (N C, lead, ml, 2); the same layout as T in 1-D */
  if (adjoint_of_out) /* (rows, n) Gr^T (n, 2 ml) */
    sgemm_by_rows(PETSC_TRUE, rows, (int)(2 * ml), (int)n, x, (int)n, e->Gr, (int)n, 0.f, W, (int)(2 * ml));
  else /* (rows, n) Fr (n, 2 ml) */
    sgemm_by_rows(PETSC_FALSE, rows, (int)(2 * ml), (int)n, x, (int)n, e->Fr, (int)(2 * ml), 0.f, W, (int)(2 * ml));
  if (W != T) transpose_blocks(NC, e->lead, (int)(2 * ml), W, T);
}

/* T (lead, N C, ml) -> real lines y (N C, lead, n), y = beta y + T Gr (or T Fr^T for the adjoint of the input
   transform): T's blocks transposed into the other buffer, then one sgemm. T is overwritten. */
static void dft_last_out(const Entry *e, int C, float *T, PetscBool adjoint_of_in, float beta, float *y)
{
  int64_t NC = (int64_t)e->s.N * C, n = e->s.S[e->d - 1], ml = e->ml, rows = NC * e->lead;
  float  *W = e->lead > 1 ? other_buffer(e, T) : T; /* (N C, lead, ml, 2) */
  if (W != T) transpose_blocks(e->lead, NC, (int)(2 * ml), T, W);
  if (adjoint_of_in) /* (rows, 2 ml) Fr^T (2 ml, n) */
    sgemm_by_rows(PETSC_TRUE, rows, (int)n, (int)(2 * ml), W, (int)(2 * ml), e->Fr, (int)(2 * ml), beta, y, (int)n);
  else /* (rows, 2 ml) Gr (2 ml, n) */
    sgemm_by_rows(PETSC_FALSE, rows, (int)n, (int)(2 * ml), W, (int)(2 * ml), e->Gr, (int)n, beta, y, (int)n);
}

/* Leading dims, T[0] holds (S_0.., N C, ml): shrink every dim i to its 2 m_i kept frequencies with F_i.
   Returns the buffer holding the result (2 m_0.., N C, ml). */
static float *dft_lead_shrink(const Entry *e, int C)
{
  int         cur = 0;
  for (int i = e->d - 2; i >= 0; i--) {
    int64_t outer = 1, inner = (int64_t)e->s.N * C * e->ml, S = e->s.S[i], m2 = 2 * e->s.modes[i];
    for (int j = 0; j < i; j++) outer *= e->s.S[j];
    for (int j = i + 1; j < e->d - 1; j++) inner *= 2 * e->s.modes[j];
    for (int64_t o = 0; o < outer; o++) /* (2m, S) (S, inner) */
      cgemm_by_cols((int)m2, inner, (int)S, e->Fl[i], (int)S, e->T[cur] + o * S * inner * 2, (int)inner, e->T[1 - cur] + o * m2 * inner * 2,
                    (int)inner);
    cur = 1 - cur;
  }
  return e->T[cur];
}

/* The inverse: 'from' holds (2 m_0.., N C, ml); expand every dim with Finv_i. Returns the buffer with (S_0.., N C, ml). */
static float *dft_lead_expand(const Entry *e, int C, float *from)
{
  int         cur = from == e->T[0] ? 0 : 1;
  for (int i = 0; i < e->d - 1; i++) {
    int64_t outer = 1, inner = (int64_t)e->s.N * C * e->ml, S = e->s.S[i], m2 = 2 * e->s.modes[i];
    for (int j = 0; j < i; j++) outer *= e->s.S[j];
    for (int j = i + 1; j < e->d - 1; j++) inner *= 2 * e->s.modes[j];
    for (int64_t o = 0; o < outer; o++) /* (S, 2m) (2m, inner) */
      cgemm_by_cols((int)S, inner, (int)m2, e->Fl_inv[i], (int)m2, e->T[cur] + o * m2 * inner * 2, (int)inner, e->T[1 - cur] + o * S * inner * 2,
                    (int)inner);
    cur = 1 - cur;
  }
  return e->T[cur];
}

/* ---- the kernels ---- */

static PetscErrorCode spectral_forward(const NeopSpectralShape *s, const float *x, const float *const *w, float *xk, float *y)
{
  Entry *e;

  PetscFunctionBegin;
  PetscCall(entry_get(s, &e));
  if (s->method == NEOP_SPECTRAL_FFT) {
    fft_in(e, 0, x, NULL);
    gather_modes(e, e->U, s->cin, 1.f, xk);
    mix_forward(e, w, xk);
    scatter_modes(e, e->G, s->cout, e->U);
    fft_out(e, 1, y, 0.f, NULL);
  } else {
    float *B;
    dft_last_in(e, s->cin, x, PETSC_FALSE, e->T[0]);
    B = dft_lead_shrink(e, s->cin);
    gather_modes(e, B, s->cin, 1.f, xk);
    mix_forward(e, w, xk);
    scatter_modes(e, e->G, s->cout, e->T[0]);
    B = dft_lead_expand(e, s->cout, e->T[0]);
    dft_last_out(e, s->cout, B, PETSC_FALSE, 0.f, y);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode spectral_backward(const NeopSpectralShape *s, const float *dy, const float *const *w, const float *xk,
                                        float *dx, float *const *dw)
{
  Entry *e;
  float  f[2][512], *B;

  PetscFunctionBegin;
  PetscCall(entry_get(s, &e));
  if (s->method == NEOP_SPECTRAL_FFT) {
    PetscCheck(e->ml <= 512, PETSC_COMM_SELF, PETSC_ERR_SUP, "spectral conv: %d last-dim modes, at most 512", e->ml);
    bin_factors(e, 2.f, f[0]);
    bin_factors(e, 0.5f, f[1]);
    fft_in(e, 1, dy, f[0]); /* adjoint of the output transform */
    gather_modes(e, e->U, s->cout, 1.f / (float)e->P, e->G);
    mix_backward(e, w, xk, dw, (PetscBool)!!dx);
    if (dx) {
      scatter_modes(e, e->Gx, s->cin, e->U);
      fft_out(e, 0, dx, 1.f, f[1]); /* adjoint of the input transform */
    }
  } else {
    dft_last_in(e, s->cout, dy, PETSC_TRUE, e->T[0]);
    B = dft_lead_shrink(e, s->cout);
    gather_modes(e, B, s->cout, 1.f / (float)e->P, e->G);
    mix_backward(e, w, xk, dw, (PetscBool)!!dx);
    if (dx) {
      scatter_modes(e, e->Gx, s->cin, e->T[0]);
      B = dft_lead_expand(e, s->cin, e->T[0]);
      dft_last_out(e, s->cin, B, PETSC_TRUE, 1.f, dx);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

const NeopSpectralKernels neop_cpu_spectral = {
  .forward  = spectral_forward,
  .backward = spectral_backward,
  .cleanup  = spectral_cleanup,
};
