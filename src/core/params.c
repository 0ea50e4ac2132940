#include <neop/params.h>
#include <neop/backend.h>
#include <neop/rng.h>
#include <math.h>

PetscErrorCode NeopParamsCreate(NeopParams **p)
{
  PetscFunctionBegin;
  PetscCall(PetscNew(p));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopParamsDestroy(NeopParams **p)
{
  PetscFunctionBegin;
  if (!*p) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*p)->data) PetscCall(NeopBackendGet()->free((*p)->data));
  if ((*p)->grad) PetscCall(NeopBackendGet()->free((*p)->grad));
  for (int i = 0; i < (*p)->n; i++) PetscCall(PetscFree((*p)->list[i]));
  PetscCall(PetscFree((*p)->list));
  PetscCall(PetscFree(*p));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopParamsAdd(NeopParams *p, const char *name, int ndim, const int *shape, NeopInit init, NeopTensor **t)
{
  NeopParam *q;

  PetscFunctionBegin;
  PetscCheck(!p->finalized, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "parameter %s added after finalize", name);
  PetscCheck(strlen(name) < sizeof(q->name), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "parameter name too long: %s", name);
  for (int i = 0; i < p->n; i++)
    PetscCheck(strcmp(p->list[i]->name, name), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "parameter %s declared twice", name);
  if (p->n == p->cap) {
    p->cap = p->cap ? 2 * p->cap : 32;
    PetscCall(PetscRealloc(sizeof(NeopParam *) * (size_t)p->cap, &p->list));
  }
  PetscCall(PetscNew(&q)); /* one allocation each: *t stays valid */
  p->list[p->n++] = q;
  PetscCall(PetscStrncpy(q->name, name, sizeof(q->name)));
  PetscCall(NeopTensorSetShape(&q->tensor, ndim, shape));
  q->tensor.is_param      = PETSC_TRUE;
  q->tensor.requires_grad = PETSC_TRUE;
  q->offset               = p->total;
  q->init                 = init;
  /* keep every parameter 16-float aligned for vector loads */
  p->total += (q->tensor.size + 15) / 16 * 16;
  if (t) *t = &q->tensor;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void init_values(const NeopInit *in, NeopRng *r, int64_t n, float *v)
{
  double lo = 0, hi = 0;
  switch (in->kind) {
  case NEOP_INIT_ZERO:
    for (int64_t i = 0; i < n; i++) v[i] = 0;
    return;
  case NEOP_INIT_CONST:
    for (int64_t i = 0; i < n; i++) v[i] = (float)in->a;
    return;
  case NEOP_INIT_NORMAL:
    for (int64_t i = 0; i < n; i++) v[i] = (float)(in->a + in->b * NeopRngNormal(r));
    return;
  case NEOP_INIT_KAIMING:
    for (int64_t i = 0; i < n; i++) v[i] = (float)(sqrt(2.0 / in->fan_in) * NeopRngNormal(r));
    return;
  case NEOP_INIT_UNIFORM:
    lo = in->a, hi = in->b;
    break;
  case NEOP_INIT_TORCH_LINEAR:
    hi = 1.0 / sqrt((double)in->fan_in), lo = -hi;
    break;
  case NEOP_INIT_XAVIER:
    hi = in->a * sqrt(6.0 / (in->fan_in + in->fan_out)), lo = -hi;
    break;
  }
  for (int64_t i = 0; i < n; i++) v[i] = (float)(lo + (hi - lo) * NeopRngUniform(r));
}

PetscErrorCode NeopParamsFinalize(NeopParams *p, uint64_t seed)
{
  const NeopBackend *be = NeopBackendGet();
  float             *host;

  PetscFunctionBegin;
  PetscCheck(!p->finalized, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "parameters finalized twice");
  PetscCall(be->alloc((size_t)p->total * sizeof(float) + 64, (void **)&p->data));
  PetscCall(be->alloc((size_t)p->total * sizeof(float) + 64, (void **)&p->grad));
  PetscCall(PetscCalloc1(p->total + 1, &host));
  for (int i = 0; i < p->n; i++) {
    NeopParam *q = p->list[i];
    NeopRng    r;
    NeopRngInit(&r, seed, NEOP_RNG_INIT, (uint64_t)i);
    init_values(&q->init, &r, q->tensor.size, host + q->offset);
    q->tensor.data = p->data + q->offset;
    q->tensor.grad = p->grad + q->offset;
  }
  PetscCall(be->from_host(p->data, host, (size_t)p->total * sizeof(float)));
  PetscCall(PetscFree(host));
  p->finalized = PETSC_TRUE;
  PetscCall(NeopParamsZeroGrad(p));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopParamsAddLinear(NeopParams *p, const char *name, int in, int out, NeopTensor **W, NeopTensor **b)
{
  char n[64];
  int  ws[2] = {out, in};

  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(n, sizeof(n), "%s.weight", name));
  PetscCall(NeopParamsAdd(p, n, 2, ws, NeopInitTorchLinear(in), W));
  PetscCall(PetscSNPrintf(n, sizeof(n), "%s.bias", name));
  PetscCall(NeopParamsAdd(p, n, 1, &out, NeopInitTorchLinear(in), b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopParamsZeroGrad(NeopParams *p)
{
  PetscFunctionBegin;
  PetscCall(NeopBackendGet()->zero(p->grad, (size_t)p->total * sizeof(float)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopParamsFind(NeopParams *p, const char *name, NeopParam **param)
{
  PetscFunctionBegin;
  *param = NULL;
  for (int i = 0; i < p->n; i++)
    if (!strcmp(p->list[i]->name, name)) *param = p->list[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}
