/* Multi-head softmax attention as one op. The kernel works in tiles with an
   online softmax and its backward recomputes the tiles, so only O(tokens)
   values are kept: the output and one log-sum-exp per row and head. */
#include <neop/nn/transformer.h>
#include <neop/log.h>
#include <math.h>

static PetscLogEvent ev_att;

static PetscErrorCode attention_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *q = n->in[0], *k = n->in[1], *v = n->in[2], *y = n->out;
  int         B = q->shape[0], Nq = q->shape[1], Nk = k->shape[1], H = n->ints[0], dh = q->shape[2] / H;
  float      *dq, *dk, *dv, *work;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_att, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, q, &dq));
  PetscCall(NeopTapeGrad(t, k, &dk));
  PetscCall(NeopTapeGrad(t, v, &dv));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)B * H * Nq, (void **)&work)); /* (B, H, Nq) */
  NeopBackendGet()->attention->softmax_backward(B, H, Nq, Nk, dh, (float)n->real[0], q->data, k->data, v->data, y->data,
                                                (const float *)n->ctx, y->grad, work, dq, dk, dv);
  PetscCall(PetscLogEventEnd(ev_att, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpAttention(NeopTape *t, NeopTensor *q, NeopTensor *k, NeopTensor *v, int heads, NeopTensor **y)
{
  NeopTensor   *in[3] = {q, k, v};
  NeopTapeNode *node;
  float        *lse;
  char          bq[96], bk[96], bv[96];
  int           B, Nq, Nk, dh;

  PetscFunctionBegin;
  if (!ev_att) PetscCall(NeopLogEvent("NeopAttention", &ev_att));
  PetscCheck(q->ndim == 3 && k->ndim == 3 && NeopTensorSameShape(k, v) && q->shape[0] == k->shape[0] &&
               q->shape[2] == k->shape[2] && heads >= 1 && q->shape[2] % heads == 0,
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "attention: q %s, k %s, v %s must be (N, tokens, heads dh) with %d heads and k, v of one shape",
             NeopTensorShapeString(q, bq, sizeof(bq)), NeopTensorShapeString(k, bk, sizeof(bk)),
             NeopTensorShapeString(v, bv, sizeof(bv)), heads);
  B  = q->shape[0];
  Nq = q->shape[1];
  Nk = k->shape[1];
  dh = q->shape[2] / heads;
  PetscCall(PetscLogEventBegin(ev_att, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, q, y));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)B * heads * Nq, (void **)&lse)); /* (B, H, Nq) */
  NeopBackendGet()->attention->softmax_forward(B, heads, Nq, Nk, dh, (float)(1.0 / sqrt((double)dh)), q->data, k->data,
                                               v->data, (*y)->data, lse);
  PetscCall(NeopTapeRecord(t, "attention", attention_backward, 3, in, *y, &node));
  if (node) {
    node->ints[0] = heads;
    node->real[0] = 1.0 / sqrt((double)dh);
    node->ctx     = lse;
  }
  PetscCall(PetscLogEventEnd(ev_att, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
