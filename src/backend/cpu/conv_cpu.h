/* The CPU backend's convolution kernels (table in src/backend/cpu/conv.c). */
#pragma once
#include "backend/cpu/cpu.h"
#include <neop/nn/conv.h>

void neop_cpu_pad(NeopPadMode mode, int nc, int h, int w, int ph, int pw, const float *x, float *xp);
void neop_cpu_pad_adjoint(NeopPadMode mode, int nc, int h, int w, int ph, int pw, const float *dxp, float *dx);
