/* Sum of the k largest entries of each row: the emphasis DGNO puts on its
   largest weak residuals. The gradient goes to the selected entries. */
#include <neop/nn/onet.h>
#include <neop/log.h>

static PetscLogEvent ev_topk;

static PetscErrorCode topk_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0];
  float      *dx;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_topk, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  NeopBackendGet()->onet->topk_sum_backward(x->shape[0], x->shape[1], n->ints[0], (const int *)n->ctx, n->out->grad, dx);
  PetscCall(PetscLogEventEnd(ev_topk, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpTopKSum(NeopTape *t, NeopTensor *x, int k, NeopTensor **y)
{
  NeopTapeNode *node;
  int          *idx; /* (N, k) */
  void         *work;
  char          bx[96];

  PetscFunctionBegin;
  if (!ev_topk) PetscCall(NeopLogEvent("NeopTopK", &ev_topk));
  PetscCheck(x->ndim == 2 && k >= 1 && k <= x->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "topk_sum: x %s must be (N, M) with 1 <= k = %d <= M", NeopTensorShapeString(x, bx, sizeof(bx)), k);
  PetscCall(PetscLogEventBegin(ev_topk, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 1, x->shape, y));
  PetscCall(NeopTapeAlloc(t, sizeof(int) * (size_t)x->shape[0] * (size_t)k + 1, (void **)&idx));
  PetscCall(NeopTapeAlloc(t, 8 * (size_t)x->shape[1], &work));
  NeopBackendGet()->onet->topk_sum(x->shape[0], x->shape[1], k, x->data, work, idx, (*y)->data);
  PetscCall(NeopTapeRecord(t, "topk_sum", topk_backward, 1, &x, *y, &node));
  if (node) {
    node->ints[0] = k;
    node->ctx     = idx;
  }
  PetscCall(PetscLogEventEnd(ev_topk, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
