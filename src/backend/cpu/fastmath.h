/* Branch-free expf and erff that GCC vectorises inside `omp simd` loops (the
   libm calls are scalar: GELU through erff spent most of an FNO step there).
   Accuracy: tests/test_fastmath.c checks them against libm over dense ranges.
   Every polynomial step is an explicit fused multiply-add (fmaf: one rounding,
   the same bits on every CPU). In a clone with FMA it is one instruction
   (GELU with its derivative: 1.86 -> 0.89 ns per point on AVX-512, one
   thread); in the baseline clone a libm call, exact but slow (for CPUs
   without FMA only). */
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The loops that use these (GELU is most of an FNO step's point-wise work) are
   compiled for AVX-512 and for FMA (AVX) too, picked at load time by the CPU
   features ("arch=" clones would test the CPU model, which virtual machines
   hide; an "avx2" clone would have no FMA). The same float operations in
   every clone (no contraction under -std=c11, explicit fmaf): the same bits
   whichever runs. */
#define NEOP_SIMD_CLONES __attribute__((target_clones("avx512f", "fma", "default")))

/* e^x: x = k ln2 + r, |r| <= ln2/2, e^r by its degree-7 Taylor polynomial
   (truncation 5e-9 relative), 2^k put into the exponent bits. x is clamped to
   [-87.3, 88.37] (k from -126 to 127): below, the result is 1.2e-38 instead of a
   denormal or 0; above, 2.5e38 instead of up to FLT_MAX or inf. */
static inline __attribute__((always_inline)) float neop_fast_expf(float x)
{
  const float magic = 12582912.f; /* 1.5 2^23: adding it rounds to an integer */
  float       k, r, p;
  int32_t     ki;
  uint32_t    bits;
  x    = x < -87.3f ? -87.3f : x;
  x    = x > 88.37f ? 88.37f : x;
  k    = x * 1.44269504f + magic;
  k    = k - magic;
  r    = x - k * 0.693145752f; /* ln2 split: 0.693145752 + 1.42860677e-6, the first exact in 16 bits */
  r    = r - k * 1.42860677e-6f;
  p    = 1.f / 5040;
  p    = fmaf(p, r, 1.f / 720);
  p    = fmaf(p, r, 1.f / 120);
  p    = fmaf(p, r, 1.f / 24);
  p    = fmaf(p, r, 1.f / 6);
  p    = fmaf(p, r, 0.5f);
  p    = fmaf(p, r, 1.f);
  p    = fmaf(p, r, 1.f);
  ki   = (int32_t)k;
  bits = (uint32_t)(ki + 127) << 23;
  memcpy(&k, &bits, sizeof(k));
  return p * k;
}

/* erf(x): for |x| < 0.9, x P(x^2) (P of degree 6, relative error 3e-10 in
   exact arithmetic); above, 1 - exp(G(s) - x^2) with G a degree-8 polynomial
   of s = (|x| - 2.41)/1.51 fitted to log(erfc(x)) + x^2 on [0.9, 3.92]
   (absolute error 8e-9); from 3.92 on erf is 1 in float32. The coefficients
   are minimax-like least-squares fits made with numpy (double precision). */
static inline __attribute__((always_inline)) float neop_fast_erff(float x)
{
  float a = fabsf(x), t = a * a, ps, g, am, s, r;
  ps = 8.513424e-05f;
  ps = fmaf(ps, t, -0.000817571308f);
  ps = fmaf(ps, t, 0.00520386552f);
  ps = fmaf(ps, t, -0.026860511f);
  ps = fmaf(ps, t, 0.112837151f);
  ps = fmaf(ps, t, -0.37612635f);
  ps = fmaf(ps, t, 1.12837917f);
  am = a < 3.92f ? a : 3.92f;
  s  = (am - 2.41f) * 0.662251656f;
  g  = 4.41298076e-05f;
  g  = fmaf(g, s, -0.000258724513f);
  g  = fmaf(g, s, 0.00102021634f);
  g  = fmaf(g, s, -0.00364510751f);
  g  = fmaf(g, s, 0.0122905113f);
  g  = fmaf(g, s, -0.040189928f);
  g  = fmaf(g, s, 0.134859899f);
  g  = fmaf(g, s, -0.548205736f);
  g  = fmaf(g, s, -1.52461149f);
  r  = a < 0.9f ? a * ps : 1.f - neop_fast_expf(g - am * am);
  r  = a != a ? a : r; /* NaN stays NaN */
  return copysignf(r, x);
}

/* sin(pi t) and cos(pi t) for |t| < 2^22: t = k + r, |r| <= 1/2 (k by rounding), then
   (-1)^k times the Taylor polynomials of sin and cos at y = pi r up to y^13 and y^14
   (truncation below 7e-10 at |y| = pi/2). The activations tanh(sin(pi (x + 1))) + x and
   silu(sin(pi (x + 1))) + x of MultiONet/DGNO spend their time here. */
static inline __attribute__((always_inline)) void neop_fast_sincospi(float t, float *s, float *c)
{
  const float magic = 12582912.f;
  float       k = (t + magic) - magic, r = t - k, y = (float)M_PI * r, y2 = y * y, ps, pc, sg;
  int32_t     ki = (int32_t)k;
  ps = -1.f / 6227020800.f;
  ps = ps * y2 + 1.f / 39916800;
  ps = ps * y2 - 1.f / 362880;
  ps = ps * y2 + 1.f / 5040;
  ps = ps * y2 - 1.f / 120;
  ps = ps * y2 + 1.f / 6;
  ps = 1.f - ps * y2;
  pc = 1.f / 87178291200.f;
  pc = pc * y2 - 1.f / 479001600;
  pc = pc * y2 + 1.f / 3628800;
  pc = pc * y2 - 1.f / 40320;
  pc = pc * y2 + 1.f / 720;
  pc = pc * y2 - 1.f / 24;
  pc = pc * y2 + 0.5f;
  pc = 1.f - pc * y2;
  sg = (float)(1 - 2 * (ki & 1));
  *s = sg * y * ps;
  *c = sg * pc;
}
