/* neop predict: a checkpoint applied to new inputs (no targets needed).
     neop predict -checkpoint C.h5 -input A.h5 -output P.h5 [-sub r] */
#include "cli/commands.h"
#include "core/runtime.h"
#include "io/prediction_file.h"
#include <neop/evaluate.h>

PetscErrorCode NeopCmdPredict(MPI_Comm comm)
{
  char          ckpt[PETSC_MAX_PATH_LEN] = "", in[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "", akey[64] = "";
  PetscInt      n = -1, offset = 0, sub = 1, batch = 20;
  NeopPredictor p;
  NeopModel     m;
  NeopDataset  *ds;
  float        *pred;
  int64_t       per;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "Prediction (neop predict)", NULL);
  PetscCall(PetscOptionsString("-checkpoint", "trained model", NULL, ckpt, ckpt, sizeof(ckpt), NULL));
  PetscCall(PetscOptionsString("-input", "file with inputs a", NULL, in, in, sizeof(in), NULL));
  PetscCall(PetscOptionsString("-output", "predictions (HDF5)", NULL, out, out, sizeof(out), NULL));
  PetscCall(PetscOptionsString("-a_key", "input dataset name", NULL, akey, akey, sizeof(akey), NULL));
  PetscCall(PetscOptionsInt("-n", "samples (-1: all from the offset)", NULL, n, &n, NULL));
  PetscCall(PetscOptionsInt("-offset", "first sample", NULL, offset, &offset, NULL));
  PetscCall(PetscOptionsInt("-sub", "keep every sub-th grid point", NULL, sub, &sub, NULL));
  PetscCall(PetscOptionsInt("-batch_size", "samples per forward pass", NULL, batch, &batch, NULL));
  PetscOptionsEnd();
  {
    PetscBool help;
    PetscCall(PetscOptionsHasHelp(NULL, &help));
    if (help) PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(NeopRuntimeCheckOptionsUsed(comm));
  PetscCheck(ckpt[0] && in[0] && out[0], comm, PETSC_ERR_USER_INPUT, "neop predict: give -checkpoint, -input and -output");
  PetscCall(NeopPredictorLoad(comm, ckpt, &p));
  PetscCall(NeopPredictorGetModel(p, &m));
  PetscCall(NeopDatasetLoad(comm, in, akey[0] ? akey : NULL, NULL, (int)offset, (int)n, (int)sub, &ds));
  PetscCheck((ds->pdim ? ds->pdim : ds->dim) == m->dim && (ds->pdim > 0) == (m->point_set != 0) && ds->ca == m->in_channels, comm,
             PETSC_ERR_USER_INPUT, "%s holds %d-D %s with %d channels; the model in %s takes %d-D %s, %d channels", in,
             ds->pdim ? ds->pdim : ds->dim, ds->pdim ? "point sets" : "grids", ds->ca, ckpt, m->dim, m->point_set ? "point sets" : "grids",
             m->in_channels);
  per = m->out_channels;
  for (int d = 0; d < ds->dim; d++) per *= ds->grid[d];
  PetscCall(PetscMalloc1(ds->nlocal * per + 1, &pred));
  if (ds->pdim) PetscCall(NeopPredictorApplyPoints(p, ds->nlocal, ds->grid[0], ds->pos, ds->pos_shared, ds->a, (int)batch, pred));
  else PetscCall(NeopPredictorApply(p, ds->nlocal, ds->grid, ds->a, (int)batch, pred));
  {
    NeopPredictionInfo info = {ckpt, in, (int)sub};
    PetscCall(NeopPredictionWrite(comm, out, ds, m->out_channels, pred, NULL, &info));
  }
  PetscCall(PetscPrintf(comm, "predicted %d samples of %s into %s\n", ds->nglobal, in, out));
  PetscCall(PetscFree(pred));
  PetscCall(NeopDatasetDestroy(&ds));
  PetscCall(NeopPredictorDestroy(&p));
  PetscFunctionReturn(PETSC_SUCCESS);
}
