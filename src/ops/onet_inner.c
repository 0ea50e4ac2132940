/* u (N, M) = z + alpha w b (N, H) T (M, H)^T: one summed inner product of a
   MultiONet (M = P points, or d P tangents) as one tape node. The sum over
   the last l layers is a chain of these (z the partial sum, passed on as its
   gradient), instead of a product, a scalar product, an add and a scale per
   layer, each with an (N, M) tensor and gradient. */
#include <neop/nn/onet.h>
#include <neop/log.h>

static PetscLogEvent ev_inner;

static PetscErrorCode inner_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *B = n->in[0], *T = n->in[1], *w = n->in[2], *z = n->in[3], *u = n->out;
  int                N = B->shape[0], H = B->shape[1], M = T->shape[0];
  float              alpha = (float)n->real[0], wv = 1.f, *dB, *dT, *dw, *dz, *G;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_inner, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, B, &dB));
  PetscCall(NeopTapeGrad(t, T, &dT));
  PetscCall(NeopTapeGrad(t, w, &dw));
  PetscCall(NeopTapeGrad(t, z, &dz));
  if (w) PetscCall(be->to_host(&wv, w->data, sizeof(float)));
  if (dz && dz != u->grad) be->axpby(u->size, 1.f, u->grad, 1.f, dz);
  if (dw) {
    /* G (N, H) = du (N, M) T (M, H); dB += alpha w G, dw += alpha <B, G> (a 1 x 1 product) */
    PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)N * H, (void **)&G));
    be->sgemm(PETSC_FALSE, PETSC_FALSE, N, H, M, 1.f, u->grad, M, T->data, H, 0.f, G, H);
    if (dB) be->axpby((int64_t)N * H, alpha * wv, G, 1.f, dB);
    be->sgemm(PETSC_FALSE, PETSC_TRUE, 1, 1, N * H, alpha, B->data, N * H, G, N * H, 1.f, dw, 1);
  } else if (dB) be->sgemm(PETSC_FALSE, PETSC_FALSE, N, H, M, alpha * wv, u->grad, M, T->data, H, 1.f, dB, H);
  /* dT (M, H) += alpha w du^T (M, N) B (N, H) */
  if (dT) be->sgemm(PETSC_TRUE, PETSC_FALSE, M, H, N, alpha * wv, u->grad, M, B->data, H, 1.f, dT, H);
  PetscCall(PetscLogEventEnd(ev_inner, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpONetInner(NeopTape *t, NeopTensor *z, double alpha, NeopTensor *w, NeopTensor *B, NeopTensor *T, NeopTensor **u)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *in[4] = {B, T, w, z};
  NeopTapeNode      *node;
  int                shape[2];
  float              wv = 1.f;
  char               bb[96], bt[96], bz[96];

  PetscFunctionBegin;
  if (!ev_inner) PetscCall(NeopLogEvent("NeopONetInner", &ev_inner));
  PetscCheck(B->ndim == 2 && T->ndim == 2 && B->shape[1] == T->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "onet_inner: b %s (N, H) and T %s (M, H) do not match", NeopTensorShapeString(B, bb, sizeof(bb)), NeopTensorShapeString(T, bt, sizeof(bt)));
  PetscCheck(!w || w->size == 1, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "onet_inner: the weight w must be one value, it has %lld", (long long)(w ? w->size : 0));
  shape[0] = B->shape[0], shape[1] = T->shape[0];
  PetscCheck(!z || (z->ndim == 2 && z->shape[0] == shape[0] && z->shape[1] == shape[1]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "onet_inner: added tensor %s, output (%d, %d)", NeopTensorShapeString(z, bz, sizeof(bz)), shape[0], shape[1]);
  PetscCall(PetscLogEventBegin(ev_inner, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 2, shape, u));
  if (w) PetscCall(be->to_host(&wv, w->data, sizeof(float)));
  if (z) PetscCall(be->copy((*u)->data, z->data, sizeof(float) * (size_t)z->size));
  /* u (N, M) = z + alpha w B (N, H) T^T (H, M) */
  be->sgemm(PETSC_FALSE, PETSC_TRUE, shape[0], shape[1], B->shape[1], (float)alpha * wv, B->data, B->shape[1], T->data, T->shape[1],
            z ? 1.f : 0.f, (*u)->data, shape[1]);
  PetscCall(NeopTapeRecord(t, "onet_inner", inner_backward, 4, in, *u, &node));
  if (node) {
    node->real[0]   = alpha;
    node->pass_grad = z ? 4 : 0; /* dz = du */
  }
  PetscCall(PetscLogEventEnd(ev_inner, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
