/* neop: one executable, one subcommand per job.
     neop <command> [PETSc options]   e.g.  mpirun -n 4 neop train -options_file f.opts */
#include <petscsys.h>
#include <string.h>
#include "cli/commands.h"
#include "core/runtime.h"

static const char help[] = "neop: neural operators on PETSc, MPI, FFTW and HDF5.\n";

/* Errors reach users as one line naming the command and what was wrong,
   then the call trace (one line a frame), instead of PETSc's full banner. */
static PetscErrorCode error_handler(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n,
                                    PetscErrorType p, const char *mess, void *ctx)
{
  PetscMPIInt rank = 0;
  const char *text = NULL;

  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (p == PETSC_ERROR_INITIAL) {
    PetscErrorMessage(n, &text, NULL);
    if (mess && mess[0]) fprintf(stderr, "[%d] neop %s: error: %s\n", rank, (const char *)ctx, mess);
    else fprintf(stderr, "[%d] neop %s: error: %s\n", rank, (const char *)ctx, text ? text : "unknown");
  }
  fprintf(stderr, "[%d]   at %s() %s:%d\n", rank, func, file, line);
  return n;
}

static void print_usage(FILE *f)
{
  fprintf(f, "usage: neop <command> [options]    (neop <command> -help lists its options)\ncommands:\n");
  for (const NeopCommand *c = NeopCommands; c->name; c++) fprintf(f, "  %-9s %s\n", c->name, c->summary);
}

int main(int argc, char **argv)
{
  const NeopCommand *cmd = NULL;

  if (argc < 2 || argv[1][0] == '-') {
    /* No subcommand: -help lists them, anything else is a usage error. */
    int asked = 0;
    for (int i = 1; i < argc; i++) asked |= !strcmp(argv[i], "-help") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h");
    print_usage(asked ? stdout : stderr);
    return asked ? 0 : 2;
  }
  for (const NeopCommand *c = NeopCommands; c->name; c++)
    if (!strcmp(argv[1], c->name)) cmd = c;
  if (!cmd) {
    fprintf(stderr, "neop: unknown command '%s'\n", argv[1]);
    print_usage(stderr);
    return 2;
  }
  /* Drop the subcommand so PETSc sees only options. */
  argv[1] = argv[0];
  argc--; argv++;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscPushErrorHandler(error_handler, (void *)cmd->name));
  PetscCall(NeopRuntimeSetUp(PETSC_COMM_WORLD));
  PetscErrorCode ierr = cmd->run(PETSC_COMM_WORLD);
  if (!ierr) ierr = NeopRuntimeCheckOptionsUsed(PETSC_COMM_WORLD);
  NeopRuntimeTearDown();
  if (ierr) {
    /* PETSc printed the error trace. An error raised on one rank only would
       leave the others waiting in a collective: stop them all. */
    PetscMPIInt size;
    MPI_Comm_size(PETSC_COMM_WORLD, &size);
    if (size > 1) MPI_Abort(PETSC_COMM_WORLD, 1);
    PetscFinalize();
    return 1;
  }
  PetscCall(PetscFinalize());
  return 0;
}
