/* neop datagen -pde darcy -samples N -grid S -seed K -output F.h5 [PDE options]

   The N samples are shared among the ranks in contiguous blocks; sample i
   comes from the random stream (seed, i) only, so the file does not depend
   on the number of ranks. Each rank solves its samples on PETSC_COMM_SELF
   (or, with -<pde>_solve_comm world, all ranks solve every sample together)
   and the ranks write one file collectively, in rounds of -datagen_buffer
   samples per rank. */
#include "cli/commands.h"
#include "generator.h"
#include <neop/neop_file.h>
#include <neop/log.h>

typedef struct {
  PetscMPIInt size;
  int64_t     n;                /* samples in the file */
  int64_t     first, nlocal;    /* this rank's block */
  double      t0, last, every;  /* progress: start, last print, interval (s) */
} Progress;

/* Block distribution: rank r holds [first(r), first(r) + count(r)). */
static int64_t block_first(int64_t n, int size, int r) { return r * (n / size) + PetscMin(r, n % size); }
static int64_t block_count(int64_t n, int size, int r) { return n / size + (r < n % size); }

static void format_seconds(double s, char *buf, size_t len)
{
  if (s < 120) snprintf(buf, len, "%.0f s", s);
  else if (s < 7200) snprintf(buf, len, "%.1f min", s / 60);
  else snprintf(buf, len, "%.1f h", s / 3600);
}

/* Rank 0 reports every p->every seconds; 'done' counts samples finished
   everywhere (estimated from rank 0's own progress when ranks work apart). */
static PetscErrorCode progress(Progress *p, int64_t done)
{
  double now = MPI_Wtime(), rate;
  char   left[32];

  PetscFunctionBegin;
  if (p->every <= 0 || now - p->last < p->every) PetscFunctionReturn(PETSC_SUCCESS);
  p->last = now;
  rate    = done / (now - p->t0);
  format_seconds(rate > 0 ? (p->n - done) / rate : 0, left, sizeof(left));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %lld / %lld samples, %.3g samples/s, about %s left\n", (long long)done,
                        (long long)p->n, rate, left));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Samples finished everywhere when every rank has done k of its own. */
static int64_t done_estimate(const Progress *p, int64_t k)
{
  int64_t done = 0;
  for (int r = 0; r < p->size; r++) done += PetscMin(block_count(p->n, p->size, r), k);
  return done;
}

