/* MgConv: the linear V-cycle of MgNO (He, Liu, Xu, ICLR 2024), 1-D or 2-D.
   With f the input (N, cf, *S) and u the output (N, cu, *S):
     level 0:    u = S f, then u += S (f - A u) for the remaining pre-smoothing steps
     going down: u_l = Pi u_(l-1), f_l = R f_(l-1)            (3x3 stride-2 convs)
                 (with residual restriction: f_l = R (f_(l-1) - A u_(l-1)))
                 then pre[l] steps u_l += S (f_l - A u_l)
     going up:   u_l += P u_(l+1)   (transposed conv, stride 2, padding 1, kernel
                 4 - (n_l mod 2) per dim so that it lands on the extent n_l),
                 then post[l] steps u_l += S (f_l - A u_l)
   S: 3x3 conv f -> u, A: 3x3 conv u -> f, every step its own weights, no
   biases; smoothing and restriction convs pad with the chosen mode, the
   transposed convs with zeros (as torch's ConvTranspose). Level extents:
   n_(l+1) = ceil(n_l / 2). Not collective. */
#pragma once
#include <neop/nn/conv.h>
#include <neop/params.h>

#define NEOP_MG_MAX_LEVELS 12

typedef struct {
  int         dim;                         /* 1 or 2 */
  int         levels;
  int         cu, cf;                      /* channels of u and of f */
  int         pre[NEOP_MG_MAX_LEVELS];     /* pre-smoothing steps per level, pre[0] >= 1 */
  int         post[NEOP_MG_MAX_LEVELS];    /* post-smoothing steps, 0 on the coarsest level */
  int         grid[2];                     /* the finest extents the prolongations are built for */
  NeopPadMode mode;
  PetscBool   residual_restriction;
} NeopMgConvConfig;

typedef struct {
  int         extent[2];                   /* grid of this level */
  NeopTensor **preS, **preA;               /* [pre]; preA[0] is NULL on level 0 (u = S f) */
  NeopTensor **postS, **postA;             /* [post] */
  NeopTensor *Pi, *R, *Ares;               /* restriction into this level (l > 0); Ares: residual restriction */
  NeopTensor *P;                           /* prolongation from level l + 1 (l < levels - 1), (cu, cu, *k) */
  int         pkernel[2];
} NeopMgLevel;

typedef struct NeopMgConv_s {
  NeopMgConvConfig cfg;
  NeopMgLevel     *level;                  /* [levels] */
} *NeopMgConv;

/* Checks cfg and declares the parameters as "<prefix>level<l>.pre<i>.S" etc. */
PetscErrorCode NeopMgConvCreate(NeopParams *params, const char *prefix, const NeopMgConvConfig *cfg, NeopMgConv *mg);
/* u (N, cu, *S) = V-cycle applied to f (N, cf, *S). */
PetscErrorCode NeopMgConvForward(NeopMgConv mg, NeopTape *t, NeopTensor *f, NeopTensor **u);
PetscErrorCode NeopMgConvDestroy(NeopMgConv *mg);
