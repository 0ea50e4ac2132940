/* Convolutions of any stride as implicit GEMM: no im2col.

   Stride 1. The padded image of all samples is seen as one tall image of
   n * hp rows of width wp (hp = h + 2 ph, wp = w + 2 pw), flattened: element
   m = R wp + q. With the output kept in the same padded-width layout, tap
   (i, j) of the kernel is one product

     Yw[:, m] += W_ij (cy, cx) Xp[:, m + i wp + j]

   over a contiguous range of m, so each tap is one sgemm with K = cx on a
   shifted view of the padded image.

   Stride (sh, sw): the padded image is split into sh sw phase planes
   Xq[a][b][R][Q] = Xp[R sh + a][Q sw + b] of Hq = ceil(hp / sh) rows and
   Wq = ceil(wp / sw) columns. Tap (i, j) reads only plane (i mod sh, j mod sw),
   shifted by (i / sh, j / sw): Y[R, Q] += W_ij Xq[..][R + i / sh][Q + j / sw],
   again one sgemm per tap on a shifted view, now of a phase plane, with the
   output in the Wq-wide layout (stride 1 is the case of one plane). The
   adjoint (the input gradient of a strided conv, the forward of a transposed
   one) is, per phase plane of X, the sum over that plane's taps of W_ij^T dY
   shifted back by (i / sh, j / sw): a 4x4 stride-2 transposed conv is four
   2x2 stride-1 convs on the coarse grid, one per phase of the fine grid (the
   sub-pixel decomposition), with no zero-inserted image.

   Positions with Q >= wo, or with a row at or below a sample's ho, are
   garbage (computed and dropped; Wq - wo >= (kw - 1) / sw, so a shifted read
   never reaches into the next valid row). The work runs over tiles of whole
   rows: the tile's window (all phase planes, cx channels) is copied once
   from x (padding of any mode fused into that copy) and stays in L2 while the
   kh kw products run over it; the result is then added to y without the
   garbage. Small grids put several samples into one sgemm (the tall image
   crosses sample boundaries). */
#include "backend/cpu/conv_cpu.h"
#include <omp.h>
#include <string.h>

/* Columns (flat positions of one plane) per tile: window and result of 24
   channels at stride 1 ~ 0.8 MB; strided convs divide it among the planes. */
#define TILE_COLS 4096

typedef struct {
  int hp, wp;   /* padded X extents */
  int planes;   /* sh sw */
  int Hq, Wq;   /* extents of one phase plane */
  int ei, ej;   /* largest tap shift inside a plane: (kh - 1) / sh, (kw - 1) / sw */
  int rows;     /* rows of the tall image of planes, n Hq */
  int tr;       /* rows per tile */
  int ntiles;   /* ceil(rows / tr) */
  int nt;       /* threads that take whole tiles (1: the kernels split each tile instead) */
  int taps, cmax;
} IG;

/* Multiply-adds of one conv above which threads take whole tiles: one
   parallel region per call instead of several per tile. */
#define TILE_PARALLEL_FMAS (1 << 22)

static IG ig_geom(const NeopConvGeom *g)
{
  IG  s;
  int cols;
  s.hp     = g->h + 2 * g->ph;
  s.wp     = g->w + 2 * g->pw;
  s.planes = g->sh * g->sw;
  s.Hq     = (s.hp + g->sh - 1) / g->sh;
  s.Wq     = (s.wp + g->sw - 1) / g->sw;
  s.ei     = (g->kh - 1) / g->sh;
  s.ej     = (g->kw - 1) / g->sw;
  s.rows   = g->n * s.Hq;
  s.taps   = g->kh * g->kw;
  s.cmax   = g->cx > g->cy ? g->cx : g->cy;
  cols     = TILE_COLS / s.planes < 1024 ? 1024 : TILE_COLS / s.planes;
  s.tr     = cols / s.Wq < 1 ? 1 : cols / s.Wq;
  s.nt     = omp_get_max_threads();
  if ((int64_t)s.taps * g->cx * g->cy * s.rows * s.Wq < TILE_PARALLEL_FMAS) s.nt = 1;
  if (s.nt > 1) {
    /* at least two tiles per thread, of at least 256 positions */
    int tr = (s.rows + 2 * s.nt - 1) / (2 * s.nt), tmin = (256 + s.Wq - 1) / s.Wq;
    tr     = tr < tmin ? tmin : tr;
    if (tr < s.tr) s.tr = tr;
  }
  if (s.tr > s.rows) s.tr = s.rows;
  s.ntiles = (s.rows + s.tr - 1) / s.tr;
  if (s.nt > s.ntiles) s.nt = s.ntiles;
  return s;
}

