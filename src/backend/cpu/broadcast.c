/* Strided kernels behind broadcasting, reductions and shape ops.

   Every kernel walks an index space of up to 5 dims in which each operand has
   its own strides (0 along broadcast dims). The walk first drops dims of
   extent 1 and merges neighbours that are contiguous for every operand, so
   that typical cases become one or two dims with a long innermost run, then
   runs the innermost dim as a vectorisable loop specialised for strides 1/0. */
#include "backend/cpu/cpu.h"
#include <neop/tensor.h>

#define PAR_MIN 65536
#define MAXOPS  3
#define CHUNK   8192 /* innermost runs are split in chunks so that threads share even a single row */

typedef struct {
  int     nd;                       /* dims after merging, >= 1 */
  int64_t n[NEOP_MAX_DIMS];         /* extents */
  int64_t s[MAXOPS][NEOP_MAX_DIMS]; /* strides per operand */
  int64_t rows;                     /* product of all extents but the last */
  int64_t len;                      /* extent of the last dim */
} Walk;

static void walk_init(Walk *w, int ndim, const int *shape, int nops, const int64_t *const *st)
{
  w->nd = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    int merge = w->nd > 0;
    for (int k = 0; k < nops && merge; k++) merge = w->s[k][w->nd - 1] == st[k][d] * shape[d];
    if (merge) {
      w->n[w->nd - 1] *= shape[d];
      for (int k = 0; k < nops; k++) w->s[k][w->nd - 1] = st[k][d];
    } else {
      w->n[w->nd] = shape[d];
      for (int k = 0; k < nops; k++) w->s[k][w->nd] = st[k][d];
      w->nd++;
    }
  }
  if (!w->nd) {
    w->nd   = 1;
    w->n[0] = 1;
    for (int k = 0; k < nops; k++) w->s[k][0] = 0;
  }
  w->len  = w->n[w->nd - 1];
  w->rows = 1;
  for (int d = 0; d < w->nd - 1; d++) w->rows *= w->n[d];
}

/* offsets of every operand at the start of row r */
static inline void walk_row(const Walk *w, int nops, int64_t r, int64_t *off)
{
  for (int k = 0; k < nops; k++) off[k] = 0;
  for (int d = w->nd - 2; d >= 0; d--) {
    int64_t i = r % w->n[d];
    r /= w->n[d];
    for (int k = 0; k < nops; k++) off[k] += i * w->s[k][d];
  }
}

/* number of (row, chunk) tasks */
static inline int64_t walk_tasks(const Walk *w) { return w->rows * ((w->len + CHUNK - 1) / CHUNK); }

/* offsets of every operand at the start of task 'task'; returns its length */
static inline int64_t walk_task(const Walk *w, int nops, int64_t task, int64_t *off)
{
  int64_t nchunk = (w->len + CHUNK - 1) / CHUNK, c0 = task % nchunk * CHUNK;
  walk_row(w, nops, task / nchunk, off);
  for (int k = 0; k < nops; k++) off[k] += c0 * w->s[k][w->nd - 1];
  return w->len - c0 < CHUNK ? w->len - c0 : CHUNK;
}

static void contiguous_strides(int ndim, const int *shape, int64_t *s)
{
  int64_t acc = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
}

static inline __attribute__((always_inline)) float binop(NeopBinaryKind kind, float a, float b)
{
  return kind == NEOP_BINARY_ADD ? a + b : kind == NEOP_BINARY_SUB ? a - b : a * b;
}

/* one row; inlined with constant strides so each case gets its own vector loop */
static inline __attribute__((always_inline)) void binary_row(NeopBinaryKind kind, int64_t len, const float *a, int64_t ia,
                                                             const float *b, int64_t ib, float beta, float *y)
{
  if (beta == 0.f) {
#pragma omp simd
    for (int64_t l = 0; l < len; l++) y[l] = binop(kind, a[l * ia], b[l * ib]);
  } else {
#pragma omp simd
    for (int64_t l = 0; l < len; l++) y[l] = beta * y[l] + binop(kind, a[l * ia], b[l * ib]);
  }
}

