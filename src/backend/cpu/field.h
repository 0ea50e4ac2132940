/* Internals of the CPU field kernels (include/neop/nn/field_kernels.h). */
#pragma once
#include "backend/cpu/cpu.h"

/* C rows of n elements, row c at offset c ld: z += b[c] (b may be NULL), y = act(z),
   d = act'(z) when d is not NULL (d may be z; y may be z when d is NULL).
   Channel-parallel above 65536 elements (serial inside a parallel region). */
void neop_cpu_field_act_rows(int C, int64_t n, int64_t ld, const float *b, NeopUnaryKind act, float *z, float *y, float *d);
PetscErrorCode neop_cpu_field_linear_act(int N, int cin, int cout, int64_t P, const float *W, const float *x, float beta, const float *b,
                                   NeopUnaryKind act, float *z, float *y, float *dact);
PetscErrorCode neop_cpu_field_add_linear_act(int N, int cin, int cout, int64_t P, const float *W, const float *x, const float *z0,
                                             const float *b, NeopUnaryKind act, float *z, float *y, float *dact);
PetscErrorCode neop_cpu_field_linear_backward(int N, int cin, int cout, int64_t P, const float *W, const float *x, const float *dact, float *g,
                                              float beta_dx, float *dx, float *dW, float *db);
PetscErrorCode neop_cpu_field_mlp_forward(int N, int cin, int cmid, int cout, int64_t P, const float *W1, const float *b1, NeopUnaryKind act,
                                    const float *W2, const float *b2, const float *x, float *h, float *dact, float *y);
PetscErrorCode neop_cpu_field_mlp_backward(int N, int cin, int cmid, int cout, int64_t P, const float *W1, const float *W2, const float *x,
                                     const float *h, const float *dact, const float *dy, float beta_dx, float *dx, float *dW1, float *db1,
                                           float *dW2);
