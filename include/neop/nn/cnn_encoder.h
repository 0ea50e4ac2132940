/* A convolutional encoder of grid fields to a feature vector, as the
   encoders of DGenNO (Zang & Koutsourelakis 2025, Networks/CNNet.py CNNet2d):

     x (N, Cin, n, n) -> [conv k x k, stride s, no padding, act] per entry of
     channels -> flatten -> [linear, act] per hidden width -> linear -> y (N, out)

   1-D fields (N, Cin, n) use 1-D kernels. The convolutions are NeopOpConv
   (src/nn/conv.c, the kernels MgNO uses). Reference settings: DGNO on smooth
   Darcy channels 64,64,64, kernel 3, stride 2, hidden 128,128, SiLU; the
   supervised MultiONet channels 32,64,128, kernel 5, stride 2, no hidden
   layer, out 128, SiLU. Not collective unless said. */
#pragma once
#include <neop/nn/conv.h>
#include <neop/params.h>
#include <neop/model.h>

#define NEOP_CNN_MAX 8

typedef struct {
  /* configuration */
  int           nconv, channels[NEOP_CNN_MAX]; /* output channels of the convolutions */
  int           kernel, stride;
  int           nhidden, hidden[NEOP_CNN_MAX]; /* widths of the hidden linear layers (may be none) */
  NeopUnaryKind act;
  /* set up */
  int           dim, cin, n, out, flat;        /* input (N, cin, n^dim), output (N, out), flattened conv output */
  NeopTensor   *Wc[NEOP_CNN_MAX], *bc[NEOP_CNN_MAX];         /* (channels[i], in, k^dim), (channels[i]) */
  NeopTensor   *Wf[NEOP_CNN_MAX + 1], *bf[NEOP_CNN_MAX + 1]; /* (out_i, in_i), (out_i) */
} NeopCNNEncoder;

/* Reads -<sub>channels -<sub>kernel -<sub>stride -<sub>hidden (0: none) -<sub>act inside
   the model's PetscOptionsBegin and records them as "-<m->prefix><sub>...". Defaults
   come from *e. Collective. */
PetscErrorCode NeopCNNEncoderSetFromOptions(NeopCNNEncoder *e, NeopModel m, PetscOptionItems *PetscOptionsObject, const char *sub);
/* Declares "<name>.conv.<i>.weight|bias" and "<name>.fc.<i>.weight|bias" (PyTorch's
   Conv/Linear initialisation) for inputs (N, cin, n^dim), dim 1 or 2, and outputs (N, out);
   refuses sizes the convolutions shrink to nothing. */
PetscErrorCode NeopCNNEncoderSetUp(NeopCNNEncoder *e, NeopParams *p, const char *name, int dim, int cin, int n, int out);
/* y (N, out) from x (N, cin, n^dim). */
PetscErrorCode NeopCNNEncoderForward(NeopCNNEncoder *e, NeopTape *t, NeopTensor *x, NeopTensor **y);
PetscErrorCode NeopCNNEncoderView(NeopCNNEncoder *e, const char *name, PetscViewer viewer);