/* floats of one channel of one plane in a window: tr + ei rows of Wq, plus ej of slack */
static size_t window_ld(const IG *s) { return (size_t)(s->tr + s->ei) * s->Wq + s->ej; }

/* floats of one thread's part of the workspace: dW accumulator (taps, cy, cx), window
   (planes, cmax, ld), tile result (planes, cmax, tr Wq) */
static size_t thread_ws(const NeopConvGeom *g, const IG *s)
{
  return ((size_t)s->taps * g->cy * g->cx + (size_t)s->planes * s->cmax * (window_ld(s) + (size_t)s->tr * s->Wq) + 15) / 16 * 16;
}

size_t neop_cpu_conv_ig_workspace(const NeopConvGeom *g)
{
  IG s = ig_geom(g);
  /* Wt (taps, cy, cx), then one part per thread */
  return (size_t)s.taps * g->cy * g->cx + (size_t)s.nt * thread_ws(g, &s) + 64;
}

/* One thread's buffers: the accumulator, window and tile result of thread id. */
static void thread_bufs(const NeopConvGeom *g, const IG *s, float *work, int id, float **acc, float **win, float **ct)
{
  *acc = work + (size_t)s->taps * g->cy * g->cx + (size_t)id * thread_ws(g, s);
  *win = *acc + (size_t)s->taps * g->cy * g->cx;
  *ct  = *win + (size_t)s->planes * s->cmax * window_ld(s);
}

/* Wt[k] (cy, cx) = W[:, :, i, j] for tap t = order[k] = i kw + j (order NULL: t = k), or its
   transpose (cx, cy); W (cy, cx, kh, kw) */
static void split_taps(const NeopConvGeom *g, const float *w, const int *order, PetscBool transpose, float *wt)
{
  const int taps = g->kh * g->kw;
  for (int k = 0; k < taps; k++) {
    int t = order ? order[k] : k;
    for (int co = 0; co < g->cy; co++)
      for (int ci = 0; ci < g->cx; ci++)
        wt[(size_t)k * g->cy * g->cx + (transpose ? (size_t)ci * g->cy + co : (size_t)co * g->cx + ci)] =
          w[((size_t)co * g->cx + ci) * taps + t];
  }
}

/* The stride-2 column (de)interleaving of the windows, compiled for AVX-512 and
   AVX2 too (permutes; the generic build is scalar for these), picked at load time. */
#define NEOP_CONV_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

/* e[k] = s[2 k], o[k] = s[2 k + 1], k < n */
NEOP_CONV_CLONES static void deinterleave2(int n, const float *s, float *e, float *o)
{
  for (int k = 0; k < n; k++) {
    e[k] = s[2 * k];
    o[k] = s[2 * k + 1];
  }
}

/* d[k] = z[k] + e[k], k < n (z may be d) */
NEOP_CONV_CLONES static void add_row(int n, const float *z, const float *e, float *d)
{
  for (int k = 0; k < n; k++) d[k] = z[k] + e[k];
}

/* d[2 k] = z[2 k] + e[k], d[2 k + 1] = z[2 k + 1] + o[k], k < n (z may be d) */
NEOP_CONV_CLONES static void interleave_add2(int n, const float *e, const float *o, const float *z, float *d)
{
  for (int k = 0; k < n; k++) {
    d[2 * k]     = z[2 * k] + e[k];
    d[2 * k + 1] = z[2 * k + 1] + o[k];
  }
}

/* d[2 k] = e[k], d[2 k + 1] = o[k], k < n */
NEOP_CONV_CLONES static void interleave2(int n, const float *e, const float *o, float *d)
{
  for (int k = 0; k < n; k++) {
    d[2 * k]     = e[k];
    d[2 * k + 1] = o[k];
  }
}

