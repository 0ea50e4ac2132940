/* "mlp": a point-wise multilayer perceptron over the channels of a field,
   (N, Cin, *S) -> (N, Cout, *S): the same network at every grid point, as
   torch.nn.Sequential(Linear(Cin, W), act, ..., Linear(W, Cout)) applied to
   the channel vector. The small model of the core tests and examples. */
#include <neop/models.h>
#include <neop/ops.h>

typedef struct {
  int           width, depth;   /* depth: hidden layers; depth + 1 linear maps */
  NeopUnaryKind act;
  NeopTensor  **W;              /* [depth + 1] fc<i>.weight (out, in) */
  NeopTensor  **b;              /* [depth + 1] fc<i>.bias (out) */
} MLP;

static PetscErrorCode mlp_setfromoptions(NeopModel m, PetscOptionItems *PetscOptionsObject)
{
  MLP     *mlp   = (MLP *)m->data;
  PetscInt width = mlp->width, depth = mlp->depth;
  char     act[32];

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(act, NeopUnaryKindName(mlp->act), sizeof(act)));
  PetscCall(PetscOptionsInt("-width", "hidden channels", NULL, width, &width, NULL));
  PetscCall(PetscOptionsInt("-depth", "hidden layers (linear maps - 1)", NULL, depth, &depth, NULL));
  PetscCall(PetscOptionsString("-activation", "activation after each hidden layer", NULL, act, act, sizeof(act), NULL));
  PetscCheck(width >= 1, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%swidth %d: must be positive", m->prefix, (int)width);
  PetscCheck(depth >= 0 && depth <= 64, m->comm, PETSC_ERR_ARG_OUTOFRANGE, "-%sdepth %d: must be in [0, 64]", m->prefix, (int)depth);
  PetscCall(NeopUnaryKindFromName(act, &mlp->act));
  mlp->width = (int)width;
  mlp->depth = (int)depth;
  PetscCall(NeopModelRecordOption(m, "-mlp_width", "%d", mlp->width));
  PetscCall(NeopModelRecordOption(m, "-mlp_depth", "%d", mlp->depth));
  PetscCall(NeopModelRecordOption(m, "-mlp_activation", "%s", NeopUnaryKindName(mlp->act)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mlp_setup(NeopModel m)
{
  MLP *mlp = (MLP *)m->data;
  int  L   = mlp->depth + 1;

  PetscFunctionBegin;
  PetscCall(PetscCalloc2(L, &mlp->W, L, &mlp->b));
  for (int i = 0; i < L; i++) {
    int  cin = i == 0 ? m->in_channels : mlp->width, cout = i == L - 1 ? m->out_channels : mlp->width;
    int  wshape[2] = {cout, cin};
    char name[64];
    /* torch.nn.Linear's default: weight and bias U(-1/sqrt(in), 1/sqrt(in)) */
    PetscCall(PetscSNPrintf(name, sizeof(name), "fc%d.weight", i));
    PetscCall(NeopParamsAdd(m->params, name, 2, wshape, NeopInitTorchLinear(cin), &mlp->W[i]));
    PetscCall(PetscSNPrintf(name, sizeof(name), "fc%d.bias", i));
    PetscCall(NeopParamsAdd(m->params, name, 1, &cout, NeopInitTorchLinear(cin), &mlp->b[i]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mlp_forward(NeopModel m, NeopTape *tape, NeopTensor *x, NeopTensor **y)
{
  MLP        *mlp = (MLP *)m->data;
  NeopTensor *h   = x; /* (N, width, *S) between layers */

  PetscFunctionBegin;
  for (int i = 0; i < mlp->depth; i++) {
    PetscCall(NeopOpChannelLinear(tape, h, mlp->W[i], mlp->b[i], &h));
    PetscCall(NeopOpUnary(tape, mlp->act, h, &h));
  }
  PetscCall(NeopOpChannelLinear(tape, h, mlp->W[mlp->depth], mlp->b[mlp->depth], y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mlp_view(NeopModel m, PetscViewer viewer)
{
  MLP *mlp = (MLP *)m->data;

  PetscFunctionBegin;
  PetscCall(PetscViewerASCIIPrintf(viewer, "point-wise MLP: %d hidden layers of %d channels, %s\n", mlp->depth, mlp->width,
                                   NeopUnaryKindName(mlp->act)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode mlp_destroy(NeopModel m)
{
  MLP *mlp = (MLP *)m->data;

  PetscFunctionBegin;
  PetscCall(PetscFree2(mlp->W, mlp->b));
  PetscCall(PetscFree(m->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopModelCreate_MLP(NeopModel m)
{
  MLP *mlp;

  PetscFunctionBegin;
  PetscCall(PetscNew(&mlp));
  mlp->width              = 64;
  mlp->depth              = 2;
  mlp->act                = NEOP_UNARY_GELU;
  m->data                 = mlp;
  m->ops.setfromoptions   = mlp_setfromoptions;
  m->ops.setup            = mlp_setup;
  m->ops.forward          = mlp_forward;
  m->ops.view             = mlp_view;
  m->ops.destroy          = mlp_destroy;
  PetscFunctionReturn(PETSC_SUCCESS);
}
