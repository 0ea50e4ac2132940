/* Parameters: every weight of a model lives in one flat float buffer, with its
   gradient and optimizer moments in parallel buffers of the same length, so a
   step is one allreduce, one clip and one checkpoint write.

   A model declares its parameters (name, shape, initialiser) while it is set
   up, then NeopParamsFinalize() allocates the buffers, points every parameter
   tensor into them and draws the initial values from counter-based streams
   keyed by (seed, parameter number): independent of the rank count. */
#pragma once
#include <neop/tensor.h>

typedef enum {
  NEOP_INIT_ZERO,
  NEOP_INIT_CONST,        /* a */
  NEOP_INIT_UNIFORM,      /* U(a, b) */
  NEOP_INIT_NORMAL,       /* N(a, b^2) */
  NEOP_INIT_TORCH_LINEAR, /* U(-1/sqrt(fan_in), 1/sqrt(fan_in)): PyTorch's default for Linear/Conv */
  NEOP_INIT_XAVIER,       /* U(-g sqrt(6/(fan_in+fan_out)), +): a = gain */
  NEOP_INIT_KAIMING       /* N(0, 2/fan_in) */
} NeopInitKind;

typedef struct {
  NeopInitKind kind;
  double       a, b;
  int          fan_in, fan_out;
} NeopInit;

typedef struct {
  char       name[64];
  NeopTensor tensor;   /* views into data/grad */
  int64_t    offset;   /* into the flat buffers */
  NeopInit   init;
} NeopParam;

typedef struct NeopParams {
  int        n, cap;
  NeopParam **list;    /* [n]; each allocated once, so tensor pointers stay valid */
  int64_t    total;    /* floats in each flat buffer */
  float     *data;     /* [total] values */
  float     *grad;     /* [total] gradients (summed over ranks after the allreduce) */
  PetscBool  finalized;
} NeopParams;

/* Not collective. */
PetscErrorCode NeopParamsCreate(NeopParams **p);
PetscErrorCode NeopParamsDestroy(NeopParams **p);
/* Declares a parameter; (*t)->data and ->grad are set by Finalize. Names are unique. */
PetscErrorCode NeopParamsAdd(NeopParams *p, const char *name, int ndim, const int *shape, NeopInit init,
                             NeopTensor **t);
/* Allocates the flat buffers and initialises every parameter from 'seed'. */
PetscErrorCode NeopParamsFinalize(NeopParams *p, uint64_t seed);
/* A linear (or 1x1 conv) layer: <name>.weight (out, in) and <name>.bias (out),
   PyTorch's default initialisation. */
PetscErrorCode NeopParamsAddLinear(NeopParams *p, const char *name, int in, int out, NeopTensor **W, NeopTensor **b);
PetscErrorCode NeopParamsZeroGrad(NeopParams *p);
PetscErrorCode NeopParamsFind(NeopParams *p, const char *name, NeopParam **param);

static inline NeopInit NeopInitTorchLinear(int fan_in) { NeopInit i = {NEOP_INIT_TORCH_LINEAR, 0, 0, fan_in, 0}; return i; }
static inline NeopInit NeopInitUniform(double a, double b) { NeopInit i = {NEOP_INIT_UNIFORM, a, b, 0, 0}; return i; }
static inline NeopInit NeopInitConst(double a) { NeopInit i = {NEOP_INIT_CONST, a, 0, 0, 0}; return i; }