/* -help: every option of the chosen PDE (all PDEs if -pde is not given). */
static PetscErrorCode datagen_help(MPI_Comm comm)
{
  PetscBool set;
  char      pde[32];

  PetscFunctionBegin;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-pde", pde, sizeof(pde), &set));
  for (int i = 0; NeopGeneratorTypeName(i); i++) {
    NeopGenerator g;
    if (set && strcmp(pde, NeopGeneratorTypeName(i))) continue;
    PetscCall(PetscPrintf(comm, "\n-pde %s:\n", NeopGeneratorTypeName(i)));
    PetscCall(NeopGeneratorCreate(comm, &g));
    PetscCall(NeopGeneratorSetType(g, NeopGeneratorTypeName(i)));
    PetscCall(NeopGeneratorSetFromOptions(g));
    PetscCall(NeopGeneratorSetUp(g));
    PetscCall(NeopGeneratorDestroy(&g));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* All rounds: each rank computes up to 'chunk' of its samples, then all
   write collectively. a (chunk, ca, *S), u (chunk, [nt,] cu, *S); sa_buf,
   su_buf hold one sample solved for another rank (world solves). */
static PetscErrorCode generate(NeopGenerator g, NeopFileWriter w, Progress *pp, PetscBool world, int64_t chunk, float *a,
                               float *u, float *sa_buf, float *su_buf)
{
  PetscMPIInt   rank, size;
  PetscLogEvent ev_sample;
  const int64_t nsamples = pp->n, sa = NeopGeneratorSizeA(g), su = NeopGeneratorSizeU(g);
  const int64_t nrounds  = (block_count(nsamples, pp->size, 0) + chunk - 1) / chunk;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  size = pp->size;
  PetscCall(NeopLogEvent("NeopDatagenSample", &ev_sample));
  for (int64_t r = 0, done = 0; r < nrounds; r++) {
    const int64_t k0  = r * chunk;
    const int     cnt = (int)PetscMax(0, PetscMin(chunk, pp->nlocal - k0));
    if (!world) {
      for (int s = 0; s < cnt; s++) {
        PetscCall(PetscLogEventBegin(ev_sample, 0, 0, 0, 0));
        PetscCall(NeopGeneratorSample(g, pp->first + k0 + s, a + s * sa, u + s * su));
        PetscCall(PetscLogEventEnd(ev_sample, 0, 0, 0, 0));
        if (!rank) PetscCall(progress(pp, done_estimate(pp, k0 + s + 1)));
      }
    } else {
      /* every rank takes part in every solve; the owner keeps the sample */
      for (int q = 0; q < size; q++) {
        const int64_t fq = block_first(nsamples, size, q);
        const int     cq = (int)PetscMax(0, PetscMin(chunk, block_count(nsamples, size, q) - k0));
        for (int s = 0; s < cq; s++) {
          PetscCall(PetscLogEventBegin(ev_sample, 0, 0, 0, 0));
          PetscCall(NeopGeneratorSample(g, fq + k0 + s, q == rank ? a + s * sa : sa_buf, q == rank ? u + s * su : su_buf));
          PetscCall(PetscLogEventEnd(ev_sample, 0, 0, 0, 0));
          if (!rank) PetscCall(progress(pp, ++done));
        }
      }
    }
    PetscCall(NeopFileWriterWrite(w, cnt ? pp->first + k0 : 0, cnt, a, u));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCmdDatagen(MPI_Comm comm)
{
  NeopGenerator  g;
  NeopFileWriter w;
  NeopFileLayout L = {0};
  Progress       p = {0};
  PetscInt       nsamples = 0, buffer = 8;
  PetscReal      every    = 5;
  PetscBool      overwrite = PETSC_FALSE, gather = PETSC_FALSE, help, world;
  char           output[PETSC_MAX_PATH_LEN] = "", known[256];
  PetscMPIInt    rank, size;
  PetscErrorCode ierr;
  int64_t        sa, su, chunk;
  float         *a, *u, *sa_buf, *su_buf; /* (chunk, ca, *S), (chunk, [nt,] cu, *S); scratch (1 sample each) */
  double         t_end;

  PetscFunctionBegin;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(NeopGeneratorRegisterAll());
  PetscCall(NeopGeneratorTypeList(known, sizeof(known)));
  PetscOptionsBegin(comm, NULL, "neop datagen: PDE training data", NULL);
  PetscCall(PetscOptionsInt("-samples", "number of samples N (required)", NULL, nsamples, &nsamples, NULL));
  PetscCall(PetscOptionsString("-output", "output HDF5 file (required)", NULL, output, output, sizeof(output), NULL));
  PetscCall(PetscOptionsBool("-overwrite", "replace an existing output file", NULL, overwrite, &overwrite, NULL));
  PetscCall(PetscOptionsInt("-datagen_buffer", "samples per rank held in memory between collective writes", NULL, buffer,
                            &buffer, NULL));
  PetscCall(PetscOptionsReal("-datagen_progress", "seconds between progress reports (0: none)", NULL, every, &every, NULL));
  PetscCall(PetscOptionsBool("-datagen_gather_io", "rank 0 gathers and writes (the serial-HDF5 path)", NULL, gather,
                             &gather, NULL));
  PetscOptionsEnd();
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  if (help) {
    PetscCall(PetscPrintf(comm, "PDEs (-pde): %s\n", known));
    PetscCall(datagen_help(comm));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(nsamples >= 1, comm, PETSC_ERR_ARG_WRONG, "neop datagen: give -samples N (N >= 1), got %d", (int)nsamples);
  PetscCheck(output[0], comm, PETSC_ERR_ARG_WRONG, "neop datagen: give -output FILE.h5");
  PetscCheck(buffer >= 1, comm, PETSC_ERR_ARG_OUTOFRANGE, "-datagen_buffer %d: must be >= 1", (int)buffer);

  PetscCall(NeopGeneratorCreate(comm, &g));
  PetscCall(NeopGeneratorSetFromOptions(g));
  PetscCall(NeopGeneratorSetUp(g));
  world = g->solve_comm != PETSC_COMM_SELF && size > 1;

  L.pde      = g->pde;
  L.dim      = g->dim;
  L.ca       = g->ca;
  L.cu       = g->cu;
  L.nt       = g->nt;
  L.t        = g->t;
  L.nsamples = nsamples;
  for (int d = 0; d < g->dim; d++) {
    L.grid[d]   = g->grid[d];
    L.coords[d] = g->coords[d];
  }
  PetscCall(NeopFileWriterCreate(comm, output, &L, overwrite, gather, &w));
  PetscCall(NeopFileWriterSetAttributeUInt64(w, "seed", g->seed));
  for (int i = 0; i < g->noptions; i++) PetscCall(NeopFileWriterSetAttributeString(w, g->option_name[i] + 1, g->option_value[i]));

  p.size   = size;
  p.n      = nsamples;
  p.first  = block_first(nsamples, size, rank);
  p.nlocal = block_count(nsamples, size, rank);
  p.every  = every;
  sa       = NeopGeneratorSizeA(g);
  su       = NeopGeneratorSizeU(g);
  chunk    = PetscMin((int64_t)buffer, block_count(nsamples, size, 0));
  PetscCall(PetscMalloc4(chunk * sa, &a, chunk * su, &u, sa, &sa_buf, su, &su_buf));
  PetscCall(PetscPrintf(comm, "neop datagen: %lld samples on %d rank%s (each solved on %s) -> %s\n", (long long)nsamples,
                        size, size > 1 ? "s" : "", world ? "all ranks" : "one rank", output));
  PetscCall(NeopGeneratorView(g, NULL));

  p.t0 = p.last = MPI_Wtime();
  ierr = generate(g, w, &p, world, chunk, a, u, sa_buf, su_buf);
  if (ierr) {
    /* other ranks may be stuck in a collective: no HDF5 close, just no file left behind */
    PetscCall(NeopFileWriterAbort(&w));
    PetscFunctionReturn(ierr);
  }
  PetscCall(NeopFileWriterCommit(&w));
  t_end = MPI_Wtime() - p.t0;
  PetscCall(PetscPrintf(comm, "wrote %s: %lld samples in %.2f s (%.3g samples/s)\n", output, (long long)nsamples, t_end,
                        nsamples / t_end));
  PetscCall(PetscFree4(a, u, sa_buf, su_buf));
  PetscCall(NeopGeneratorDestroy(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}
