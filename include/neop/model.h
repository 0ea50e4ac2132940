/* NeopModel: a neural operator, PETSc style.
     Create -> SetShape -> SetFromOptions -> SetUp -> Forward... -> View -> Destroy
   A family registers a constructor by name (-model fno|mgno|...); the
   constructor fills m->ops and m->data. Forward maps a batch of input fields
   x (N, in_channels, *S) to outputs (N, out_channels, *S) on the same grid.

   Hyper-parameters: a family reads its options (PetscOptionsBegin with
   m->prefix, e.g. "fno_") in ops.setfromoptions and records every value it
   uses with NeopModelRecordOption(). A checkpoint stores the records; loading
   replays them through a private options database, so a model is rebuilt from
   the file alone, whatever the command line says. */
#pragma once
#include <petscsys.h>
#include <petscviewer.h>
#include <neop/params.h>
#include <neop/autograd.h>

typedef struct NeopModel_s *NeopModel;
typedef struct NeopBatch NeopBatch; /* see neop/data.h */

typedef struct {
  PetscErrorCode (*setfromoptions)(NeopModel m, PetscOptionItems *PetscOptionsObject);
  PetscErrorCode (*setup)(NeopModel m);   /* declares parameters with NeopParamsAdd */
  PetscErrorCode (*forward)(NeopModel m, NeopTape *tape, NeopTensor *x, NeopTensor **y);
  PetscErrorCode (*view)(NeopModel m, PetscViewer viewer);
  PetscErrorCode (*destroy)(NeopModel m);
  /* optional: a model's own training loss (physics-informed models); NULL: data loss */
  PetscErrorCode (*loss)(NeopModel m, NeopTape *tape, const NeopBatch *batch, NeopTensor **loss);
  /* optional: point sets, x (N, Cin, P) values at positions pos (N, dim, P) -> (N, Cout, P); NULL: grids only */
  PetscErrorCode (*forward_points)(NeopModel m, NeopTape *tape, NeopTensor *x, NeopTensor *pos, NeopTensor **y);
} NeopModelOps;

#define NEOP_MAX_OPTIONS 64

struct NeopModel_s {
  MPI_Comm    comm;
  char        type[32];
  char        prefix[32];      /* option prefix of the family, "fno_" */
  int         dim;             /* spatial dimensions of the fields */
  int         in_channels, out_channels;
  int         grid[3];         /* points per dim of the training data, 0 when unknown (a hint for
                                  families whose structure depends on it, e.g. MgNO's prolongations) */
  uint64_t    seed;            /* parameter initialisation (-model_seed) */
  int64_t     step;            /* global optimizer step of the batch being trained on, set by the trainer:
                                  keys in-model randomness, so it survives resumes and rank counts */
  NeopParams *params;
  NeopModelOps ops;
  void       *data;            /* the family's own state */
  int         noptions;        /* recorded hyper-parameters: "-fno_modes" -> "12" */
  char        option_name[NEOP_MAX_OPTIONS][64];
  char        option_value[NEOP_MAX_OPTIONS][256];
  PetscBool   setup_called;
  PetscBool   point_set;       /* the data are point sets (NeopModelSetPointSet): use NeopModelForwardPoints */
};

typedef PetscErrorCode (*NeopModelCreateFn)(NeopModel m);

/* Collective on comm for all below unless said otherwise. */
PetscErrorCode NeopModelRegister(const char *type, NeopModelCreateFn create); /* not collective */
PetscErrorCode NeopModelRegisterAll(void);
PetscErrorCode NeopModelCreate(MPI_Comm comm, NeopModel *m);
PetscErrorCode NeopModelSetType(NeopModel m, const char *type);
/* Spatial dims and channel counts of the data the model maps. */
PetscErrorCode NeopModelSetShape(NeopModel m, int dim, int in_channels, int out_channels);
/* The training grid, before SetFromOptions; families may use it as a default. Not collective. */
PetscErrorCode NeopModelSetGrid(NeopModel m, const int *grid);
/* The data are point sets in 'dim' (SetShape) coordinates, not grids: values
   (N, C, P) at positions (N, dim, P). Before SetFromOptions. Not collective. */
PetscErrorCode NeopModelSetPointSet(NeopModel m, PetscBool point_set);
/* -model <type>, -model_seed, then the family's options. */
PetscErrorCode NeopModelSetFromOptions(NeopModel m);
PetscErrorCode NeopModelSetUp(NeopModel m);
PetscErrorCode NeopModelForward(NeopModel m, NeopTape *tape, NeopTensor *x, NeopTensor **y);
/* Point sets: x (N, in_channels, P) at positions pos (N, dim, P) -> (N, out_channels, P). */
PetscErrorCode NeopModelForwardPoints(NeopModel m, NeopTape *tape, NeopTensor *x, NeopTensor *pos, NeopTensor **y);
PetscErrorCode NeopModelView(NeopModel m, PetscViewer viewer);
PetscErrorCode NeopModelDestroy(NeopModel *m);
/* Records an option value as the family used it (not collective). */
PetscErrorCode NeopModelRecordOption(NeopModel m, const char *name, const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(3, 4);
/* True when a family of that name is registered (not collective). */
PetscBool      NeopModelTypeRegistered(const char *type);
/* Lists the registered family names, comma separated (not collective). */
PetscErrorCode NeopModelTypeList(char *buf, size_t len);
/* Number of trainable values (padding of the flat buffer excluded). Not collective. */
int64_t NeopModelParameterCount(NeopModel m);
