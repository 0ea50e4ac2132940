/* Multi-head attention layers: projections around one fused attention op.
     softmax:  Wo softmax-attention(Wq x, Wk x, Wv x)
     galerkin: Wo (Q (LN_h(K)^T LN_h(V)) / n), LN_h one layer norm per head (Cao 2021)
     norm:     Wo LN(phi(Q) (phi(K)^T V)), phi = 1 + elu (TransNormer, Qin 2022)
     physics:  Wo physics-attention(Wx x, Wf x) (Transolver, Wu 2024) */
#include <neop/nn/transformer.h>

#define NEOP_LN_EPS 1e-5

const char *const NeopAttentionTypes[] = {"softmax", "galerkin", "norm", "physics", "NeopAttentionType", "NEOP_ATTN_", NULL};

PetscErrorCode NeopAttentionLayerSetUp(NeopAttentionLayer *a, NeopParams *p, const char *name, NeopAttentionType type,
                                       int width, int heads, int slices, NeopTransformerInit init)
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
  if (type == NEOP_ATTN_PHYSICS) {
    int      s3[3] = {3, a->dh, a->dh};
    NeopInit wi    = init.std > 0 ? (NeopInit){NEOP_INIT_NORMAL, 0, init.std, a->dh, a->dh} : NeopInitTorchLinear(a->dh);
    PetscCheck(slices >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "attention %s: %d slices, need >= 1", name, slices);
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.in_x", name));
    PetscCall(NeopTransformerLinearSetUp(p, buf, width, width, PETSC_TRUE, init, &a->Wx, &a->bx));
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.in_fx", name));
    PetscCall(NeopTransformerLinearSetUp(p, buf, width, width, PETSC_TRUE, init, &a->Wf, &a->bf));
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

PetscErrorCode NeopAttentionLayerForward(NeopAttentionLayer *a, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  NeopTensor *q, *k, *v, *o, *kn, *vn, *on;

  PetscFunctionBegin;
  if (a->type == NEOP_ATTN_PHYSICS) {
    PetscCall(NeopOpLinear(t, x, a->Wx, a->bx, &q));
    PetscCall(NeopOpLinear(t, x, a->Wf, a->bf, &v));
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
