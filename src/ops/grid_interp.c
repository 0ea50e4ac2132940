/* Values of node fields at arbitrary points of [0,1]^d (multilinear or
   nearest node): the coefficient a(x) of a PDE at quadrature points. */
#include <neop/nn/onet.h>
#include <neop/log.h>

static PetscLogEvent ev_interp;

static PetscErrorCode grid_interp_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor *g = n->in[0], *pts = (NeopTensor *)n->ctx;
  int         d = g->ndim - 2, S[3];
  float      *dg;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_interp, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, g, &dg));
  for (int k = 0; k < d; k++) S[k] = g->shape[2 + k];
  if (dg) NeopBackendGet()->onet->grid_interp_backward(g->shape[0] * g->shape[1], d, S, pts->shape[0], n->ints[0], pts->data, n->out->grad, dg);
  PetscCall(PetscLogEventEnd(ev_interp, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpGridInterp(NeopTape *t, NeopTensor *g, NeopTensor *pts, PetscBool nearest, NeopTensor **y)
{
  int           d = g->ndim - 2, S[3], shape[3];
  NeopTapeNode *node;
  char          bg[96], bp[96];

  PetscFunctionBegin;
  if (!ev_interp) PetscCall(NeopLogEvent("NeopGridInterp", &ev_interp));
  PetscCheck(d >= 1 && d <= 3 && pts->ndim == 2 && pts->shape[1] == d, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "grid_interp: fields %s (N, C, *S) with 1-3 spatial dims and points %s (P, d) do not match",
             NeopTensorShapeString(g, bg, sizeof(bg)), NeopTensorShapeString(pts, bp, sizeof(bp)));
  for (int k = 0; k < d; k++) {
    S[k] = g->shape[2 + k];
    PetscCheck(S[k] >= 2, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "grid_interp: %d nodes in dim %d, need >= 2", S[k], k);
  }
  PetscCall(PetscLogEventBegin(ev_interp, 0, 0, 0, 0));
  shape[0] = g->shape[0];
  shape[1] = g->shape[1];
  shape[2] = pts->shape[0];
  PetscCall(NeopTapeTensor(t, 3, shape, y));
  NeopBackendGet()->onet->grid_interp(g->shape[0] * g->shape[1], d, S, pts->shape[0], nearest ? 1 : 0, pts->data, g->data, (*y)->data);
  /* only g is differentiated: record with g alone so that points never need a gradient */
  PetscCall(NeopTapeRecord(t, "grid_interp", grid_interp_backward, 1, &g, *y, &node));
  if (node) {
    node->ctx     = pts;
    node->ints[0] = nearest ? 1 : 0;
  }
  PetscCall(PetscLogEventEnd(ev_interp, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
