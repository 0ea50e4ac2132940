/* 1x1 convolution on fields: y[n] (Cout, P) = W (Cout, Cin) x[n] (Cin, P) + b,
   with P the number of grid points; one sgemm per sample. */
#include <neop/ops.h>
#include <neop/log.h>

static PetscLogEvent ev_cl;

static PetscErrorCode channel_linear_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *x = n->in[0], *W = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL, *y = n->out;
  int                N = x->shape[0], cin = W->shape[1], cout = W->shape[0];
  int                P = (int)NeopTensorStride(x, 2);
  float             *dx, *dW, *db;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_cl, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  PetscCall(NeopTapeGrad(t, W, &dW));
  PetscCall(NeopTapeGrad(t, b, &db));
  for (int s = 0; s < N; s++) {
    const float *dys = y->grad + (int64_t)s * cout * P;
    /* dx[s] (Cin, P) += W^T (Cin, Cout) dy[s] (Cout, P) */
    if (dx) be->sgemm(PETSC_TRUE, PETSC_FALSE, cin, P, cout, 1.f, W->data, cin, dys, P, 1.f, dx + (int64_t)s * cin * P, P);
    /* dW (Cout, Cin) += dy[s] (Cout, P) x[s]^T (P, Cin) */
    if (dW) be->sgemm(PETSC_FALSE, PETSC_TRUE, cout, cin, P, 1.f, dys, P, x->data + (int64_t)s * cin * P, P, 1.f, dW, cin);
  }
  /* db (Cout) += sums of dy (N, Cout, P) over samples and points */
  if (db) be->bias_grad(N, cout, P, y->grad, db);
  PetscCall(PetscLogEventEnd(ev_cl, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpChannelLinear(NeopTape *t, NeopTensor *x, NeopTensor *W, NeopTensor *b, NeopTensor **y)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *in[3] = {x, W, b};
  int                shape[NEOP_MAX_DIMS];
  char               bx[96], bw[96];

  PetscFunctionBegin;
  if (!ev_cl) PetscCall(NeopLogEvent("NeopChannelLinear", &ev_cl));
  PetscCheck(x->ndim >= 2 && W->ndim == 2 && x->shape[1] == W->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "channel linear: x %s (N, Cin, ...) does not match W %s (Cout, Cin)", NeopTensorShapeString(x, bx, sizeof(bx)),
             NeopTensorShapeString(W, bw, sizeof(bw)));
  PetscCheck(!b || (b->ndim == 1 && b->shape[0] == W->shape[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "channel linear: bias of %d values for %d outputs", b ? b->shape[0] : 0, W->shape[0]);
  PetscCall(PetscLogEventBegin(ev_cl, 0, 0, 0, 0));
  for (int d = 0; d < x->ndim; d++) shape[d] = x->shape[d];
  shape[1] = W->shape[0];
  PetscCall(NeopTapeTensor(t, x->ndim, shape, y));
  {
    int N = x->shape[0], cin = W->shape[1], cout = W->shape[0], P = (int)NeopTensorStride(x, 2);
    /* y (N, Cout, P) = b, then += W x[s] per sample */
    if (b) be->bias_add(N, cout, P, b->data, 0.f, (*y)->data);
    for (int s = 0; s < N; s++) {
      float *ys = (*y)->data + (int64_t)s * cout * P;
      be->sgemm(PETSC_FALSE, PETSC_FALSE, cout, P, cin, 1.f, W->data, cin, x->data + (int64_t)s * cin * P, P, b ? 1.f : 0.f,
                ys, P);
    }
  }
  PetscCall(NeopTapeRecord(t, "channel_linear", channel_linear_backward, b ? 3 : 2, in, *y, NULL));
  PetscCall(PetscLogEventEnd(ev_cl, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
