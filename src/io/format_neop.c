/* neop schema (docs/formats.md): /a (N, Ca, *S) and /u (N, Cu, *S), or for
   time-dependent problems /u (N, T, C, *S) with /t; coordinates /x, /y, /z;
   root attributes neop_schema and, written last, complete. Point sets: /a
   (N, Ca, P), /u (N, Cu, P) and node coordinates /pos. */
#include "io/dataset_impl.h"

#define NEOP_SCHEMA_VERSION 1

/* A dataset of a neop file: (N, C, *S), or (N, T, C, *S) whose T axis joins
   the channels, or is picked by key[t]. */
static PetscErrorCode plan_field(const char *path, hid_t file, const char *key, int dim, NeopField *f)
{
  PetscBool has_pick;
  int64_t   pick;

  PetscFunctionBegin;
  PetscCall(PetscStrncpy(f->key, key, sizeof(f->key)));
  PetscCall(NeopParseKey(path, key, f->name, sizeof(f->name), &has_pick, &pick));
  PetscCall(NeopH5DatasetDims(path, file, f->name, &f->rank, f->dims));
  PetscCheck(f->rank == dim + 2 || f->rank == dim + 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: dataset '%s' has rank %d; a %d-D neop file needs (N, C, *S) (rank %d) or (N, T, C, *S) (rank %d)", path,
             f->name, f->rank, dim, dim + 2, dim + 3);
  PetscCheck(!has_pick || f->rank == dim + 3, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
             "%s: key '%s' picks a time index but dataset '%s' has no time axis", path, key, f->name);
  f->role[0] = NEOP_AXIS_SAMPLE;
  for (int k = 1; k < f->rank - dim; k++) f->role[k] = NEOP_AXIS_CHANNEL;
  for (int k = f->rank - dim; k < f->rank; k++) f->role[k] = NEOP_AXIS_SPACE;
  if (has_pick) {
    f->role[1] = NEOP_AXIS_PICK;
    f->pick[1] = pick;
  }
  PetscCall(NeopFieldFinish(path, f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A point set: /a (N, Ca, P), /u (N, Cu, P) and /pos, per sample (N, P, d)
   or shared by all samples (P, d), d = 1..3 coordinates per node. */
static PetscErrorCode plan_points(const char *path, hid_t file, const char *a_key, const char *u_key, NeopDataPlan *plan)
{
  NeopField *p = &plan->pos;
  int64_t    N, P;

  PetscFunctionBegin;
  plan->dim = 1;
  PetscCall(plan_field(path, file, a_key ? a_key : "a", 1, &plan->a));
  if (!u_key || u_key[0]) PetscCall(plan_field(path, file, u_key ? u_key : "u", 1, &plan->u));
  N = plan->a.dims[0];
  P = plan->a.space[0];
  PetscCall(PetscStrncpy(p->name, "pos", sizeof(p->name)));
  PetscCall(PetscStrncpy(p->key, "pos", sizeof(p->key)));
  PetscCall(NeopH5DatasetDims(path, file, "pos", &p->rank, p->dims));
  {
    PetscBool per = (PetscBool)(p->rank == 3 && p->dims[0] == N && p->dims[1] == P);
    PetscBool all = (PetscBool)(p->rank == 2 && p->dims[0] == P);
    int64_t   d   = p->dims[p->rank - 1];
    char      got[96] = "";
    for (int k = 0; k < p->rank; k++) PetscCall(PetscSNPrintf(got + strlen(got), sizeof(got) - strlen(got), k ? ", %lld" : "%lld", (long long)p->dims[k]));
    PetscCheck((per || all) && d >= 1 && d <= 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "%s: dataset 'pos' is (%s); the point set '%s' (%lld samples, %lld points) needs positions (%lld, %lld, d) per sample or (%lld, d) "
               "shared, with d = 1, 2 or 3 coordinates",
               path, got, plan->a.name, (long long)N, (long long)P, (long long)N, (long long)P, (long long)P);
    plan->pdim = (int)d;
  }
  if (p->rank == 3) {
    p->role[0] = NEOP_AXIS_SAMPLE;
    p->role[1] = NEOP_AXIS_SPACE;
    p->role[2] = NEOP_AXIS_CHANNEL;
  } else {
    p->role[0] = NEOP_AXIS_SPACE;
    p->role[1] = NEOP_AXIS_CHANNEL;
  }
  PetscCall(NeopFieldFinish(path, p));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopPlanNeop(const char *path, hid_t file, const char *a_key, const char *u_key, NeopDataPlan *plan)
{
  static const char *coord[3] = {"x", "y", "z"};
  int64_t            schema, complete;
  PetscBool          found;
  int                dim = 0;

  PetscFunctionBegin;
  PetscCall(NeopH5RootAttrInt(file, "neop_schema", &schema, &found));
  PetscCheck(found && schema >= 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: attribute neop_schema is not a positive integer", path);
  PetscCheck(schema <= NEOP_SCHEMA_VERSION, PETSC_COMM_SELF, PETSC_ERR_SUP,
             "%s: neop schema version %lld is newer than this reader's (%d): update neop", path, (long long)schema,
             NEOP_SCHEMA_VERSION);
  /* 'complete' is written last: without it the generator was interrupted. */
  PetscCall(NeopH5RootAttrInt(file, "complete", &complete, &found));
  PetscCheck(H5Aexists(file, "complete") > 0 && (!found || complete != 0), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: no 'complete' attribute: the data generation that wrote it was interrupted; generate it again", path);
  if (H5Lexists(file, "pos", H5P_DEFAULT) > 0) {
    PetscCall(plan_points(path, file, a_key, u_key, plan));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (int k = 0; k < 3; k++)
    if (H5Lexists(file, coord[k], H5P_DEFAULT) > 0) PetscCall(PetscStrncpy(plan->coord[dim++], coord[k], sizeof(plan->coord[0])));
  if (!dim) { /* no coordinates: the rank of a stationary /a tells */
    int     r;
    int64_t dims[NEOP_FIELD_MAX_RANK];
    PetscCall(NeopH5DatasetDims(path, file, "a", &r, dims));
    dim = r - 2;
  }
  PetscCheck(dim >= 1 && dim <= 3, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %d spatial dimensions, expected 1 to 3", path, dim);
  plan->dim = dim;
  PetscCall(plan_field(path, file, a_key ? a_key : "a", dim, &plan->a));
  if (!u_key || u_key[0]) PetscCall(plan_field(path, file, u_key ? u_key : "u", dim, &plan->u));
  PetscFunctionReturn(PETSC_SUCCESS);
}
