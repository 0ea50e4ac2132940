/* Gaussian normalisers, as the FNO scripts' utilities3.py:
     UnitGaussianNormalizer (POINTWISE): mean = torch.mean(x, 0), std = torch.std(x, 0)
     GaussianNormalizer     (SCALAR, one channel): mean = torch.mean(x), std = torch.std(x)
   torch.std is the unbiased estimate (divides by count - 1); eps = 1e-5;
   encode (x - mean) / (std + eps), decode x * (std + eps) + mean, in float32.
   Sums are accumulated in double and summed over ranks, so the fit does not
   depend on how the samples are distributed. */
#include <neop/data.h>
#include <neop/backend.h>
#include <neop/log.h>
#include <math.h>

static PetscLogEvent ev_norm;

/* Index of the statistic of value j of a sample. */
static inline int64_t stat_index(const NeopNormalizer *nz, int64_t j)
{
  return nz->kind == NEOP_NORM_POINTWISE ? j : j / nz->points;
}

PetscErrorCode NeopNormalizerFit(MPI_Comm comm, NeopNormKind kind, int channels, int64_t points, int nlocal, const float *x,
                                 NeopNormalizer *nz)
{
  int64_t   n = (int64_t)channels * points, m, nglobal = nlocal;
  double   *sum, *ss, count;

  PetscFunctionBegin;
  PetscCheck(kind == NEOP_NORM_NONE || kind == NEOP_NORM_POINTWISE || kind == NEOP_NORM_SCALAR, comm, PETSC_ERR_ARG_WRONG,
             "normaliser: unknown kind %d", (int)kind);
  PetscCheck(channels >= 1 && points >= 1 && nlocal >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE,
             "normaliser: %d channels, %lld points, %d samples", channels, (long long)points, nlocal);
  PetscCall(PetscMemzero(nz, sizeof(*nz)));
  if (kind == NEOP_NORM_NONE) { /* the identity: shapes only, no statistics */
    nz->channels = channels;
    nz->points   = points;
    nz->n        = n;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nglobal, 1, MPI_INT64_T, MPI_SUM, comm));
  nz->kind     = kind;
  nz->channels = channels;
  nz->points   = points;
  nz->n        = n;
  nz->eps      = 1e-5f;
  m            = kind == NEOP_NORM_POINTWISE ? n : channels;
  count        = kind == NEOP_NORM_POINTWISE ? (double)nglobal : (double)nglobal * (double)points;
  PetscCheck(count >= 2, comm, PETSC_ERR_ARG_SIZ, "normaliser: the unbiased std needs at least 2 values per statistic, got %g", count);
  PetscCall(PetscCalloc2(m, &sum, m, &ss));
  for (int s = 0; s < nlocal; s++)
    for (int64_t j = 0; j < n; j++) sum[stat_index(nz, j)] += x[s * n + j];
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, sum, (int)m, MPI_DOUBLE, MPI_SUM, comm));
  for (int64_t k = 0; k < m; k++) sum[k] /= count; /* now the mean */
  /* second pass around the mean: no cancellation */
  for (int s = 0; s < nlocal; s++)
    for (int64_t j = 0; j < n; j++) {
      double d = x[s * n + j] - sum[stat_index(nz, j)];
      ss[stat_index(nz, j)] += d * d;
    }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, ss, (int)m, MPI_DOUBLE, MPI_SUM, comm));
  PetscCall(PetscMalloc1(m, &nz->mean));
  PetscCall(PetscMalloc1(m, &nz->std));
  for (int64_t k = 0; k < m; k++) {
    nz->mean[k] = (float)sum[k];
    nz->std[k]  = (float)sqrt(ss[k] / (count - 1));
  }
  PetscCall(PetscFree2(sum, ss));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNormalizerSetStats(NeopNormKind kind, int channels, int64_t points, float eps, const float *mean,
                                     const float *std, NeopNormalizer *nz)
{
  int64_t m = kind == NEOP_NORM_POINTWISE ? (int64_t)channels * points : channels;

  PetscFunctionBegin;
  PetscCheck(kind == NEOP_NORM_POINTWISE || kind == NEOP_NORM_SCALAR, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "normaliser: statistics need POINTWISE or SCALAR");
  PetscCall(PetscMemzero(nz, sizeof(*nz)));
  nz->kind     = kind;
  nz->channels = channels;
  nz->points   = points;
  nz->n        = (int64_t)channels * points;
  nz->eps      = eps;
  PetscCall(PetscMalloc1(m, &nz->mean));
  PetscCall(PetscMalloc1(m, &nz->std));
  PetscCall(PetscArraycpy(nz->mean, mean, m));
  PetscCall(PetscArraycpy(nz->std, std, m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNormalizerEncode(const NeopNormalizer *nz, int nsamples, float *x)
{
  PetscFunctionBegin;
  if (nz->kind == NEOP_NORM_NONE) PetscFunctionReturn(PETSC_SUCCESS);
  for (int s = 0; s < nsamples; s++)
    for (int64_t j = 0; j < nz->n; j++) {
      int64_t k            = stat_index(nz, j);
      x[s * nz->n + j] = (x[s * nz->n + j] - nz->mean[k]) / (nz->std[k] + nz->eps);
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNormalizerDecode(const NeopNormalizer *nz, int nsamples, float *x)
{
  PetscFunctionBegin;
  if (nz->kind == NEOP_NORM_NONE) PetscFunctionReturn(PETSC_SUCCESS);
  for (int s = 0; s < nsamples; s++)
    for (int64_t j = 0; j < nz->n; j++) {
      int64_t k            = stat_index(nz, j);
      x[s * nz->n + j] = x[s * nz->n + j] * (nz->std[k] + nz->eps) + nz->mean[k];
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode decode_backward(NeopTape *t, NeopTapeNode *node)
{
  float *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_norm, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, node->in[0], &dx));
  if (dx)
    NeopBackendGet()->normalizer->affine_backward(node->ints[0], node->ints[1], node->ints[2], (PetscBool)node->ints[3],
                                                  (const float *)node->ctx, node->out->grad, dx);
  PetscCall(PetscLogEventEnd(ev_norm, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNormalizerDecodeOp(const NeopNormalizer *nz, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTapeNode      *node;
  float             *host, *scale, *shift; /* host [2 m]; scale, shift [m] backend memory */
  char               buf[96];
  int64_t            m;
  int                nsamples;

  PetscFunctionBegin;
  if (!ev_norm) PetscCall(NeopLogEvent("NeopNormalize", &ev_norm));
  PetscCheck(nz->channels >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "normaliser decode: the normaliser was not fitted");
  if (nz->kind == NEOP_NORM_NONE) { /* identity: the tape continues from x */
    *y = x;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  nsamples = x->ndim ? x->shape[0] : 0;
  PetscCheck(x->ndim >= 2 && (int64_t)nsamples * nz->n == x->size && (x->ndim == 2 || x->shape[1] == nz->channels),
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "normaliser decode: x %s is not (N, %d, %lld points)",
             NeopTensorShapeString(x, buf, sizeof(buf)), nz->channels, (long long)nz->points);
  PetscCall(PetscLogEventBegin(ev_norm, 0, 0, 0, 0));
  m = nz->kind == NEOP_NORM_POINTWISE ? nz->n : nz->channels;
  PetscCall(PetscMalloc1(2 * m, &host));
  for (int64_t k = 0; k < m; k++) {
    host[k]     = nz->std[k] + nz->eps;
    host[m + k] = nz->mean[k];
  }
  PetscCall(NeopTapeAlloc(t, (size_t)m * sizeof(float), (void **)&scale));
  PetscCall(NeopTapeAlloc(t, (size_t)m * sizeof(float), (void **)&shift));
  PetscCall(be->from_host(scale, host, (size_t)m * sizeof(float)));
  PetscCall(be->from_host(shift, host + m, (size_t)m * sizeof(float)));
  PetscCall(PetscFree(host));
  PetscCall(NeopTapeTensorLike(t, x, y));
  be->normalizer->affine_forward(nsamples, nz->channels, nz->points, nz->kind == NEOP_NORM_POINTWISE, scale, shift, x->data,
                                 (*y)->data);
  PetscCall(NeopTapeRecord(t, "normalizer_decode", decode_backward, 1, &x, *y, &node));
  if (node) {
    node->ctx     = scale;
    node->ints[0] = nsamples;
    node->ints[1] = nz->channels;
    node->ints[2] = (int)nz->points;
    node->ints[3] = nz->kind == NEOP_NORM_POINTWISE;
  }
  PetscCall(PetscLogEventEnd(ev_norm, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopNormalizerDestroy(NeopNormalizer *nz)
{
  PetscFunctionBegin;
  PetscCall(PetscFree(nz->mean));
  PetscCall(PetscFree(nz->std));
  PetscCall(PetscMemzero(nz, sizeof(*nz)));
  PetscFunctionReturn(PETSC_SUCCESS);
}
