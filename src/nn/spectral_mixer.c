/* Spectral token mixing for hybrid transformer stacks (SpectFormer, Patro et
   al. 2023; its spectral gating network after GFNet's global filter): the
   tokens of a structured grid go back to a field, each channel is filtered by
   learnable complex weights on the FNO's kept Fourier modes (NeopOpSpectralGate:
   rfftn, gate, irfftn; higher modes are dropped, so the weights do not depend
   on the resolution), and the field becomes tokens again. */
#include <neop/nn/transformer.h>

PetscErrorCode NeopSpectralMixerSetUp(NeopSpectralMixer *s, NeopParams *p, const char *name, int width, int dim, const int *modes,
                                      NeopSpectralMethod method)
{
  PetscFunctionBegin;
  PetscCheck(dim >= 1 && dim <= 3, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "spectral mixer %s: %d spatial dims, need 1 to 3", name, dim);
  PetscCall(PetscMemzero(s, sizeof(*s)));
  s->width  = width;
  s->dim    = dim;
  s->method = method;
  for (int i = 0; i < dim; i++) s->modes[i] = modes[i];
  PetscCall(NeopSpectralGateAddParams(p, name, dim, width, modes, 0.02, s->w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopSpectralMixerForward(NeopSpectralMixer *s, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  NeopTensor like, *f, *g;
  int        shape[5] = {x->shape[0], s->width};
  int64_t    P        = 1;
  char       buf[64];

  PetscFunctionBegin;
  for (int i = 0; i < s->dim; i++) {
    shape[2 + i] = s->grid[i];
    P *= s->grid[i];
  }
  PetscCheck(x->ndim == 3 && x->shape[2] == s->width && P >= 1 && P == x->shape[1], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "spectral token mixing needs the %d-D grid of the tokens: tokens %s, grid %d x %d x %d (NeopTransformerSetGrid; point sets have no grid)",
             s->dim, NeopTensorShapeString(x, buf, sizeof(buf)), s->grid[0], s->dim > 1 ? s->grid[1] : 1, s->dim > 2 ? s->grid[2] : 1);
  PetscCall(PetscMemzero(&like, sizeof(like)));
  PetscCall(NeopTensorSetShape(&like, 2 + s->dim, shape));
  PetscCall(NeopOpTokensToField(t, x, &like, &f)); /* (N, width, *S) */
  PetscCall(NeopOpSpectralGate(t, s->method, f, NeopSpectralCorners(s->dim), s->w, &g));
  PetscCall(NeopOpFieldToTokens(t, g, NULL, y)); /* (N, P, width) */
  PetscFunctionReturn(PETSC_SUCCESS);
}