/* Columns Q of plane column phase b whose padded column Q sw + b is inside the image: [*q0, *q1) */
static void interior_cols(const NeopConvGeom *g, const IG *s, int b, int *q0, int *q1)
{
  *q0 = g->pw > b ? (g->pw - b + g->sw - 1) / g->sw : 0;
  *q1 = (g->w + g->pw - b + g->sw - 1) / g->sw; /* first Q with Q sw + b - pw >= w */
  if (*q1 > s->Wq) *q1 = s->Wq;
  if (*q1 < *q0) *q1 = *q0;
}

/* Source row of X (or -1: a zero row) of row R of the tall image of planes of row phase a. */
static inline int source_row(const NeopConvGeom *g, const IG *s, int R, int a)
{
  int pr = (R % s->Hq) * g->sh + a;
  return pr < s->hp ? neop_cpu_pad_source(g->mode, pr - g->ph, g->h) : -1;
}

/* Column stride 2: both column phases b of a source row come from one pass
   over it (a deinterleave into the two planes), and a channel's rows are
   read in order (row phases a inside), so each source row is read once,
   sequentially. Same result as the general loop of x_window. */
static void x_window_s2(const NeopConvGeom *g, const IG *s, const float *x, int R0, int R1, float *win, size_t ld)
{
  const int64_t plane = (int64_t)g->h * g->w;
  const size_t  pstride = (size_t)g->cx * ld; /* between phase planes */
  int           q0[2], q1[2], t[2], bE = g->pw % 2;

  /* plane b holds source column 2 Q + b - pw: the even source columns (e[k] = src[2 k]) for b = bE,
     the odd ones (o[k] = src[2 k + 1]) for the other; entry k lands at Q = k - t[b] */
  for (int b = 0; b < 2; b++) {
    interior_cols(g, s, b, &q0[b], &q1[b]);
    int e = b - g->pw;
    t[b]  = e >= 0 ? e / 2 : -((1 - e) / 2); /* floor(e / 2) */
  }
#pragma omp parallel for if ((int64_t)s->planes * g->cx * (R1 - R0) * s->Wq > 65536)
  for (int c = 0; c < g->cx; c++)
    for (int R = R0; R < R1; R++)
      for (int a = 0; a < g->sh; a++) {
        float *d[2];
        int    si = source_row(g, s, R, a);
        for (int b = 0; b < 2; b++) d[b] = win + (size_t)(a * 2 + b) * pstride + (size_t)c * ld + (size_t)(R - R0) * s->Wq;
        if (si < 0) {
          memset(d[0], 0, sizeof(float) * (size_t)s->Wq);
          memset(d[1], 0, sizeof(float) * (size_t)s->Wq);
          continue;
        }
        const float *src = x + ((int64_t)(R / s->Hq) * g->cx + c) * plane + (int64_t)si * g->w;
        deinterleave2(g->w / 2, src, d[bE] - t[bE], d[1 - bE] - t[1 - bE]);
        if (g->w % 2) d[bE][g->w / 2 - t[bE]] = src[g->w - 1];
        /* halo columns through the padding */
        for (int b = 0; b < 2; b++)
          for (int Q = 0; Q < s->Wq; Q++) {
            if (Q == q0[b] && (Q = q1[b]) >= s->Wq) break;
            int pcol = Q * 2 + b, sq = pcol < s->wp ? neop_cpu_pad_source(g->mode, pcol - g->pw, g->w) : -1;
            d[b][Q]  = sq < 0 ? 0.f : src[sq];
          }
      }
  for (int p = 0; p < s->planes; p++)
    for (int c = 0; c < g->cx; c++) {
      float *wc = win + (size_t)p * pstride + (size_t)c * ld;
      memset(wc + (size_t)(R1 - R0) * s->Wq, 0, sizeof(float) * (ld - (size_t)(R1 - R0) * s->Wq));
    }
}

