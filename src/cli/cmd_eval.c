/* neop eval: a checkpoint's predictions on a test set, with their errors.
     neop eval -checkpoint C.h5 -test G.h5 [-ntest n] [-test_offset k] [-sub r] -output P.h5
   The resolution may differ from training (zero-shot super-resolution). */
#include "cli/commands.h"
#include "core/runtime.h"
#include "io/prediction_file.h"
#include <neop/evaluate.h>
#include <neop/train.h>

PetscErrorCode NeopCmdEval(MPI_Comm comm)
{
  char          ckpt[PETSC_MAX_PATH_LEN] = "", test[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "";
  char          akey[64] = "", ukey[64] = "";
  PetscInt      ntest = -1, offset = 0, sub = 0, batch = 20;
  NeopPredictor p;
  NeopModel     m;
  NeopDataset  *ds;
  float        *pred;
  double       *err, sum = 0;
  int64_t       per;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "Evaluation (neop eval)", NULL);
  PetscCall(PetscOptionsString("-checkpoint", "trained model", NULL, ckpt, ckpt, sizeof(ckpt), NULL));
  PetscCall(PetscOptionsString("-test", "data file with inputs and reference solutions", NULL, test, test, sizeof(test), NULL));
  PetscCall(PetscOptionsString("-output", "predictions and errors (HDF5); none: only print", NULL, out, out, sizeof(out), NULL));
  PetscCall(PetscOptionsString("-a_key", "input dataset name", NULL, akey, akey, sizeof(akey), NULL));
  PetscCall(PetscOptionsString("-u_key", "target dataset name", NULL, ukey, ukey, sizeof(ukey), NULL));
  PetscCall(PetscOptionsInt("-ntest", "samples (-1: all from the offset)", NULL, ntest, &ntest, NULL));
  PetscCall(PetscOptionsInt("-test_offset", "first sample", NULL, offset, &offset, NULL));
  PetscCall(PetscOptionsInt("-sub", "keep every sub-th grid point (0: the training value)", NULL, sub, &sub, NULL));
  PetscCall(PetscOptionsInt("-batch_size", "samples per forward pass", NULL, batch, &batch, NULL));
  PetscOptionsEnd();
  {
    PetscBool help;
    PetscCall(PetscOptionsHasHelp(NULL, &help));
    if (help) PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(NeopRuntimeCheckOptionsUsed(comm));
  PetscCheck(ckpt[0], comm, PETSC_ERR_USER_INPUT, "neop eval: give -checkpoint FILE");
  PetscCheck(test[0], comm, PETSC_ERR_USER_INPUT, "neop eval: give -test FILE");
  PetscCall(NeopPredictorLoad(comm, ckpt, &p));
  PetscCall(NeopPredictorGetModel(p, &m));
  if (!sub) {
    int s;
    PetscCall(NeopPredictorGetTrainingSub(p, &s));
    sub = s;
  }
  PetscCall(NeopDatasetLoad(comm, test, akey[0] ? akey : NULL, ukey[0] ? ukey : NULL, (int)offset, (int)ntest, (int)sub, &ds));
  PetscCheck(ds->cu > 0, comm, PETSC_ERR_USER_INPUT, "neop eval: %s has no reference solutions (u); use neop predict", test);
  PetscCheck((ds->pdim ? ds->pdim : ds->dim) == m->dim && (ds->pdim > 0) == (m->point_set != 0) && ds->ca == m->in_channels && ds->cu == m->out_channels,
             comm, PETSC_ERR_USER_INPUT, "%s holds %d-D %s with %d -> %d channels; the model in %s maps %d-D %s, %d -> %d", test,
             ds->pdim ? ds->pdim : ds->dim, ds->pdim ? "point sets" : "grids", ds->ca, ds->cu, ckpt, m->dim, m->point_set ? "point sets" : "grids",
             m->in_channels, m->out_channels);
  per = ds->cu;
  for (int d = 0; d < ds->dim; d++) per *= ds->grid[d];
  PetscCall(PetscMalloc2(ds->nlocal * per + 1, &pred, ds->nlocal + 1, &err));
  if (ds->pdim) PetscCall(NeopPredictorApplyPoints(p, ds->nlocal, ds->grid[0], ds->pos, ds->pos_shared, ds->a, (int)batch, pred));
  else PetscCall(NeopPredictorApply(p, ds->nlocal, ds->grid, ds->a, (int)batch, pred));
  NeopRelL2PerSample(ds->nlocal, per, pred, ds->u, err);
  for (int i = 0; i < ds->nlocal; i++) sum += err[i];
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_DOUBLE, MPI_SUM, comm));
  PetscCall(PetscPrintf(comm, "eval: %d samples of %s %s", ds->nglobal, test, ds->pdim ? "of nodes" : "at grid"));
  for (int d = 0; d < ds->dim; d++) PetscCall(PetscPrintf(comm, "%s%d", d ? " x " : " ", ds->grid[d]));
  PetscCall(PetscPrintf(comm, "\nmean relative L2 error: %.6f\n", sum / ds->nglobal));
  if (out[0]) {
    NeopPredictionInfo info = {ckpt, test, (int)sub};
    PetscCall(NeopPredictionWrite(comm, out, ds, ds->cu, pred, err, &info));
    PetscCall(PetscPrintf(comm, "wrote %s\n", out));
  }
  PetscCall(PetscFree2(pred, err));
  PetscCall(NeopDatasetDestroy(&ds));
  PetscCall(NeopPredictorDestroy(&p));
  PetscFunctionReturn(PETSC_SUCCESS);
}
