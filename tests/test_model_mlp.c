/* The "mlp" model family against PyTorch (tests/reference/mlp.py): outputs,
   parameter gradients and input gradients. */
#include "testing.h"
#include <neop/model.h>

int main(int argc, char **argv)
{
  NeopModel    m;
  NeopTape    *t;
  NeopTensor  *x, *y;
  PetscOptions db;
  float       *xr, *yr, *w, *g, *dx;
  int64_t      n;
  int          xshape[4] = {2, 3, 4, 5};

  PetscCall(NeopTestInitialize(&argc, &argv));
  PetscCall(PetscOptionsCreate(&db));
  PetscCall(PetscOptionsInsertString(db, "-model mlp -mlp_width 8 -mlp_depth 2 -mlp_activation gelu"));
  PetscCall(PetscOptionsPush(db));
  PetscCall(NeopModelCreate(PETSC_COMM_WORLD, &m));
  PetscCall(NeopModelSetShape(m, 2, 3, 2));
  PetscCall(NeopModelSetFromOptions(m));
  PetscCall(NeopModelSetUp(m));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&db));
  NeopTestCheck(m->params->n == 6 && NeopModelParameterCount(m) == 8 * 3 + 8 + 8 * 8 + 8 + 2 * 8 + 2,
                "mlp 3 -> 8 -> 8 -> 2 declares 6 parameters, %lld values", (long long)NeopModelParameterCount(m));

  /* torch's weights, by name */
  for (int i = 0; i < m->params->n; i++) {
    NeopParam *p = m->params->list[i];
    float     *v;
    PetscCall(NeopTestReadFixture("mlp.h5", p->name, &v, &n));
    NeopTestCheck(n == p->tensor.size, "fixture %s has %lld values, model %lld", p->name, (long long)n, (long long)p->tensor.size);
    PetscCall(PetscArraycpy(p->tensor.data, v, p->tensor.size));
    PetscCall(PetscFree(v));
  }

  PetscCall(NeopTapeCreate(&t));
  PetscCall(NeopTapeTensor(t, 4, xshape, &x));
  PetscCall(NeopTestReadFixture("mlp.h5", "x", &xr, &n));
  PetscCall(PetscArraycpy(x->data, xr, x->size));
  x->requires_grad = PETSC_TRUE;
  PetscCall(NeopModelForward(m, t, x, &y));
  PetscCall(NeopTestReadFixture("mlp.h5", "y", &yr, &n));
  NeopTestCheck(n == y->size, "output size %lld, torch %lld", (long long)y->size, (long long)n);
  NeopTestClose("mlp output vs torch", y->size, y->data, yr, 1e-5, 1e-6);

  /* backward of sum(y w), seeded by hand as the contraction is not an op here */
  PetscCall(NeopTestReadFixture("mlp.h5", "w", &w, &n));
  PetscCall(NeopTapeGrad(t, y, &g));
  PetscCall(PetscArraycpy(g, w, y->size));
  for (int i = t->nnodes - 1; i >= 0; i--)
    if (t->nodes[i].out->grad) PetscCall(t->nodes[i].backward(t, &t->nodes[i]));
  for (int i = 0; i < m->params->n; i++) {
    NeopParam *p = m->params->list[i];
    char       name[96];
    float     *v;
    PetscCall(PetscSNPrintf(name, sizeof(name), "grad/%s", p->name));
    PetscCall(NeopTestReadFixture("mlp.h5", name, &v, &n));
    NeopTestClose(name, p->tensor.size, p->tensor.grad, v, 1e-4, 1e-5);
    PetscCall(PetscFree(v));
  }
  PetscCall(NeopTestReadFixture("mlp.h5", "grad/x", &dx, &n));
  NeopTestClose("grad/x", x->size, x->grad, dx, 1e-4, 1e-5);

  PetscCall(PetscFree(xr));
  PetscCall(PetscFree(yr));
  PetscCall(PetscFree(w));
  PetscCall(PetscFree(dx));
  PetscCall(NeopTapeDestroy(&t));
  PetscCall(NeopModelDestroy(&m));
  return NeopTestFinalize();
}