/* win (planes, cx, ld): rows [R0, R1) of the tall image of each phase plane of x, then zeros. */
static void x_window(const NeopConvGeom *g, const IG *s, const float *x, int R0, int R1, float *win, size_t ld)
{
  const int64_t plane = (int64_t)g->h * g->w;

  if (g->sw == 2) {
    x_window_s2(g, s, x, R0, R1, win, ld);
    return;
  }
#pragma omp parallel for if ((int64_t)s->planes * g->cx * (R1 - R0) * s->Wq > 65536)
  for (int pc = 0; pc < s->planes * g->cx; pc++) {
    int    p = pc / g->cx, c = pc % g->cx, a = p / g->sw, b = p % g->sw, q0, q1;
    float *wc = win + (size_t)pc * ld;
    interior_cols(g, s, b, &q0, &q1);
    for (int R = R0; R < R1; R++) {
      float *d  = wc + (size_t)(R - R0) * s->Wq;
      int    si = source_row(g, s, R, a);
      if (si < 0) {
        memset(d, 0, sizeof(float) * (size_t)s->Wq);
        continue;
      }
      const float *src = x + ((int64_t)(R / s->Hq) * g->cx + c) * plane + (int64_t)si * g->w + b - g->pw;
      for (int Q = 0; Q < s->Wq; Q++) {
        if (Q == q0) {
          if (g->sw == 1) memcpy(d + q0, src + q0, sizeof(float) * (size_t)(q1 - q0));
          else
            for (int k = q0; k < q1; k++) d[k] = src[k * g->sw];
          if ((Q = q1) >= s->Wq) break;
        }
        int pcol = Q * g->sw + b, sq = pcol < s->wp ? neop_cpu_pad_source(g->mode, pcol - g->pw, g->w) : -1;
        d[Q]     = sq < 0 ? 0.f : src[sq - b + g->pw];
      }
    }
    memset(wc + (size_t)(R1 - R0) * s->Wq, 0, sizeof(float) * (ld - (size_t)(R1 - R0) * s->Wq));
  }
}

/* win (cy, ld): lead zeros, then rows [R0, R1) of dY in the tall Wq-wide
   layout (zeros at garbage positions and at rows R < 0), then zeros. */
static void y_window(const NeopConvGeom *g, const IG *s, const float *y, int R0, int R1, int lead, float *win, size_t ld)
{
  const int64_t plane = (int64_t)g->ho * g->wo;

#pragma omp parallel for if ((int64_t)g->cy * (R1 - R0) * s->Wq > 65536)
  for (int c = 0; c < g->cy; c++) {
    float *wc = win + (size_t)c * ld;
    memset(wc, 0, sizeof(float) * (size_t)lead);
    for (int R = R0; R < R1; R++) {
      float *d = wc + lead + (size_t)(R - R0) * s->Wq;
      int    r = R < 0 ? -1 : R % s->Hq;
      if (r < 0 || r >= g->ho) {
        memset(d, 0, sizeof(float) * (size_t)s->Wq);
        continue;
      }
      memcpy(d, y + ((int64_t)(R / s->Hq) * g->cy + c) * plane + (int64_t)r * g->wo, sizeof(float) * (size_t)g->wo);
      memset(d + g->wo, 0, sizeof(float) * (size_t)(s->Wq - g->wo));
    }
    memset(wc + lead + (size_t)(R1 - R0) * s->Wq, 0, sizeof(float) * (ld - lead - (size_t)(R1 - R0) * s->Wq));
  }
}

/* off[t]: where tap t reads in a window of the x side (plane, then the shift inside it) */
static void x_offsets(const NeopConvGeom *g, const IG *s, size_t ld, size_t *off)
{
  for (int i = 0; i < g->kh; i++)
    for (int j = 0; j < g->kw; j++)
      off[i * g->kw + j] = ((size_t)(i % g->sh) * g->sw + j % g->sw) * g->cx * ld + (size_t)(i / g->sh) * s->Wq + j / g->sw;
}

/* Last row + 1 of the tall image that can hold a valid output. */
static int out_rows(const IG *s) { return s->rows - s->ei; }

