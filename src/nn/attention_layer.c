/* Multi-head attention layers: projections around one fused attention op.
     softmax:  Wo softmax-attention(Wq x, Wk x, Wv x)
     galerkin: Wo (Q (LN_h(K)^T LN_h(V)) / n), LN_h one layer norm per head (Cao 2021)
     norm:     Wo LN(phi(Q) (phi(K)^T V)), phi = 1 + elu (TransNormer, Qin 2022)
     physics:  Wo physics-attention(Wx x, Wf x) (Transolver, Wu 2024) */
#include <neop/nn/transformer.h>

#define NEOP_LN_EPS 1e-5

const char *const NeopAttentionTypes[] = {"softmax", "galerkin", "norm", "physics", "NeopAttentionType", "NEOP_ATTN_", NULL};

/* a k x k convolution width -> width with bias, PyTorch's Conv2d default init (fan_in width k^2) */
static PetscErrorCode conv_setup(NeopParams *p, const char *name, int width, int k, NeopTensor **W, NeopTensor **b)
{
  char buf[80];
  int  ws[4] = {width, width, k, k};

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.weight", name));
  PetscCall(NeopParamsAdd(p, buf, 4, ws, NeopInitTorchLinear(width * k * k), W));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.bias", name));
  PetscCall(NeopParamsAdd(p, buf, 1, &width, NeopInitTorchLinear(width * k * k), b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode attention_setup(NeopAttentionLayer *a, NeopParams *p, const char *name, NeopAttentionType type, int width,
                                      int heads, int slices, int kernel, NeopTransformerInit init)
{
  char buf[64];

  PetscFunctionBegin;
  PetscCheck(heads >= 1 && width % heads == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "attention %s: width %d is not a multiple of %d heads", name, width, heads);
  PetscCall(PetscMemzero(a, sizeof(*a)));
  a->type   = type;
  a->width  = width;
  a->heads  = heads;
  a->dh     = width / heads;
  a->slices = slices;
  a->conv   = kernel;
  if (type == NEOP_ATTN_PHYSICS) {
    int      s3[3] = {3, a->dh, a->dh};
    NeopInit wi    = init.std > 0 ? (NeopInit){NEOP_INIT_NORMAL, 0, init.std, a->dh, a->dh} : NeopInitTorchLinear(a->dh);
    PetscCheck(slices >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "attention %s: %d slices, need >= 1", name, slices);
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.in_x", name));
    if (kernel) PetscCall(conv_setup(p, buf, width, kernel, &a->Wx, &a->bx));
    else PetscCall(NeopTransformerLinearSetUp(p, buf, width, width, PETSC_TRUE, init, &a->Wx, &a->bx));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.in_fx", name));
    if (kernel) PetscCall(conv_setup(p, buf, width, kernel, &a->Wf, &a->bf));
    else PetscCall(NeopTransformerLinearSetUp(p, buf, width, width, PETSC_TRUE, init, &a->Wf, &a->bf));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.slice", name));
    PetscCall(NeopTransformerLinearSetUp(p, buf, slices, a->dh, PETSC_TRUE, init, &a->Ws, &a->bs));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.temperature", name));
    PetscCall(NeopParamsAdd(p, buf, 1, &heads, NeopInitConst(0.5), &a->temp));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.qkv", name));
    PetscCall(NeopParamsAdd(p, buf, 3, s3, wi, &a->Wqkv));
  } else {
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.q", name));
    PetscCall(NeopTransformerLinearSetUp(p, buf, width, width, PETSC_TRUE, init, &a->Wq, &a->bq));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.k", name));
    PetscCall(NeopTransformerLinearSetUp(p, buf, width, width, PETSC_TRUE, init, &a->Wk, &a->bk));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.v", name));
    PetscCall(NeopTransformerLinearSetUp(p, buf, width, width, PETSC_TRUE, init, &a->Wv, &a->bv));
    if (type == NEOP_ATTN_GALERKIN) {
      PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.norm_k", name));
      PetscCall(NeopLayerNormSetUp(&a->nk, p, buf, heads, a->dh, NEOP_LN_EPS));
      PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.norm_v", name));
      PetscCall(NeopLayerNormSetUp(&a->nv, p, buf, heads, a->dh, NEOP_LN_EPS));
    } else if (type == NEOP_ATTN_NORM) {
      PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.norm_out", name));
      PetscCall(NeopLayerNormSetUp(&a->no, p, buf, 1, width, NEOP_LN_EPS));
    }
  }
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.out", name));
  PetscCall(NeopTransformerLinearSetUp(p, buf, width, width, PETSC_TRUE, init, &a->Wo, &a->bo));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopAttentionLayerSetUp(NeopAttentionLayer *a, NeopParams *p, const char *name, NeopAttentionType type,
                                       int width, int heads, int slices, NeopTransformerInit init)
{
  PetscFunctionBegin;
  PetscCall(attention_setup(a, p, name, type, width, heads, slices, 0, init));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopAttentionLayerSetUpConv(NeopAttentionLayer *a, NeopParams *p, const char *name, int width, int heads, int slices,
                                           int kernel, NeopTransformerInit init)
{
  PetscFunctionBegin;
  PetscCheck(kernel >= 1 && kernel % 2 == 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
             "attention %s: conv projection kernel %d must be odd and positive", name, kernel);
  PetscCall(attention_setup(a, p, name, NEOP_ATTN_PHYSICS, width, heads, slices, kernel, init));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Transolver's structured-mesh projections: k x k convs over the (S0, S1)
   grid, run in the token layout: xf (N, S0 S1, 2 width) = [conv_x(x), conv_fx(x)] */
static PetscErrorCode conv_projections(NeopAttentionLayer *a, NeopTape *t, NeopTensor *x, NeopTensor **xf)
{
  char buf[64];

  PetscFunctionBegin;
  PetscCheck(x->ndim == 3 && (int64_t)a->grid[0] * a->grid[1] == x->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "attention: conv projections need the 2-D grid of the tokens: %s tokens, grid %d x %d (NeopTransformerSetGrid)",
             NeopTensorShapeString(x, buf, sizeof(buf)), a->grid[0], a->grid[1]);
  PetscCall(NeopOpTokenConvPair(t, x, a->grid, a->Wx, a->bx, a->Wf, a->bf, xf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopAttentionLayerForward(NeopAttentionLayer *a, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  NeopTensor *q, *k, *v, *o, *kn, *vn, *on;

  PetscFunctionBegin;
  if (a->type == NEOP_ATTN_PHYSICS) {
    if (a->conv) {
      PetscCall(conv_projections(a, t, x, &q));
      v = NULL;
    } else {
      PetscCall(NeopOpLinear(t, x, a->Wx, a->bx, &q));
      PetscCall(NeopOpLinear(t, x, a->Wf, a->bf, &v));
    }
    PetscCall(NeopOpPhysicsAttention(t, q, v, a->Ws, a->bs, a->temp, a->Wqkv, a->heads, &o));
  } else {
    PetscCall(NeopOpLinear(t, x, a->Wq, a->bq, &q));
    PetscCall(NeopOpLinear(t, x, a->Wk, a->bk, &k));
    PetscCall(NeopOpLinear(t, x, a->Wv, a->bv, &v));
    switch (a->type) {
    case NEOP_ATTN_SOFTMAX:
      PetscCall(NeopOpAttention(t, q, k, v, a->heads, &o));
      break;
    case NEOP_ATTN_GALERKIN:
      PetscCall(NeopLayerNormForward(&a->nk, t, k, &kn));
      PetscCall(NeopLayerNormForward(&a->nv, t, v, &vn));
      PetscCall(NeopOpLinearAttention(t, NEOP_LINATT_GALERKIN, q, kn, vn, a->heads, &o));
      break;
    case NEOP_ATTN_NORM:
      PetscCall(NeopOpLinearAttention(t, NEOP_LINATT_ELU, q, k, v, a->heads, &on));
      PetscCall(NeopLayerNormForward(&a->no, t, on, &o));
      break;
    default:
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "attention: unknown type %d", (int)a->type);
    }
  }
  PetscCall(NeopOpLinear(t, o, a->Wo, a->bo, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
