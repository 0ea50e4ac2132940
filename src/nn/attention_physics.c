/* Transolver's physics attention core as one op (Wu et al., ICML 2024):
   slice, attend among the M slice tokens, deslice, for all heads at once.
   Wqkv (3, dh, dh) holds to_q, to_k and to_v (shared by the heads, no bias). */
#include <neop/nn/transformer.h>
#include <neop/log.h>

static PetscLogEvent ev_phys;

typedef struct {
  float *w, *norm, *tok, *att, *st; /* (B, H, N, M), (B, H, M), (B, H, M, dh), (B, H, M, M), (B, H, M, dh) */
} PhysicsSaved;

static PetscErrorCode physics_backward(NeopTape *t, NeopTapeNode *n)
{
  NeopTensor   *x = n->in[0], *f = n->in[1], *Ws = n->in[2], *bs = n->in[3], *temp = n->in[4], *W = n->in[5];
  PhysicsSaved *s = (PhysicsSaved *)n->ctx;
  int           B = x->shape[0], N = x->shape[1], H = n->ints[0], ldx = x->shape[2], dh = (f ? ldx : ldx / 2) / H;
  int           M = Ws->shape[0];
  int64_t       d2 = (int64_t)dh * dh;
  float        *dx, *df, *dWs, *dbs, *dtemp, *dW;

  PetscFunctionBegin;
  PetscCall(PetscLogEventBegin(ev_phys, 0, 0, 0, 0));
  PetscCall(NeopTapeGrad(t, x, &dx));
  if (f) PetscCall(NeopTapeGrad(t, f, &df));
  else df = dx ? dx + H * dh : NULL; /* packed [x | f] */
  PetscCall(NeopTapeGrad(t, Ws, &dWs));
  PetscCall(NeopTapeGrad(t, bs, &dbs));
  PetscCall(NeopTapeGrad(t, temp, &dtemp));
  PetscCall(NeopTapeGrad(t, W, &dW));
  NeopBackendGet()->attention->physics_backward(B, H, N, dh, M, ldx, x->data, f ? f->data : x->data + H * dh, Ws->data, bs->data, temp->data, W->data,
                                                W->data + d2, W->data + 2 * d2, s->w, s->norm, s->tok, s->att, s->st,
                                                n->out->grad, dx, df, dWs, dbs, dtemp, dW, dW ? dW + d2 : NULL,
                                                dW ? dW + 2 * d2 : NULL);
  PetscCall(PetscLogEventEnd(ev_phys, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopOpPhysicsAttention(NeopTape *t, NeopTensor *x, NeopTensor *f, NeopTensor *Ws, NeopTensor *bs,
                                      NeopTensor *temp, NeopTensor *Wqkv, int heads, NeopTensor **y)
{
  NeopTensor   *in[6] = {x, f, Ws, bs, temp, Wqkv};
  NeopTapeNode *node;
  PhysicsSaved *s;
  char          bx[96], bf[96], bw[96];
  int           B, N, dh, M;
  int64_t       d2;

  PetscFunctionBegin;
  if (!ev_phys) PetscCall(NeopLogEvent("NeopPhysicsAttention", &ev_phys));
  PetscCheck(x->ndim == 3 && (!f || NeopTensorSameShape(x, f)) && heads >= 1 && x->shape[2] % (f ? heads : 2 * heads) == 0,
             PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "physics attention: x %s and f %s must be one (N, tokens, heads dh) shape, or x (N, tokens, 2 heads dh) without f, with %d heads",
             NeopTensorShapeString(x, bx, sizeof(bx)), f ? NeopTensorShapeString(f, bf, sizeof(bf)) : "(none)", heads);
  dh = (f ? x->shape[2] : x->shape[2] / 2) / heads;
  PetscCheck(Ws->ndim == 2 && Ws->shape[1] == dh && bs->size == Ws->shape[0], PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "physics attention: slice weight %s must be (M, %d) with M biases (got %lld)", NeopTensorShapeString(Ws, bw, sizeof(bw)),
             dh, (long long)bs->size);
  PetscCheck(temp->size == heads && Wqkv->size == 3 * (int64_t)dh * dh, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ,
             "physics attention: %d heads of dim %d need %d temperatures (got %lld) and Wqkv (3, %d, %d) (got %lld values)", heads,
             dh, heads, (long long)temp->size, dh, dh, (long long)Wqkv->size);
  B  = x->shape[0];
  N  = x->shape[1];
  M  = Ws->shape[0];
  d2 = (int64_t)dh * dh;
  PetscCall(PetscLogEventBegin(ev_phys, 0, 0, 0, 0));
  {
    int ys[3] = {x->shape[0], x->shape[1], heads * dh};
    PetscCall(NeopTapeTensor(t, 3, ys, y));
  }
  PetscCall(NeopTapeAlloc(t, sizeof(*s), (void **)&s));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)B * heads * N * M, (void **)&s->w));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)B * heads * M, (void **)&s->norm));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)B * heads * M * dh, (void **)&s->tok));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)B * heads * M * M, (void **)&s->att));
  PetscCall(NeopTapeAlloc(t, sizeof(float) * (size_t)B * heads * M * dh, (void **)&s->st));
  NeopBackendGet()->attention->physics_forward(B, heads, N, dh, M, x->shape[2], x->data, f ? f->data : x->data + heads * dh, Ws->data, bs->data, temp->data, Wqkv->data,
                                               Wqkv->data + d2, Wqkv->data + 2 * d2, (*y)->data, s->w, s->norm, s->tok, s->att, s->st);
  PetscCall(NeopTapeRecord(t, "physics_attention", physics_backward, 6, in, *y, &node));
  if (node) {
    node->ints[0] = heads;
    node->ctx     = s;
  }
  PetscCall(PetscLogEventEnd(ev_phys, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