void neop_cpu_conv_ig(const NeopConvGeom *g, float alpha, const float *x, const float *w, const float *z, float *y, float *work)
{
  const IG      s  = ig_geom(g);
  const size_t  ld = window_ld(&s);
  const int64_t plane = (int64_t)g->ho * g->wo;
  const int     last  = out_rows(&s);
  size_t        off[NEOP_IG_MAX_TAPS];

  split_taps(g, w, NULL, PETSC_TRUE, work);
  x_offsets(g, &s, ld, off);
  /* tiles write disjoint rows of y; every valid output is written once, as z + the tile's result */
#pragma omp parallel num_threads(s.nt) if (s.nt > 1)
  {
    float *acc, *win, *ct;
    thread_bufs(g, &s, work, omp_get_thread_num(), &acc, &win, &ct);
#pragma omp for schedule(dynamic)
    for (int it = 0; it < s.ntiles; it++) {
      int R0 = it * s.tr;
      if (R0 >= last) continue;
      int R1 = R0 + s.tr < last ? R0 + s.tr : last, N = (R1 - R0) * s.Wq;
      x_window(g, &s, x, R0, R1 + s.ei, win, ld);
      /* ct (cy, N) = alpha sum_t Wt[t]^T (cy, cx) win[plane_t, :, shift_t ...] (cx, N) */
      neop_cpu_conv_taps(s.taps, off, g->cy, g->cx, N, alpha, work, win, ld, ct);
#pragma omp parallel for if (s.nt == 1 && (int64_t)g->cy * N > 65536)
      for (int c = 0; c < g->cy; c++)
        for (int R = R0; R < R1; R++) {
          int r = R % s.Hq;
          if (r >= g->ho) continue;
          const float  *src = ct + (size_t)c * N + (size_t)(R - R0) * s.Wq;
          const int64_t o   = ((int64_t)(R / s.Hq) * g->cy + c) * plane + (int64_t)r * g->wo;
          float        *d   = y + o;
          if (z) add_row(g->wo, z + o, src, d);
          else memcpy(d, src, sizeof(float) * (size_t)g->wo);
        }
    }
  }
}

/* d (a row of one channel plane of x) = zr + the rows of phase row a of the
   tile result cp (planes, N) of one channel, through the padding's adjoint.
   zr is a row of z or NULL (zeros) where every entry of d is written exactly
   once (zero padding, or none); otherwise zr is d itself (accumulate). */
static void fold_row(const NeopConvGeom *g, const IG *s, int a, const float *cp, size_t pstride, const float *zr, float *d)
{
  int qa = 0, qb = 0; /* stride 2: columns of both phases folded together, interleaved */

  if (g->sw == 2) {
    int q0, q1, r0, r1;
    interior_cols(g, s, 0, &q0, &q1);
    interior_cols(g, s, 1, &r0, &r1);
    qa = q0 > r0 ? q0 : r0;
    qb = q1 < r1 ? q1 : r1;
    if (qb > qa) {
      const float *e = cp + (size_t)(a * 2) * pstride + qa, *o = cp + (size_t)(a * 2 + 1) * pstride + qa;
      if (zr) interleave_add2(qb - qa, e, o, zr + 2 * qa - g->pw, d + 2 * qa - g->pw);
      else interleave2(qb - qa, e, o, d + 2 * qa - g->pw);
    } else qb = qa;
  }
  for (int b = 0; b < g->sw; b++) {
    const float *src = cp + (size_t)(a * g->sw + b) * pstride;
    int          q0, q1;
    interior_cols(g, s, b, &q0, &q1);
    float       *di = d + b - g->pw;
    const float *zi = zr ? zr + b - g->pw : NULL;
    if (g->sw == 1) {
      if (zi) add_row(q1 - q0, zi + q0, src + q0, di + q0);
      else memcpy(di + q0, src + q0, sizeof(float) * (size_t)(q1 - q0));
    } else
      /* the interior columns outside the interleaved range [qa, qb) */
      for (int Q = q0; Q < q1; Q++) {
        if (Q == qa && (Q = qb) >= q1) break;
        di[Q * g->sw] = (zi ? zi[Q * g->sw] : 0.f) + src[Q];
      }
    /* halo columns: wrapped or mirrored onto interior entries (zr is d then), dropped for zero padding */
    for (int Q = 0; Q < s->Wq; Q++) {
      if (Q == q0 && (Q = q1) >= s->Wq) break;
      int pcol = Q * g->sw + b, sq = pcol < s->wp ? neop_cpu_pad_source(g->mode, pcol - g->pw, g->w) : -1;
      if (sq >= 0) d[sq] += src[Q];
    }
  }
}

