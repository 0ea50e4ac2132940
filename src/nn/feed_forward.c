/* Feed-forward layers: the GELU MLP W2 GELU(W1 x + b1) + b2 and the gated
   variants (GEGLU, SwiGLU: Shazeer 2020) W2 (act(W1a x) * W1b x) + b2, with
   the gate product as one fused op. */
#include <neop/nn/transformer.h>
#include <neop/log.h>

static PetscLogEvent ev_glu;

const char *const NeopFFNTypes[] = {"gelu", "geglu", "swiglu", "NeopFFNType", "NEOP_FFN_", NULL};

static PetscErrorCode glu_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *h = n->in[0];
  int         F = h->shape[h->ndim - 1] / 2;
  float      *dh;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_glu, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, h, &dh));
  NeopBackendGet()->attention->glu_backward((NeopUnaryKind)n->ints[0], h->size / (2 * F), F, h->data, n->out->grad, dh);
  PetscCall(PetscLogEventEnd(ev_glu, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpGLU(NeopTape *t, NeopUnaryKind act, NeopTensor *h, NeopTensor **y)
{
  NeopTapeNode *node;
  int           shape[NEOP_MAX_DIMS], F;
  char          bh[96];

  PetscFunctionBegin;
  if (!ev_glu) PetscCall(NeopLogEvent("NeopGLU", &ev_glu));
  PetscCheck(h->ndim >= 1 && h->shape[h->ndim - 1] % 2 == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "glu: the last dim of %s must be even", NeopTensorShapeString(h, bh, sizeof(bh)));
  F = h->shape[h->ndim - 1] / 2;
  for (int d = 0; d < h->ndim; d++) shape[d] = h->shape[d];
  shape[h->ndim - 1] = F;
  PetscCall(PetscLogEventBegin(ev_glu, 0, 0, 0, 0));
  PetscCall(NeopTapeTensor(t, h->ndim, shape, y));
  NeopBackendGet()->attention->glu_forward(act, h->size / (2 * F), F, h->data, (*y)->data);
  PetscCall(NeopTapeRecord(t, "glu", glu_backward, 1, &h, *y, &node));
  if (node) node->ints[0] = (int)act;
  PetscCall(PetscLogEventEnd(ev_glu, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* weight (out, in) and bias (out) of a Linear layer named 'name' */
PetscErrorCode NeopTransformerLinearSetUp(NeopParams *p, const char *name, int out, int in, PetscBool bias,
                                          NeopTransformerInit init, NeopTensor **W, NeopTensor **b)
{
  char     buf[64];
  int      shape[2] = {out, in};
  NeopInit wi       = init.std > 0 ? (NeopInit){NEOP_INIT_NORMAL, 0, init.std, in, out} : NeopInitTorchLinear(in);
  NeopInit bi       = init.std > 0 ? NeopInitConst(0.0) : NeopInitTorchLinear(in);

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.weight", name));
  PetscCall(NeopParamsAdd(p, buf, 2, shape, wi, W));
  if (bias) {
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.bias", name));
    PetscCall(NeopParamsAdd(p, buf, 1, &out, bi, b));
  } else if (b) *b = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFeedForwardSetUp(NeopFeedForward *f, NeopParams *p, const char *name, NeopFFNType type, int width,
                                    int hidden, NeopTransformerInit init)
{
  char buf[64];

  PetscFunctionBegin;
  PetscCheck(hidden >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "feed-forward %s: hidden width %d must be positive", name, hidden);
  f->type   = type;
  f->width  = width;
  f->hidden = hidden;
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.fc1", name));
  PetscCall(NeopTransformerLinearSetUp(p, buf, type == NEOP_FFN_GELU ? hidden : 2 * hidden, width, PETSC_TRUE, init, &f->W1, &f->b1));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.fc2", name));
  PetscCall(NeopTransformerLinearSetUp(p, buf, width, hidden, PETSC_TRUE, init, &f->W2, &f->b2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFeedForwardForward(NeopFeedForward *f, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  NeopTensor *h, *g;

  PetscFunctionBegin;
  PetscCall(NeopOpLinear(t, x, f->W1, f->b1, &h));
  switch (f->type) {
  case NEOP_FFN_GELU:
    PetscCall(NeopOpUnary(t, NEOP_UNARY_GELU, h, &g));
    break;
  case NEOP_FFN_GEGLU:
    PetscCall(NeopOpGLU(t, NEOP_UNARY_GELU, h, &g));
    break;
  case NEOP_FFN_SWIGLU:
    PetscCall(NeopOpGLU(t, NEOP_UNARY_SILU, h, &g));
    break;
  default:
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "feed-forward: unknown type %d", (int)f->type);
  }
  PetscCall(NeopOpLinear(t, g, f->W2, f->b2, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
