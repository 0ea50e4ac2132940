/* The Fourier layer of FNO as one op:

     y = act(SpectralConv(v; w) + W v + b)      v, y (N, C, *S), W (C, C), b (C)

   The same function as NeopOpSpectralConv + NeopOpChannelLinear + NeopOpAdd +
   NeopOpUnary, with a quarter of their memory: it keeps act'(z) (z the
   pre-activation, the derivative computed in the forward's pass over z) and
   y (y alone when act is the identity) instead of four tensors and their four
   gradients. The backward overwrites y's gradient with dz = dy act'(z), so a
   tape holding it is back-propagated once (as every training step does). */
#pragma once
#include <neop/nn/spectral_conv.h>

/* nw = NeopSpectralCorners(dim) corner weights; W (Cout, Cin), b (Cout) or NULL;
   Cout = Cin of the next layer = the spectral weights' cout. Not collective. */
PetscErrorCode NeopOpFourierLayer(NeopTape *t, NeopSpectralMethod method, NeopTensor *v, int nw, NeopTensor *const *w, NeopTensor *W,
                                  NeopTensor *b, NeopUnaryKind act, NeopTensor **y);