void neop_cpu_conv_ig_adjoint(const NeopConvGeom *g, float alpha, const float *y, const float *w, const float *z, float *x, float *work)
{
  IG            s  = ig_geom(g);
  const size_t  ld = window_ld(&s);
  const int64_t plane = (int64_t)g->h * g->w;
  size_t        off[NEOP_IG_MAX_TAPS];
  int           list[NEOP_IG_MAX_TAPS], start[NEOP_IG_MAX_TAPS + 1] = {0}, k = 0;

  /* the taps of each phase plane p of X in slots [start[p], start[p + 1]), slot k holding tap list[k]:
     dY at (R - i / sh, Q - j / sw) is win[m + (ei - i / sh) Wq + ej - j / sw] */
  for (int p = 0; p < s.planes; p++) {
    for (int i = p / g->sw; i < g->kh; i += g->sh)
      for (int j = p % g->sw; j < g->kw; j += g->sw) {
        off[k]    = (size_t)(s.ei - i / g->sh) * s.Wq + s.ej - j / g->sw;
        list[k++] = i * g->kw + j;
      }
    start[p + 1] = k;
  }
  split_taps(g, w, list, PETSC_FALSE, work);
  /* zero padding (or none): every entry of x is written once, as z + its fold; otherwise halos add
     onto interior entries: x starts as z and the folds accumulate */
  const PetscBool once = g->mode == NEOP_PAD_ZERO || (!g->ph && !g->pw);
  if (!once && z != x) {
    if (z) memcpy(x, z, sizeof(float) * (size_t)g->n * g->cx * plane);
    else memset(x, 0, sizeof(float) * (size_t)g->n * g->cx * plane);
  }
  if (!once) z = x;
  /* tiles fold into disjoint rows of x, unless wrapped or mirrored halo rows reach into other tiles */
  if (g->mode != NEOP_PAD_ZERO && g->ph) s.nt = 1;
  /* every row of the tall image of planes, halos included (folded back by the padding's adjoint) */
#pragma omp parallel num_threads(s.nt) if (s.nt > 1)
  {
    float *acc, *win, *ct;
    thread_bufs(g, &s, work, omp_get_thread_num(), &acc, &win, &ct);
#pragma omp for schedule(dynamic)
    for (int it = 0; it < s.ntiles; it++) {
      int R0 = it * s.tr, R1 = R0 + s.tr < s.rows ? R0 + s.tr : s.rows, N = (R1 - R0) * s.Wq;
      y_window(g, &s, y, R0 - s.ei, R1, s.ej, win, ld);
      /* ct[p] (cx, N) = alpha sum over the slots k of plane p of Wt[k]^T (cx, cy) win[:, off_k ...] (cy, N) */
      for (int p = 0; p < s.planes; p++)
        if (start[p + 1] > start[p])
          neop_cpu_conv_taps(start[p + 1] - start[p], off + start[p], g->cx, g->cy, N, alpha, work + (size_t)start[p] * g->cy * g->cx,
                             win, ld, ct + (size_t)p * g->cx * N);
        else memset(ct + (size_t)p * g->cx * N, 0, sizeof(float) * (size_t)g->cx * N);
#pragma omp parallel for if (s.nt == 1 && (int64_t)g->cx * N * s.planes > 65536)
      for (int c = 0; c < g->cx; c++)
        for (int R = R0; R < R1; R++)
          for (int a = 0; a < g->sh; a++) {
            int si = source_row(g, &s, R, a);
            if (si < 0) continue;
            const int64_t o = ((int64_t)(R / s.Hq) * g->cx + c) * plane + (int64_t)si * g->w;
            fold_row(g, &s, a, ct + (size_t)c * N + (size_t)(R - R0) * s.Wq, (size_t)g->cx * N, z ? z + o : NULL, x + o);
          }
    }
  }
}

/* yt (N, cy), N = (R1 - R0) Wq: rows [R0, R1) of dY in the tall Wq-wide layout, transposed (position-major),
   zeros at garbage positions */