static inline __attribute__((always_inline)) void binary_kind(NeopBinaryKind kind, int64_t len, const float *a, int64_t ia,
                                                              const float *b, int64_t ib, float beta, float *y)
{
  if (ia == 1 && ib == 1) binary_row(kind, len, a, 1, b, 1, beta, y);
  else if (ia == 1 && ib == 0) binary_row(kind, len, a, 1, b, 0, beta, y);
  else if (ia == 0 && ib == 1) binary_row(kind, len, a, 0, b, 1, beta, y);
  else binary_row(kind, len, a, ia, b, ib, beta, y);
}

void neop_cpu_binary(NeopBinaryKind kind, int ndim, const int *shape, const int64_t *sa, const float *a, const int64_t *sb,
                     const float *b, float beta, float *y)
{
  int64_t        sy[NEOP_MAX_DIMS];
  const int64_t *st[3] = {sa, sb, sy};
  Walk           w;

  contiguous_strides(ndim, shape, sy);
  walk_init(&w, ndim, shape, 3, st);
  int64_t ia = w.s[0][w.nd - 1], ib = w.s[1][w.nd - 1];
#pragma omp parallel for if (w.rows * w.len > PAR_MIN)
  for (int64_t task = 0; task < walk_tasks(&w); task++) {
    int64_t off[3], len = walk_task(&w, 3, task, off);
    switch (kind) {
    case NEOP_BINARY_ADD:
      binary_kind(NEOP_BINARY_ADD, len, a + off[0], ia, b + off[1], ib, beta, y + off[2]);
      break;
    case NEOP_BINARY_SUB:
      binary_kind(NEOP_BINARY_SUB, len, a + off[0], ia, b + off[1], ib, beta, y + off[2]);
      break;
    case NEOP_BINARY_MUL:
      binary_kind(NEOP_BINARY_MUL, len, a + off[0], ia, b + off[1], ib, beta, y + off[2]);
      break;
    }
  }
}

static inline __attribute__((always_inline)) void copy_row(int64_t len, float alpha, const float *x, int64_t ix, float beta,
                                                           float *y, int64_t iy)
{
  if (beta == 0.f) {
#pragma omp simd
    for (int64_t l = 0; l < len; l++) y[l * iy] = alpha * x[l * ix];
  } else {
#pragma omp simd
    for (int64_t l = 0; l < len; l++) y[l * iy] = alpha * x[l * ix] + beta * y[l * iy];
  }
}

/* y[offy] = alpha x[offx] + beta y[offy] over the walk; offy must be one-to-one */
static void strided_axpby(const Walk *w, float alpha, const float *x, float beta, float *y)
{
  int64_t ix = w->s[0][w->nd - 1], iy = w->s[1][w->nd - 1];
#pragma omp parallel for if (w->rows * w->len > PAR_MIN)
  for (int64_t task = 0; task < walk_tasks(w); task++) {
    int64_t off[2], len = walk_task(w, 2, task, off);
    if (ix == 1 && iy == 1) copy_row(len, alpha, x + off[0], 1, beta, y + off[1], 1);
    else if (ix == 0 && iy == 1) copy_row(len, alpha, x + off[0], 0, beta, y + off[1], 1);
    else copy_row(len, alpha, x + off[0], ix, beta, y + off[1], iy);
  }
}

void neop_cpu_expand(int ndim, const int *shape, const int64_t *sx, float alpha, const float *x, float beta, float *y)
{
  int64_t        sy[NEOP_MAX_DIMS];
  const int64_t *st[2] = {sx, sy};
  Walk           w;

  contiguous_strides(ndim, shape, sy);
  walk_init(&w, ndim, shape, 2, st);
  strided_axpby(&w, alpha, x, beta, y);
}

void neop_cpu_copy_strided(int ndim, const int *shape, const int64_t *sx, const float *x, const int64_t *sy, float beta,
                           float *y)
{
  const int64_t *st[2] = {sx, sy};
  Walk           w;

  walk_init(&w, ndim, shape, 2, st);
  strided_axpby(&w, 1.f, x, beta, y);
}

/* x[offx(i)] += alpha g[i] with g contiguous over 'shape'. Several i share one
   x entry along the dims where sx = 0, so threads split the kept entries of x
   (never the summed ones) and each sums its own. */
