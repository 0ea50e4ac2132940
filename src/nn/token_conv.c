/* k x k convolutions of tokens on a 2-D grid in the token layout (N, S0 S1, C):
   Transolver's structured-mesh projections without the transposes to fields
   and back. One op takes one or two convolutions of the same input (outputs
   side by side in the features), so that Transolver's x and fx projections
   share one pass over the input and one matrix product per tile. Kernels:
   token_conv_* of NeopAttentionKernels. */
#include <neop/nn/transformer.h>
#include <neop/log.h>

static PetscLogEvent ev_tconv;

/* stacked kernel (C1 + C2, Cin, k, k) and bias (C1 + C2) of the n convs in in[1..2n] */
typedef struct {
  float *W, *b; /* arena memory when n = 2, else the parameters' own */
} Stacked;

static PetscErrorCode stack(NeopTape *t, int n, NeopTensor *const *Wb, PetscBool alloc, Stacked *st)
{
  const NeopBackend *be = NeopBackendGet();
  int64_t            nw = 0, nb = 0;

  PetscFunctionBegin;
  if (n == 1) {
    st->W = Wb[0]->data;
    st->b = Wb[1] ? Wb[1]->data : NULL;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (int i = 0; i < n; i++) nw += Wb[2 * i]->size, nb += Wb[2 * i]->shape[0];
  if (alloc) {
    PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)nw, (void **)&st->W));
    PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)nb, (void **)&st->b));
  }
  nw = nb = 0;
  for (int i = 0; i < n; i++) {
    PetscCall(be->copy(st->W + nw, Wb[2 * i]->data, sizeof(float) * (size_t)Wb[2 * i]->size));
    PetscCall(be->copy(st->b + nb, Wb[2 * i + 1]->data, sizeof(float) * (size_t)Wb[2 * i]->shape[0]));
    nw += Wb[2 * i]->size, nb += Wb[2 * i]->shape[0];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode token_conv_backward(NeopTape *t, NeopTapeNode *n)
{
  const NeopBackend *be = NeopBackendGet();
  NeopTensor        *x = n->in[0], *y = n->out;
  int                nconv = n->ints[2], Cout = y->shape[2], k = n->in[1]->shape[2];
  Stacked            st;
  float             *dx, *dW, *db, *g[4];

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_tconv, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  for (int i = 0; i < 2 * nconv; i++) PetscCall(NeopTapeGrad(t, n->in[1 + i], &g[i]));
  if (nconv == 1) dW = g[0], db = g[1];
  else {
    /* gradients of the stacked kernel and bias, then added to each conv's */
    PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)Cout * (x->shape[2] * k * k + 1), (void **)&dW));
    db = dW + (int64_t)Cout * x->shape[2] * k * k;
    PetscCall(be->zero(dW, sizeof(float) * (size_t)Cout * (x->shape[2] * k * k + 1)));
  }
  st = *(Stacked *)n->ctx;
  be->attention->token_conv_backward(x->shape[0], n->ints[0], n->ints[1], x->shape[2], Cout, k, x->data, st.W, y->grad, dx, dW, db);
  if (nconv > 1) {
    int64_t ow = 0, ob = 0;
    for (int i = 0; i < nconv; i++) {
      NeopTensor *W = n->in[1 + 2 * i];
      if (g[2 * i]) be->axpby(W->size, 1.f, dW + ow, 1.f, g[2 * i]);
      if (g[2 * i + 1]) be->axpby(W->shape[0], 1.f, db + ob, 1.f, g[2 * i + 1]);
      ow += W->size, ob += W->shape[0];
    }
  }
  PetscCall(PetscLogEventEnd(ev_tconv, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode token_conv(NeopTape *t, NeopTensor *x, const int S[2], int nconv, NeopTensor *const *Wb, NeopTensor **y)
{
  NeopTensor   *in[5] = {x};
  NeopTapeNode *node;
  Stacked       st;
  int           shape[3] = {0, 0, 0};
  char          bx[96], bw[96];

  PetscFunctionBegin;
  if (!ev_tconv) PetscCall(NeopLogEvent("NeopTokenConv", &ev_tconv));
  PetscCheck(x->ndim == 3 && S[0] >= 1 && S[1] >= 1 && (int64_t)S[0] * S[1] == x->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "token conv: x %s is not (N, %d x %d points, C)", NeopTensorShapeString(x, bx, sizeof(bx)), S[0], S[1]);
  for (int i = 0; i < nconv; i++) {
    NeopTensor *W = Wb[2 * i], *b = Wb[2 * i + 1];
    PetscCheck(W->ndim == 4 && W->shape[1] == x->shape[2] && W->shape[2] == W->shape[3] && W->shape[2] % 2 == 1 &&
                 W->shape[2] == Wb[0]->shape[2],
               PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "token conv: W %s must be (Cout, %d, k, k) with k odd (one k for all) for x %s",
               NeopTensorShapeString(W, bw, sizeof(bw)), x->shape[2], NeopTensorShapeString(x, bx, sizeof(bx)));
    PetscCheck((!b && nconv == 1) || (b && b->ndim == 1 && b->shape[0] == W->shape[0]), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
               "token conv: bias of %d values for %d outputs (two convs need both biases)", b ? b->shape[0] : 0, W->shape[0]);
    shape[2] += W->shape[0];
    in[1 + 2 * i] = W;
    in[2 + 2 * i] = b;
  }
  shape[0] = x->shape[0];
  shape[1] = x->shape[1];
  PetscCall(PetscLogEventBegin(ev_tconv, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, 3, shape, y));
  PetscCall(stack(t, nconv, Wb, PETSC_TRUE, &st));
  NeopBackendGet()->attention->token_conv_forward(shape[0], S[0], S[1], x->shape[2], shape[2], Wb[0]->shape[2], x->data, st.W, st.b,
                                                  (*y)->data);
  PetscCall(NeopTapeRecord(t, "token_conv", token_conv_backward, 1 + 2 * nconv, in, *y, &node));
  if (node) {
    node->ints[0] = S[0];
    node->ints[1] = S[1];
    node->ints[2] = nconv;
    PetscCall(NeopTapeAlloc(t, sizeof(Stacked), &node->ctx));
    *(Stacked *)node->ctx = st;
  }
  PetscCall(PetscLogEventEnd(ev_tconv, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpTokenConv(NeopTape *t, NeopTensor *x, const int S[2], NeopTensor *W, NeopTensor *b, NeopTensor **y)
{
  NeopTensor *Wb[2] = {W, b};

  PetscFunctionBegin;
  PetscCall(token_conv(t, x, S, 1, Wb, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpTokenConvPair(NeopTape *t, NeopTensor *x, const int S[2], NeopTensor *W1, NeopTensor *b1, NeopTensor *W2,
                                   NeopTensor *b2, NeopTensor **y)
{
  NeopTensor *Wb[4] = {W1, b1, W2, b2};

  PetscFunctionBegin;
  PetscCall(token_conv(t, x, S, 2, Wb, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
