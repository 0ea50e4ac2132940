/* Pre-norm residual blocks: y = h + FFN(LN2(h)), h = x + Mix(LN1(x)), Mix = attention or spectral gating. */
#include <neop/nn/transformer.h>

PetscErrorCode NeopTransformerBlockForward(NeopTransformerBlock *b, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  NeopTensor *n1, *a, *h, *n2, *f;

  PetscFunctionBegin;
  PetscCall(NeopLayerNormForward(&b->ln1, t, x, &n1));
  PetscCall(NeopAttentionLayerForward(&b->attn, t, n1, &a));
  PetscCall(NeopOpAdd(t, x, a, &h));
  PetscCall(NeopLayerNormForward(&b->ln2, t, h, &n2));
  PetscCall(NeopFeedForwardForward(&b->ffn, t, n2, &f));
  PetscCall(NeopOpAdd(t, h, f, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopTransformerSpectralBlockForward(NeopTransformerBlock *b, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  NeopTensor *n1, *a, *h, *n2, *f;

  PetscFunctionBegin;
  PetscCall(NeopLayerNormForward(&b->ln1, t, x, &n1));
  PetscCall(NeopSpectralMixerForward(&b->spec, t, n1, &a));
  PetscCall(NeopOpAdd(t, x, a, &h));
  PetscCall(NeopLayerNormForward(&b->ln2, t, h, &n2));
  PetscCall(NeopFeedForwardForward(&b->ffn, t, n2, &f));
  PetscCall(NeopOpAdd(t, h, f, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