static void y_window_t(const NeopConvGeom *g, const IG *s, const float *y, int R0, int R1, float *yt)
{
  const int64_t plane = (int64_t)g->ho * g->wo;

#pragma omp parallel for if ((int64_t)g->cy * (R1 - R0) * s->Wq > 65536)
  for (int R = R0; R < R1; R++) {
    float *d = yt + (size_t)(R - R0) * s->Wq * g->cy;
    int    r = R % s->Hq;
    if (r >= g->ho) {
      memset(d, 0, sizeof(float) * (size_t)s->Wq * g->cy);
      continue;
    }
    const float *src = y + (int64_t)(R / s->Hq) * g->cy * plane + (int64_t)r * g->wo;
    for (int q = 0; q < g->wo; q++)
      for (int c = 0; c < g->cy; c++) d[(size_t)q * g->cy + c] = src[c * plane + q];
    memset(d + (size_t)g->wo * g->cy, 0, sizeof(float) * (size_t)(s->Wq - g->wo) * g->cy);
  }
}

void neop_cpu_conv_ig_weight_grad(const NeopConvGeom *g, float alpha, const float *x, const float *dy, float *dw, float *work)
{
  const IG        s  = ig_geom(g);
  const size_t    ld = window_ld(&s), cc = (size_t)g->cy * g->cx;
  const PetscBool direct = neop_cpu_conv_wgrad_direct(g->cy);
  const int       last   = out_rows(&s);
  float          *acc0, *acc, *win, *yw;
  size_t          off[NEOP_IG_MAX_TAPS];

  x_offsets(g, &s, ld, off);
  /* every thread sums its tiles into its own accumulator (all zeroed here, however
     many threads the region gets); thread 0's becomes the total */
  for (int id = 0; id < s.nt; id++) {
    thread_bufs(g, &s, work, id, &acc, &win, &yw);
    memset(acc, 0, sizeof(float) * s.taps * cc);
  }
#pragma omp parallel num_threads(s.nt) if (s.nt > 1) private(acc, win, yw)
  {
    thread_bufs(g, &s, work, omp_get_thread_num(), &acc, &win, &yw);
#pragma omp for schedule(dynamic)
    for (int it = 0; it < s.ntiles; it++) {
      int R0 = it * s.tr;
      if (R0 >= last) continue;
      int R1 = R0 + s.tr < last ? R0 + s.tr : last, N = (R1 - R0) * s.Wq;
      x_window(g, &s, x, R0, R1 + s.ei, win, ld);
      /* garbage positions of dY are zero in the window, so they add nothing */
      if (direct) {
        /* acc[t] (cx, cy) += win[plane_t, :, shift_t ...] (cx, N) yw (N, cy) */
        y_window_t(g, &s, dy, R0, R1, yw);
        neop_cpu_conv_taps_wgrad(s.taps, off, g->cy, g->cx, N, yw, win, ld, acc);
      } else {
        /* acc[t] (cy, cx) += yw (cy, N) win[plane_t, :, shift_t ...]^T (N, cx) */
        y_window(g, &s, dy, R0, R1, 0, yw, (size_t)N);
        for (int t = 0; t < s.taps; t++)
          neop_cpu_sgemm(PETSC_FALSE, PETSC_TRUE, g->cy, g->cx, N, 1.f, yw, N, win + off[t], (int)ld, 1.f, acc + (size_t)t * cc, g->cx);
      }
    }
  }
  thread_bufs(g, &s, work, 0, &acc0, &win, &yw);
  for (int id = 1; id < s.nt; id++) {
    thread_bufs(g, &s, work, id, &acc, &win, &yw);
    for (size_t i = 0; i < s.taps * cc; i++) acc0[i] += acc[i];
  }
  for (int co = 0; co < g->cy; co++)
    for (int ci = 0; ci < g->cx; ci++)
      for (int t = 0; t < s.taps; t++)
        dw[((size_t)co * g->cx + ci) * s.taps + t] += alpha * acc0[(size_t)t * cc + (direct ? (size_t)ci * g->cy + co : (size_t)co * g->cx + ci)];
}
