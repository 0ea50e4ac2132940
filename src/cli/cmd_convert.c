/* neop convert: a MATLAB (v5/v7.3), PDEBench or neop file -> a neop schema file.
     neop convert -input piececonst_r421_N1024_smooth1.mat -output darcy_r85.h5 -sub 5 -ntake 1000
   -points P writes a point set instead: P random nodes of each sample's grid with their coordinates. */
#include "cli/commands.h"
#include "io/dataset_impl.h"
#include "core/runtime.h"

PetscErrorCode NeopCmdConvert(MPI_Comm comm)
{
  char          input[PETSC_MAX_PATH_LEN] = "", output[PETSC_MAX_PATH_LEN] = "", akey[256] = "", ukey[256] = "";
  PetscInt      sub = 1, offset = 0, ntake = -1, points = 0, pseed = 0;
  PetscBool     has_in, has_out, has_akey, has_ukey, overwrite = PETSC_FALSE, assumed, shared = PETSC_FALSE;
  NeopDataPlan *plan;
  NeopDataset  *ds;
  double       *coords[3];

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "neop convert: write a data file in the neop schema", NULL);
  PetscCall(PetscOptionsString("-input", "file to convert (MATLAB v5/v7.3, PDEBench, neop)", NULL, input, input, sizeof(input), &has_in));
  PetscCall(PetscOptionsString("-output", "neop schema HDF5 file to write", NULL, output, output, sizeof(output), &has_out));
  PetscCall(PetscOptionsString("-input_key", "dataset/variable of the inputs, name or name[t] (default: the format's)", NULL, akey, akey,
                               sizeof(akey), &has_akey));
  PetscCall(PetscOptionsString("-output_key", "dataset/variable of the targets, name or name[t] (default: the format's; \"\": none)", NULL, ukey,
                               ukey, sizeof(ukey), &has_ukey));
  PetscCall(PetscOptionsInt("-sub", "keep every sub-th point in each spatial dimension", NULL, sub, &sub, NULL));
  PetscCall(PetscOptionsInt("-offset", "first sample to take", NULL, offset, &offset, NULL));
  PetscCall(PetscOptionsInt("-ntake", "samples to take (-1: all from -offset on)", NULL, ntake, &ntake, NULL));
  PetscCall(PetscOptionsBool("-overwrite", "replace an existing output file", NULL, overwrite, &overwrite, NULL));
  PetscCall(PetscOptionsInt("-points", "write a point set: P random grid nodes per sample with their coordinates /pos (0: keep the grid)", NULL,
                            points, &points, NULL));
  PetscCall(PetscOptionsInt("-seed", "-points: seed of the node draws (sample i: stream (seed, noise, i))", NULL, pseed, &pseed, NULL));
  PetscCall(PetscOptionsBool("-shared_points", "-points: one node set for all samples, /pos (P, d)", NULL, shared, &shared, NULL));
  PetscOptionsEnd();
  /* an unknown option must stop us before anything is written, not after */
  PetscCall(NeopRuntimeCheckOptionsUsed(comm));
  {
    PetscBool help;
    PetscCall(PetscOptionsHasHelp(NULL, &help));
    if (help) PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(has_in && input[0], comm, PETSC_ERR_ARG_WRONG, "neop convert: -input FILE is required");
  PetscCheck(has_out && output[0], comm, PETSC_ERR_ARG_WRONG, "neop convert: -output FILE is required");
  PetscCheck(points >= 0 && pseed >= 0, comm, PETSC_ERR_ARG_OUTOFRANGE, "neop convert: -points %d, -seed %d: must be >= 0", (int)points, (int)pseed);

  PetscCall(PetscNew(&plan));
  PetscCall(NeopPlanFileCollective(comm, input, has_akey ? akey : NULL, has_ukey ? ukey : NULL, plan));
  PetscCall(NeopDatasetLoad(comm, input, has_akey ? akey : NULL, has_ukey ? ukey : NULL, (int)offset, (int)ntake, (int)sub, &ds));
  PetscCall(NeopDataCoords(comm, input, plan, (int)sub, coords, &assumed));
  if (points) {
    NeopDataset *pts;
    PetscCall(NeopDatasetSamplePoints(ds, coords, (int)points, (uint64_t)pseed, shared, offset + ds->first, &pts));
    PetscCall(NeopDatasetDestroy(&ds));
    ds = pts;
  }
  {
    NeopAttr attrs[] = {
      {"pde", "imported", 0},
      {"source", input, 0},
      {"source_format", NeopFileKindNames[plan->kind], 0},
      {"input_key", plan->a.key, 0},
      {"output_key", plan->u.rank ? plan->u.key : "", 0},
      {"sub", NULL, sub},
      {"offset", NULL, offset},
      {"ntake", NULL, ds->nglobal},
      {"coordinates", plan->pdim ? "node positions /pos from the source file"
                      : assumed  ? "uniform on [0, 1] including both ends (the source has none)"
                                 : "from the source file", 0},
      {"points", NULL, points},
      {"points_seed", NULL, pseed},
      {"points_shared", NULL, shared},
    };
    int nattrs = (int)(sizeof(attrs) / sizeof(attrs[0])) - (points ? 0 : 3); /* the -points attributes last */
    PetscCall(NeopDatasetWrite(ds, output, coords, attrs, nattrs, overwrite, NEOP_DATA_IO_DEFAULT));
  }
  PetscCall(PetscPrintf(comm, "%s: %d samples, a (%d, %d", output, ds->nglobal, ds->nglobal, ds->ca));
  for (int k = 0; k < ds->dim; k++) PetscCall(PetscPrintf(comm, ", %d", ds->grid[k]));
  if (ds->cu) {
    PetscCall(PetscPrintf(comm, "), u (%d, %d", ds->nglobal, ds->cu));
    for (int k = 0; k < ds->dim; k++) PetscCall(PetscPrintf(comm, ", %d", ds->grid[k]));
  }
  if (ds->pdim) PetscCall(PetscPrintf(comm, "), pos (%s%d, %d", ds->pos_shared ? "" : "N, ", ds->grid[0], ds->pdim));
  PetscCall(PetscPrintf(comm, ") from %s %s\n", NeopFileKindNames[plan->kind], input));
  for (int k = 0; k < 3; k++) PetscCall(PetscFree(coords[k]));
  PetscCall(NeopDatasetDestroy(&ds));
  PetscCall(PetscFree(plan));
  PetscFunctionReturn(PETSC_SUCCESS);
}
