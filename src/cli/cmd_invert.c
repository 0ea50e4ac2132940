/* neop invert: DGNO inverse problems (neop/dgno.h).
     neop invert -make_observations -data D.h5 -sample i -nobs M -snr 25 [-seed s] -output O.h5
       draws M distinct interior nodes of sample i, adds Gaussian noise of std
       sqrt(mean(u^2) / 10^(snr/10)) (the reference code's SNR in dB) and writes
       /x_obs (M, d), /u_obs (M), /a_true, /u_true (*S) and attributes;
     neop invert -checkpoint C.h5 -observations O.h5 -output R.h5 [-invert_steps 500 ...]
       fits the latent of a trained dgno model (decoders frozen), optionally samples
       its posterior with MALA (-invert_samples n), and writes R.h5. */
#include "cli/commands.h"
#include <neop/checkpoint.h>
#include <neop/data.h>
#include <neop/dgno.h>
#include <neop/rng.h>
#include <hdf5.h>
#include <math.h>
#include <unistd.h>

static PetscErrorCode h5_write(hid_t f, const char *name, int ndim, const int *shape, const float *v)
{
  hsize_t dims[4];
  hid_t   sp, ds;

  PetscFunctionBegin;
  for (int i = 0; i < ndim; i++) dims[i] = (hsize_t)shape[i];
  sp = H5Screate_simple(ndim, dims, NULL);
  ds = H5Dcreate2(f, name, H5T_NATIVE_FLOAT, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(sp >= 0 && ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE,
             "cannot write dataset %s", name);
  H5Dclose(ds);
  H5Sclose(sp);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode h5_attr(hid_t f, const char *name, double v)
{
  hid_t sp = H5Screate(H5S_SCALAR), a = H5Acreate2(f, name, H5T_NATIVE_DOUBLE, sp, H5P_DEFAULT, H5P_DEFAULT);

  PetscFunctionBegin;
  PetscCheck(a >= 0 && H5Awrite(a, H5T_NATIVE_DOUBLE, &v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write attribute %s", name);
  H5Aclose(a);
  H5Sclose(sp);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode h5_attr_string(hid_t f, const char *name, const char *v)
{
  hid_t ty = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR), a;

  PetscFunctionBegin;
  H5Tset_size(ty, strlen(v) + 1);
  a = H5Acreate2(f, name, ty, sp, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(a >= 0 && H5Awrite(a, ty, v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write attribute %s", name);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(ty);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* a float32 dataset of a file into a new array; *found false when absent */
static PetscErrorCode h5_read(hid_t f, const char *path, const char *name, int *ndim, int *shape, float **v, PetscBool *found)
{
  hid_t   ds, sp;
  hsize_t dims[4];
  int64_t n = 1;

  PetscFunctionBegin;
  *found = H5Lexists(f, name, H5P_DEFAULT) > 0 ? PETSC_TRUE : PETSC_FALSE;
  if (!*found) PetscFunctionReturn(PETSC_SUCCESS);
  ds = H5Dopen2(f, name, H5P_DEFAULT);
  sp = H5Dget_space(ds);
  *ndim = H5Sget_simple_extent_ndims(sp);
  PetscCheck(*ndim >= 1 && *ndim <= 4, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s:%s has %d dims, expected 1 to 4", path, name, *ndim);
  H5Sget_simple_extent_dims(sp, dims, NULL);
  for (int i = 0; i < *ndim; i++) n *= (int64_t)(shape[i] = (int)dims[i]);
  PetscCall(PetscMalloc1(n, v));
  PetscCheck(H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *v) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "cannot read %s:%s", path, name);
  H5Sclose(sp);
  H5Dclose(ds);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* rank 0 writes through a temporary name, renamed when complete */
static PetscErrorCode h5_create(const char *path, char *tmp, size_t len, hid_t *f)
{
  PetscFunctionBegin;
  PetscCall(PetscSNPrintf(tmp, len, "%s.tmp.%d", path, (int)getpid()));
  *f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(*f >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create %s", tmp);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode h5_commit(hid_t f, const char *tmp, const char *path)
{
  PetscFunctionBegin;
  PetscCheck(H5Fclose(f) >= 0 && rename(tmp, path) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot complete %s", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode make_observations(MPI_Comm comm)
{
  char         data[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "", tmp[PETSC_MAX_PATH_LEN + 32];
  PetscInt     sample = 0, M = 100, seed = 0;
  PetscReal    snr = 25;
  NeopDataset *ds;
  PetscMPIInt  rank;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "Observations for neop invert", NULL);
  PetscCall(PetscOptionsString("-data", "neop data file with a and u", NULL, data, data, sizeof(data), NULL));
  PetscCall(PetscOptionsInt("-sample", "sample index", NULL, sample, &sample, NULL));
  PetscCall(PetscOptionsInt("-nobs", "observed nodes M", NULL, M, &M, NULL));
  PetscCall(PetscOptionsReal("-snr", "signal-to-noise ratio in dB", NULL, snr, &snr, NULL));
  PetscCall(PetscOptionsInt("-seed", "seed of the node choice and the noise", NULL, seed, &seed, NULL));
  PetscCall(PetscOptionsString("-output", "observation file (HDF5)", NULL, out, out, sizeof(out), NULL));
  PetscOptionsEnd();
  PetscCheck(data[0] && out[0], comm, PETSC_ERR_USER_INPUT, "neop invert -make_observations: give -data and -output");
  PetscCall(NeopDatasetLoad(PETSC_COMM_SELF, data, NULL, NULL, (int)sample, 1, 1, &ds));
  PetscCheck(ds->cu == 1 && ds->ca == 1 && ds->dim >= 1 && ds->dim <= 2, comm, PETSC_ERR_USER_INPUT,
             "%s: need one-channel a and u on a 1-D or 2-D grid (found ca %d, cu %d, %d-D)", data, ds->ca, ds->cu, ds->dim);
  {
    int     d = ds->dim, S = ds->grid[0], P = d == 1 ? S : S * S, nin = 0, *inner, *perm;
    double  ms = 0, sigma;
    float  *x, *u;
    NeopRng rng;

    PetscCheck(d == 1 || ds->grid[1] == S, comm, PETSC_ERR_USER_INPUT, "%s: square grids only (%d x %d)", data, S, ds->grid[1]);
    PetscCall(PetscMalloc4(P, &inner, P, &perm, M * d, &x, M, &u));
    for (int p = 0; p < P; p++) {
      int i = d == 1 ? p : p / S, j = d == 1 ? 1 : p % S;
      if (i > 0 && i < S - 1 && j > 0 && j < S - 1) inner[nin++] = p;
      ms += (double)ds->u[p] * ds->u[p];
    }
    PetscCheck(M >= 1 && M <= nin, comm, PETSC_ERR_ARG_OUTOFRANGE, "-nobs %d: between 1 and the %d interior nodes", (int)M, nin);
    sigma = sqrt(ms / P / pow(10.0, snr / 10));
    NeopRngInit(&rng, (uint64_t)seed, NEOP_RNG_NOISE, (uint64_t)sample);
    NeopRngPermutation(&rng, nin, perm);
    for (int k = 0; k < M; k++) {
      int p = inner[perm[k]];
      if (d == 1) x[k] = (float)p / (S - 1);
      else x[2 * k] = (float)(p / S) / (S - 1), x[2 * k + 1] = (float)(p % S) / (S - 1);
      u[k] = (float)(ds->u[p] + sigma * NeopRngNormal(&rng));
    }
    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    if (!rank) {
      hid_t f;
      int   sx[2] = {(int)M, d}, sg[2] = {S, S};
      PetscCall(h5_create(out, tmp, sizeof(tmp), &f));
      PetscCall(h5_write(f, "x_obs", 2, sx, x));
      PetscCall(h5_write(f, "u_obs", 1, sx, u));
      PetscCall(h5_write(f, "a_true", d, sg, ds->a));
      PetscCall(h5_write(f, "u_true", d, sg, ds->u));
      PetscCall(h5_attr(f, "snr_db", snr));
      PetscCall(h5_attr(f, "noise_std", sigma));
      PetscCall(h5_attr(f, "sample", (double)sample));
      PetscCall(h5_attr(f, "seed", (double)seed));
      PetscCall(h5_attr_string(f, "source", data));
      PetscCall(h5_attr_string(f, "kind", "observations"));
      PetscCall(h5_commit(f, tmp, out));
    }
    PetscCall(PetscPrintf(comm, "%d observations of sample %d of %s at %.1f dB (noise std %.4g) written to %s\n", (int)M, (int)sample, data, (double)snr,
                          sigma, out));
    PetscCall(PetscFree4(inner, perm, x, u));
  }
  PetscCall(NeopDatasetDestroy(&ds));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCmdInvert(MPI_Comm comm)
{
  char              ckpt[PETSC_MAX_PATH_LEN] = "", obsf[PETSC_MAX_PATH_LEN] = "", out[PETSC_MAX_PATH_LEN] = "", tmp[PETSC_MAX_PATH_LEN + 32];
  PetscBool         make = PETSC_FALSE, found;
  PetscInt          steps = 500, lr_step = 50, samples = 0, burn = 200, S = 0, seed = 0;
  PetscReal         lr = 1e-2, wd = 1e-4, w_data = 25, w_pde = 1, h = 1e-3, pde_sigma = 1, noise = -1;
  PetscBool         mlp = PETSC_TRUE;
  NeopObservations  obs = {0};
  NeopInvertOptions opt;
  NeopInvertResult  res;
  NeopCheckpoint    ck;
  NeopModel         m;
  int               nd, shape[4], L;
  hid_t             f;
  PetscMPIInt       rank;

  PetscFunctionBegin;
  PetscOptionsBegin(comm, NULL, "DGNO inverse problem (neop invert)", NULL);
  PetscCall(PetscOptionsBool("-make_observations", "make an observation file from a data file instead", NULL, make, &make, NULL));
  PetscOptionsEnd();
  if (make) {
    PetscCall(make_observations(comm));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscOptionsBegin(comm, NULL, "DGNO inverse problem (neop invert)", NULL);
  PetscCall(PetscOptionsString("-checkpoint", "trained dgno model", NULL, ckpt, ckpt, sizeof(ckpt), NULL));
  PetscCall(PetscOptionsString("-observations", "observations (x_obs, u_obs[, a_true, u_true])", NULL, obsf, obsf, sizeof(obsf), NULL));
  PetscCall(PetscOptionsString("-output", "result file (HDF5)", NULL, out, out, sizeof(out), NULL));
  PetscCall(PetscOptionsInt("-invert_steps", "Adam steps on the latent", NULL, steps, &steps, NULL));
  PetscCall(PetscOptionsReal("-invert_lr", "Adam learning rate", NULL, lr, &lr, NULL));
  PetscCall(PetscOptionsInt("-invert_lr_step", "halve the rate every n steps (0: never)", NULL, lr_step, &lr_step, NULL));
  PetscCall(PetscOptionsReal("-invert_weight_decay", "Adam L2 weight decay of the latent parameters", NULL, wd, &wd, NULL));
  PetscCall(PetscOptionsBool("-invert_mlp", "MAP over beta = tanh(MLP(1)) as the reference (false: beta = tanh(z))", NULL, mlp, &mlp, NULL));
  PetscCall(PetscOptionsReal("-invert_w_data", "weight of the relative misfit", NULL, w_data, &w_data, NULL));
  PetscCall(PetscOptionsReal("-invert_w_pde", "weight of the weak residuals", NULL, w_pde, &w_pde, NULL));
  PetscCall(PetscOptionsInt("-invert_samples", "MALA samples of the latent posterior (0: none)", NULL, samples, &samples, NULL));
  PetscCall(PetscOptionsInt("-invert_burn", "MALA burn-in steps (step size adapted)", NULL, burn, &burn, NULL));
  PetscCall(PetscOptionsReal("-invert_mala_step", "initial MALA step size", NULL, h, &h, NULL));
  PetscCall(PetscOptionsReal("-invert_pde_sigma", "std of the residuals as virtual observations", NULL, pde_sigma, &pde_sigma, NULL));
  PetscCall(PetscOptionsReal("-invert_noise_std", "observation noise std (default: the file's noise_std)", NULL, noise, &noise, NULL));
  PetscCall(PetscOptionsInt("-invert_grid", "output nodes per dim (default: the truth's grid, else 29)", NULL, S, &S, NULL));
  PetscCall(PetscOptionsInt("-invert_seed", "seed of the sampler", NULL, seed, &seed, NULL));
  PetscOptionsEnd();
  PetscCheck(ckpt[0] && obsf[0] && out[0], comm, PETSC_ERR_USER_INPUT, "neop invert: give -checkpoint, -observations and -output (or -make_observations)");
  PetscCall(NeopCheckpointOpen(comm, ckpt, &ck));
  PetscCall(NeopCheckpointReadModel(ck, &m));
  PetscCall(NeopCheckpointClose(&ck));
  PetscCheck(!strcmp(m->type, "dgno"), comm, PETSC_ERR_USER_INPUT, "%s holds a %s model; neop invert needs a dgno model", ckpt, m->type);
  PetscCall(NeopDgnoGetLatent(m, &L));
  /* observations: every rank reads the small file */
  f = H5Fopen(obsf, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(f >= 0, comm, PETSC_ERR_FILE_OPEN, "cannot open observation file %s", obsf);
  PetscCall(h5_read(f, obsf, "x_obs", &nd, shape, &obs.x_obs, &found));
  PetscCheck(found && nd == 2 && shape[1] == m->dim, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /x_obs must be (M, %d)", obsf, m->dim);
  obs.M   = shape[0];
  obs.dim = shape[1];
  PetscCall(h5_read(f, obsf, "u_obs", &nd, shape, &obs.u_obs, &found));
  PetscCheck(found && nd == 1 && shape[0] == obs.M, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /u_obs must be (%d)", obsf, obs.M);
  for (int i = 0; i < obs.M; i++) PetscCheck(isfinite(obs.u_obs[i]), comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /u_obs[%d] is not finite", obsf, i);
  PetscCall(h5_read(f, obsf, "a_true", &nd, shape, &obs.a_true, &found));
  if (found) {
    obs.S = shape[0];
    PetscCall(h5_read(f, obsf, "u_true", &nd, shape, &obs.u_true, &found));
    PetscCheck(found && shape[0] == obs.S, comm, PETSC_ERR_FILE_UNEXPECTED, "%s: /u_true must be on the grid of /a_true", obsf);
  }
  if (H5Aexists(f, "noise_std") > 0) {
    hid_t a = H5Aopen(f, "noise_std", H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_DOUBLE, &obs.noise_std);
    H5Aclose(a);
  }
  H5Fclose(f);
  if (noise > 0) obs.noise_std = noise;
  opt = (NeopInvertOptions){.steps = (int)steps, .mlp = mlp, .lr = lr, .weight_decay = wd, .w_data = w_data, .w_pde = w_pde,
                            .lr_step = (int)lr_step, .samples = (int)samples, .burn = (int)burn, .mala_step = h, .pde_sigma = pde_sigma,
                            .seed = (uint64_t)seed, .S = S ? (int)S : obs.S ? obs.S : 29};
  PetscCall(NeopDgnoInvert(m, &obs, &opt, &res));
  PetscCall(PetscPrintf(comm, "invert: %d observations, %d steps, loss %.6g\n", obs.M, opt.steps, res.loss));
  if (res.err_a >= 0) PetscCall(PetscPrintf(comm, "MAP relative L2 error: a %.4g  u %.4g\n", res.err_a, res.err_u));
  if (samples > 0) {
    PetscCall(PetscPrintf(comm, "MALA: %d samples, acceptance %.3f\n", (int)samples, res.acceptance));
    if (res.err_a_mean >= 0) PetscCall(PetscPrintf(comm, "posterior mean relative L2 error: a %.4g  u %.4g\n", res.err_a_mean, res.err_u_mean));
  }
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    int sg[3] = {opt.S, opt.S, opt.S};
    PetscCall(h5_create(out, tmp, sizeof(tmp), &f));
    PetscCall(h5_write(f, "beta", 1, &L, res.beta));
    PetscCall(h5_write(f, "a_map", m->dim, sg, res.a_map));
    PetscCall(h5_write(f, "u_map", m->dim, sg, res.u_map));
    if (res.a_mean) {
      PetscCall(h5_write(f, "a_mean", m->dim, sg, res.a_mean));
      PetscCall(h5_write(f, "a_std", m->dim, sg, res.a_std));
      PetscCall(h5_write(f, "u_mean", m->dim, sg, res.u_mean));
      PetscCall(h5_write(f, "u_std", m->dim, sg, res.u_std));
      PetscCall(h5_attr(f, "acceptance", res.acceptance));
      PetscCall(h5_attr(f, "err_a_mean", res.err_a_mean));
      PetscCall(h5_attr(f, "err_u_mean", res.err_u_mean));
    }
    PetscCall(h5_attr(f, "err_a", res.err_a));
    PetscCall(h5_attr(f, "err_u", res.err_u));
    PetscCall(h5_attr(f, "loss", res.loss));
    PetscCall(h5_attr_string(f, "checkpoint", ckpt));
    PetscCall(h5_attr_string(f, "observations", obsf));
    PetscCall(h5_attr_string(f, "kind", "inversion"));
    PetscCall(h5_commit(f, tmp, out));
  }
  PetscCall(NeopInvertResultDestroy(&res));
  PetscCall(PetscFree(obs.x_obs));
  PetscCall(PetscFree(obs.u_obs));
  PetscCall(PetscFree(obs.a_true));
  PetscCall(PetscFree(obs.u_true));
  PetscCall(NeopModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}
