/* Layer norm as one fused op (mean, variance, scale and shift in one pass
   over each row; backward in one pass too), and the layer that owns its
   parameters. */
#include <neop/nn/transformer.h>
#include <neop/log.h>

static PetscLogEvent ev_ln;

static PetscErrorCode layer_norm_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *x = n->in[0], *g = n->in[1], *b = n->in[2];
  int         G = n->ints[0], C = n->ints[1];
  int64_t     rows = x->size / ((int64_t)G * C);
  float      *mean = (float *)n->ctx, *rstd = mean + rows * G; /* (rows G) each */
  float      *dx, *dg, *db;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_ln, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  PetscCall(NeopTapeGrad(t, g, &dg));
  PetscCall(NeopTapeGrad(t, b, &db));
  NeopBackendGet()->attention->layer_norm_backward(rows, G, C, x->data, g->data, mean, rstd, n->out->grad, dx, dg, db);
  PetscCall(PetscLogEventEnd(ev_ln, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpLayerNorm(NeopTape *t, NeopTensor *x, int groups, NeopTensor *gamma, NeopTensor *beta, double eps,
                               NeopTensor **y)
{
  NeopTensor   *in[3] = {x, gamma, beta};
  NeopTapeNode *node;
  float        *stats;
  char          bx[96];
  int           D = x->ndim ? x->shape[x->ndim - 1] : 0, C;
  int64_t       rows;

  PetscFunctionBegin;
  if (!ev_ln) PetscCall(NeopLogEvent("NeopLayerNorm", &ev_ln));
  PetscCheck(groups >= 1 && D % groups == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "layer norm: last dim of x %s is not a multiple of %d groups", NeopTensorShapeString(x, bx, sizeof(bx)), groups);
  PetscCheck(gamma->size == D && beta->size == D, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "layer norm: x %s needs weight and bias of %d values, got %lld and %lld", NeopTensorShapeString(x, bx, sizeof(bx)),
             D, (long long)gamma->size, (long long)beta->size);
  C    = D / groups;
  rows = x->size / D;
  PetscCall(PetscLogEventBegin(ev_ln, 0, 0, 0, 0));
  PetscCall(NeopTapeTensorLike(t, x, y));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * 2 * (size_t)rows * groups, (void **)&stats)); /* mean, rstd (rows G) */
  NeopBackendGet()->attention->layer_norm_forward(rows, groups, C, (float)eps, x->data, gamma->data, beta->data, (*y)->data,
                                                  stats, stats + rows * groups);
  PetscCall(NeopTapeRecord(t, "layer_norm", layer_norm_backward, 3, in, *y, &node));
  if (node) {
    node->ints[0] = groups;
    node->ints[1] = C;
    node->ctx     = stats;
  }
  PetscCall(PetscLogEventEnd(ev_ln, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopLayerNormSetUp(NeopLayerNorm *ln, NeopParams *p, const char *name, int groups, int C, double eps)
{
  char buf[64];
  int  shape = groups * C;

  PetscFunctionBegin;
  ln->groups = groups;
  ln->eps    = eps;
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.weight", name));
  PetscCall(NeopParamsAdd(p, buf, 1, &shape, NeopInitConst(1.0), &ln->weight));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%s.bias", name));
  PetscCall(NeopParamsAdd(p, buf, 1, &shape, NeopInitConst(0.0), &ln->bias));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopLayerNormForward(NeopLayerNorm *ln, NeopTape *t, NeopTensor *x, NeopTensor **y)
{
  PetscFunctionBegin;
  PetscCall(NeopOpLayerNorm(t, x, ln->groups, ln->weight, ln->bias, ln->eps, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}
