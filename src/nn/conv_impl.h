/* Shared by the convolution ops (src/nn/conv.c, conv_transpose.c, padding.c). */
#pragma once
#include <neop/nn/conv.h>

/* A scratch buffer of at least 'floats' floats, reused by every conv op (ops
   run one at a time); it only grows, so a training loop stops allocating
   after its first step. Not collective. */
PetscErrorCode neop_conv_work(size_t floats, float **work);
/* Checks that padding 'p' of mode 'mode' fits an extent n (torch's rules). */
PetscErrorCode neop_conv_check_pad(const char *op, NeopPadMode mode, int p, int n);
