/* Multi-head linear attention (no softmax) as one op: Galerkin's
   Q (K^T V) / n and the 1 + elu kernel of TransNormer. Only the dh x dh
   product K^T V per head is kept for backward. */
#include <neop/nn/transformer.h>
#include <neop/log.h>

static PetscLogEvent ev_lin;

static PetscErrorCode linear_attention_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *q = n->in[0], *k = n->in[1], *v = n->in[2];
  int         B = q->shape[0], N = q->shape[1], H = n->ints[0], dh = q->shape[2] / H;
  float      *dq, *dk, *dv;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_lin, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, q, &dq));
  PetscCall(NeopTapeGrad(t, k, &dk));
  PetscCall(NeopTapeGrad(t, v, &dv));
  NeopBackendGet()->attention->linear_backward((NeopLinearAttentionKind)n->ints[1], B, H, N, dh, q->data, k->data, v->data,
                                               (const float *)n->ctx, n->out->grad, dq, dk, dv);
  PetscCall(PetscLogEventEnd(ev_lin, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpLinearAttention(NeopTape *t, NeopLinearAttentionKind kind, NeopTensor *q, NeopTensor *k,
                                     NeopTensor *v, int heads, NeopTensor **y)
{
  NeopTensor   *in[3] = {q, k, v};
  NeopTapeNode *node;
  float        *kv;
  char          bq[96], bk[96], bv[96];
  int           B, N, dh;

  PetscFunctionBegin;
  if (!ev_lin) PetscCall(NeopLogEvent("NeopLinearAttention", &ev_lin));
  PetscCheck(q->ndim == 3 && NeopTensorSameShape(q, k) && NeopTensorSameShape(q, v) && heads >= 1 && q->shape[2] % heads == 0,
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "linear attention: q %s, k %s, v %s must be one (N, tokens, heads dh) shape with %d heads",
             NeopTensorShapeString(q, bq, sizeof(bq)), NeopTensorShapeString(k, bk, sizeof(bk)),
             NeopTensorShapeString(v, bv, sizeof(bv)), heads);
  B  = q->shape[0];
  N  = q->shape[1];
  dh = q->shape[2] / heads;
  PetscCall(PetscLogEventBegin(ev_lin, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, q, y));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)B * heads * dh * dh, (void **)&kv)); /* (B, H, dh, dh) */
  NeopBackendGet()->attention->linear_forward(kind, B, heads, N, dh, q->data, k->data, v->data, (*y)->data, kv);
  PetscCall(NeopTapeRecord(t, "linear_attention", linear_attention_backward, 3, in, *y, &node));
  if (node) {
    node->ints[0] = heads;
    node->ints[1] = (int)kind;
    node->ctx     = kv;
  }
  PetscCall(PetscLogEventEnd(ev_lin, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