void neop_cpu_reduce(int ndim, const int *shape, const int64_t *sx, float alpha, const float *g, float *x)
{
  int64_t        sg[NEOP_MAX_DIMS];
  const int64_t *st[2] = {sg, sx};
  Walk           w, kept, red; /* kept / summed dims of the merged walk, operands (g, x) */

  contiguous_strides(ndim, shape, sg);
  walk_init(&w, ndim, shape, 2, st);
  if (w.len == 0 || w.rows == 0) return;
  kept.nd = red.nd = 0;
  for (int d = 0; d < w.nd; d++) {
    Walk *t = w.s[1][d] ? &kept : &red;
    t->n[t->nd]    = w.n[d];
    t->s[0][t->nd] = w.s[0][d];
    t->s[1][t->nd] = w.s[1][d];
    t->nd++;
  }
  if (!red.nd) { /* nothing summed: an axpy */
    strided_axpby(&w, alpha, g, 1.f, x);
    return;
  }
  int64_t nred = 1, nkept = 1;
  for (int d = 0; d < red.nd; d++) nred *= red.n[d];
  for (int d = 0; d < kept.nd; d++) nkept *= kept.n[d];
  /* treat the merged dims as walks of their own: rows = all but the last */
  red.len  = red.n[red.nd - 1];
  red.rows = nred / red.len;
  if (w.s[1][w.nd - 1]) {
    /* innermost dim kept: per outer kept index, add every summed slice as a vector */
    int64_t len = kept.n[kept.nd - 1], ig = kept.s[0][kept.nd - 1], nouter = nkept / len;
    kept.len  = len;
    kept.rows = nouter;
#pragma omp parallel for collapse(2) if (nkept * nred > PAR_MIN)
    for (int64_t o = 0; o < nouter; o++)
      for (int64_t l0 = 0; l0 < len; l0 += 256) {
        int64_t ko[2], l1 = l0 + 256 < len ? l0 + 256 : len;
        walk_row(&kept, 2, o, ko);
        float *xr = x + ko[1] + l0; /* kept entries [l0, l1) of this row, stride 1 */
        for (int64_t r = 0; r < nred; r++) {
          int64_t ro[2], rr = r / red.len, rl = r % red.len;
          walk_row(&red, 2, rr, ro);
          const float *gr = g + ko[0] + ro[0] + rl * red.s[0][red.nd - 1] + l0 * ig;
          if (ig == 1) {
#pragma omp simd
            for (int64_t l = 0; l < l1 - l0; l++) xr[l] += alpha * gr[l];
          } else {
            for (int64_t l = 0; l < l1 - l0; l++) xr[l] += alpha * gr[l * ig];
          }
        }
      }
    return;
  }
  /* innermost dim summed (contiguous in g): one dot-like sum per kept entry */
  {
    int64_t ir = red.s[0][red.nd - 1];
    if (kept.nd) {
      kept.len  = 1;
      kept.rows = nkept;
      kept.n[kept.nd++] = 1; /* so walk_row decomposes over every kept dim */
      kept.s[0][kept.nd - 1] = kept.s[1][kept.nd - 1] = 0;
    }
#pragma omp parallel for if (nkept > 1 && nkept * nred > PAR_MIN)
    for (int64_t k = 0; k < nkept; k++) {
      int64_t ko[2] = {0, 0};
      double  acc   = 0;
      if (kept.nd) walk_row(&kept, 2, k, ko);
#pragma omp parallel for reduction(+ : acc) if (nkept == 1 && nred > PAR_MIN)
      for (int64_t task = 0; task < walk_tasks(&red); task++) {
        int64_t ro[2], len = walk_task(&red, 2, task, ro);
        double  s = 0;
        const float *gr = g + ko[0] + ro[0];
        if (ir == 1) {
#pragma omp simd reduction(+ : s)
          for (int64_t l = 0; l < len; l++) s += gr[l];
        } else {
          for (int64_t l = 0; l < len; l++) s += gr[l * ir];
        }
        acc += s;
      }
      x[ko[1]] += alpha * (float)acc;
    }
  }
}
