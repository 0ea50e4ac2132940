/* Gaussian normalisers against the FNO definitions computed with torch
   (tests/reference/normalizer.py), round trips, and the gradient of DecodeOp. */
#include "testing.h"
#include <neop/data.h>

static const float *fx(const char *name, int64_t want)
{
  float  *v;
  int64_t n;
  if (NeopTestReadFixture("normalizer.h5", name, &v, &n)) return NULL;
  NeopTestCheck(n == want, "fixture %s has %lld values, expected %lld", name, (long long)n, (long long)want);
  return v;
}

typedef struct {
  const NeopNormalizer *nz;
} DecodeCtx;

static PetscErrorCode decode_fn(NeopTape *t, NeopTensor **in, void *ctx, NeopTensor **out)
{
  PetscFunctionBegin;
  PetscCall(NeopNormalizerDecodeOp(((DecodeCtx *)ctx)->nz, t, in[0], out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  const int64_t  N = 5, C = 2, P = 24, n = N * C * P;
  NeopNormalizer pw, sc, ch;
  float          tmp[240], tmp2[240];

  PetscCall(NeopTestInitialize(&argc, &argv));
  const float *x = fx("x", n), *y = fx("y", n), *x1 = fx("x1", N * P);
  /* UnitGaussianNormalizer: one mean/std per (channel, point), unbiased std */
  PetscCall(NeopNormalizerFit(PETSC_COMM_WORLD, NEOP_NORM_POINTWISE, (int)C, P, (int)N, x, &pw));
  NeopTestCheck(pw.eps == 1e-5f && pw.n == C * P, "pointwise: eps %g, n %lld", (double)pw.eps, (long long)pw.n);
  NeopTestClose("pointwise mean vs torch.mean(x, 0)", C * P, pw.mean, fx("mean_pw", C * P), 1e-6, 1e-7);
  NeopTestClose("pointwise std vs torch.std(x, 0)", C * P, pw.std, fx("std_pw", C * P), 1e-6, 1e-7);
  PetscCall(PetscArraycpy(tmp, x, n));
  PetscCall(NeopNormalizerEncode(&pw, (int)N, tmp));
  NeopTestClose("pointwise encode vs torch", n, tmp, fx("enc_pw", n), 1e-5, 1e-6);
  PetscCall(NeopNormalizerDecode(&pw, (int)N, tmp));
  NeopTestClose("pointwise decode(encode(x)) == x", n, tmp, x, 1e-6, 1e-6);
  PetscCall(PetscArraycpy(tmp, y, n));
  PetscCall(NeopNormalizerDecode(&pw, (int)N, tmp));
  NeopTestClose("pointwise decode vs torch", n, tmp, fx("dec_pw", n), 1e-6, 1e-6);

  /* GaussianNormalizer: one channel, one mean/std over all values */
  PetscCall(NeopNormalizerFit(PETSC_COMM_WORLD, NEOP_NORM_SCALAR, 1, P, (int)N, x1, &sc));
  NeopTestClose("scalar mean vs torch.mean(x)", 1, sc.mean, fx("mean_sc", 1), 1e-6, 1e-7);
  NeopTestClose("scalar std vs torch.std(x)", 1, sc.std, fx("std_sc", 1), 1e-6, 1e-7);
  PetscCall(PetscArraycpy(tmp, x1, N * P));
  PetscCall(NeopNormalizerEncode(&sc, (int)N, tmp));
  NeopTestClose("scalar encode vs torch", N * P, tmp, fx("enc_sc", N * P), 1e-5, 1e-6);
  for (int s = 0; s < N; s++) PetscCall(PetscArraycpy(tmp + s * P, y + s * C * P, P)); /* y[:, :1] */
  PetscCall(NeopNormalizerDecode(&sc, (int)N, tmp));
  NeopTestClose("scalar decode vs torch", N * P, tmp, fx("dec_sc", N * P), 1e-6, 1e-6);

  /* SCALAR with two channels: statistics per channel */
  PetscCall(NeopNormalizerFit(PETSC_COMM_WORLD, NEOP_NORM_SCALAR, (int)C, P, (int)N, x, &ch));
  NeopTestClose("per-channel mean", C, ch.mean, fx("mean_ch", C), 1e-6, 1e-7);
  NeopTestClose("per-channel std", C, ch.std, fx("std_ch", C), 1e-6, 1e-7);
  PetscCall(PetscArraycpy(tmp, x, n));
  PetscCall(NeopNormalizerEncode(&ch, (int)N, tmp));
  NeopTestClose("per-channel encode vs torch", n, tmp, fx("enc_ch", n), 1e-5, 1e-6);

  /* DecodeOp: forward equals the host decode; gradient vs finite differences */
  {
    NeopTape   *t;
    NeopTensor *xt, *yt;
    int         shape[4] = {(int)N, (int)C, 6, 4};
    PetscCall(NeopTapeCreate(&t));
    PetscCall(NeopTapeTensor(t, 4, shape, &xt));
    PetscCall(PetscArraycpy(xt->data, y, n));
    PetscCall(NeopNormalizerDecodeOp(&pw, t, xt, &yt));
    PetscCall(PetscArraycpy(tmp2, y, n));
    PetscCall(NeopNormalizerDecode(&pw, (int)N, tmp2));
    NeopTestClose("DecodeOp forward == Decode", n, yt->data, tmp2, 0, 1e-30);
    PetscCall(NeopTapeDestroy(&t));
  }
  {
    int       ndim = 4, shape[1][NEOP_MAX_DIMS] = {{(int)N, (int)C, 6, 4}};
    float    *d[1] = {tmp};
    DecodeCtx cpw = {&pw}, cch = {&ch}, csc = {&sc};
    NeopTestRandom(3, n, -1, 1, tmp);
    PetscCall(NeopTestGradCheck("normalizer decode (pointwise)", decode_fn, &cpw, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
    PetscCall(NeopTestGradCheck("normalizer decode (per channel)", decode_fn, &cch, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
    shape[0][1] = 1;
    PetscCall(NeopTestGradCheck("normalizer decode (scalar)", decode_fn, &csc, 1, &ndim, shape, d, 1e-2, 1e-2, 1e-3));
  }
  {
    /* a normaliser rebuilt from its statistics decodes identically */
    NeopNormalizer re;
    PetscCall(NeopNormalizerSetStats(pw.kind, pw.channels, pw.points, pw.eps, pw.mean, pw.std, &re));
    PetscCall(PetscArraycpy(tmp, y, n));
    PetscCall(PetscArraycpy(tmp2, y, n));
    PetscCall(NeopNormalizerDecode(&re, (int)N, tmp));
    PetscCall(NeopNormalizerDecode(&pw, (int)N, tmp2));
    NeopTestClose("SetStats decode == fitted decode", n, tmp, tmp2, 0, 1e-30);
    PetscCall(NeopNormalizerDestroy(&re));
  }
  PetscCall(NeopNormalizerDestroy(&pw));
  PetscCall(NeopNormalizerDestroy(&sc));
  PetscCall(NeopNormalizerDestroy(&ch));
  return NeopTestFinalize();
}
