/* neop info FILE: what a data file or checkpoint holds: its kind, every
   dataset with shape, type and value range (read in slabs, so files larger
   than memory work), the attributes, and how neop would read it. */
#include "cli/commands.h"
#include "core/runtime.h"
#include "io/dataset_impl.h"
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define INFO_SLAB (1 << 22) /* values per read */

typedef struct {
  double  min, max, sum;
  int64_t n, nonfinite;
} Stats;

static void stats_init(Stats *s)
{
  s->min = DBL_MAX, s->max = -DBL_MAX, s->sum = 0, s->n = 0, s->nonfinite = 0;
}

static void stats_add(Stats *s, const double *v, int64_t n)
{
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i])) {
      s->nonfinite++;
      continue;
    }
    s->min = PetscMin(s->min, v[i]);
    s->max = PetscMax(s->max, v[i]);
    s->sum += v[i];
    s->n++;
  }
}

static void stats_print(const Stats *s)
{
  if (s->n) printf("  min %.6g  max %.6g  mean %.6g", s->min, s->max, s->sum / (double)s->n);
  if (s->nonfinite) printf("  NaN/Inf: %lld values", (long long)s->nonfinite);
}

static const char *type_name(hid_t t, char *buf, size_t len)
{
  size_t sz = H5Tget_size(t);
  switch (H5Tget_class(t)) {
  case H5T_FLOAT:
    snprintf(buf, len, "float%d", (int)(8 * sz));
    break;
  case H5T_INTEGER:
    snprintf(buf, len, "%sint%d", H5Tget_sign(t) == H5T_SGN_NONE ? "u" : "", (int)(8 * sz));
    break;
  case H5T_STRING:
    snprintf(buf, len, "string");
    break;
  case H5T_COMPOUND:
    snprintf(buf, len, "compound");
    break;
  default:
    snprintf(buf, len, "other");
  }
  return buf;
}

static void print_attr_value(hid_t a)
{
  hid_t   t = H5Aget_type(a), s = H5Aget_space(a);
  hssize_t n = H5Sget_simple_extent_npoints(s);
  if (H5Tget_class(t) == H5T_STRING) {
    if (H5Tis_variable_str(t) > 0) {
      char *v = NULL;
      hid_t m = H5Tcopy(H5T_C_S1);
      H5Tset_size(m, H5T_VARIABLE);
      H5Tset_cset(m, H5Tget_cset(t));
      if (n == 1 && H5Aread(a, m, &v) >= 0 && v) {
        printf("\"%s\"", v);
        H5free_memory(v);
      } else printf("(strings)");
      H5Tclose(m);
    } else {
      size_t sz = H5Tget_size(t);
      char   v[1024];
      hid_t  m = H5Tcopy(H5T_C_S1);
      H5Tset_size(m, sizeof(v));
      H5Tset_cset(m, H5Tget_cset(t));
      if (n == 1 && sz < sizeof(v) && H5Aread(a, m, v) >= 0) printf("\"%s\"", v);
      else printf("(strings)");
      H5Tclose(m);
    }
  } else if ((H5Tget_class(t) == H5T_INTEGER || H5Tget_class(t) == H5T_FLOAT) && n >= 1 && n <= 16) {
    double v[16];
    if (H5Aread(a, H5T_NATIVE_DOUBLE, v) >= 0)
      for (hssize_t i = 0; i < n; i++) printf("%s%.10g", i ? ", " : "", v[i]);
  } else printf("(%lld values)", (long long)n);
  H5Sclose(s);
  H5Tclose(t);
}

static herr_t print_attr(hid_t obj, const char *name, const H5A_info_t *info, void *ctx)
{
  const char *indent = ctx;
  if (!strcmp(name, "MATLAB_class")) return 0; /* shown with the dataset */
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
  printf("%s%s = ", indent, name);
  print_attr_value(a);
  printf("\n");
  H5Aclose(a);
  return 0;
}

typedef struct {
  PetscBool matlab;
  int       unreadable; /* datasets whose values could not be read */
} VisitCtx;

/* Min/max/mean of a numeric dataset, slab by slab along its first axis. */
static void dataset_stats(hid_t d, Stats *st)
{
  hid_t   fs = H5Dget_space(d);
  hsize_t dims[H5S_MAX_RANK], start[H5S_MAX_RANK] = {0}, count[H5S_MAX_RANK];
  int     r   = H5Sget_simple_extent_dims(fs, dims, NULL);
  hsize_t row = 1;
  stats_init(st);
  for (int i = 1; i < r; i++) row *= dims[i];
  hsize_t rows = r == 0 ? 1 : PetscMax(1, INFO_SLAB / PetscMax(row, 1));
  double *buf  = malloc(sizeof(double) * (size_t)(rows * row));
  if (!buf) return;
  if (r == 0) {
    if (H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) stats_add(st, buf, 1);
  } else
    for (hsize_t i0 = 0; i0 < dims[0]; i0 += rows) {
      for (int i = 0; i < r; i++) count[i] = dims[i];
      start[0] = i0;
      count[0] = PetscMin(rows, dims[0] - i0);
      H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
      hid_t ms = H5Screate_simple(r, count, NULL);
      herr_t e = H5Dread(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, buf);
      H5Sclose(ms);
      if (e < 0) {
        st->nonfinite = -1; /* unreadable */
        break;
      }
      stats_add(st, buf, (int64_t)(count[0] * row));
    }
  free(buf);
  H5Sclose(fs);
}

static herr_t visit(hid_t root, const char *name, const H5O_info_t *info, void *ctx)
{
  VisitCtx *vc = ctx;
  char      tn[32];
  if (!strcmp(name, ".")) return 0;
  if (info->type == H5O_TYPE_GROUP) {
    hid_t g = H5Gopen2(root, name, H5P_DEFAULT);
    printf("  /%s/\n", name);
    H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, NULL, print_attr, "      ");
    H5Gclose(g);
    return 0;
  }
  if (info->type != H5O_TYPE_DATASET) return 0;
  hid_t   d = H5Dopen2(root, name, H5P_DEFAULT), t = H5Dget_type(d), s = H5Dget_space(d);
  hsize_t dims[H5S_MAX_RANK];
  int     r = H5Sget_simple_extent_dims(s, dims, NULL);
  printf("  /%-18s %-8s (", name, type_name(t, tn, sizeof(tn)));
  for (int i = 0; i < r; i++) printf("%s%llu", i ? ", " : "", (unsigned long long)dims[i]);
  printf(")");
  if (vc->matlab && r > 0) {
    char cls[64] = "";
    printf("  MATLAB ");
    for (int i = r - 1; i >= 0; i--) printf("%s%llu", i < r - 1 ? " x " : "", (unsigned long long)dims[i]);
    if (H5Aexists(d, "MATLAB_class") > 0) {
      hid_t a = H5Aopen(d, "MATLAB_class", H5P_DEFAULT), m = H5Tcopy(H5T_C_S1);
      H5Tset_size(m, sizeof(cls));
      if (H5Aread(a, m, cls) >= 0) printf(" %s", cls);
      H5Tclose(m);
      H5Aclose(a);
    }
  }
  if (H5Tget_class(t) == H5T_FLOAT || H5Tget_class(t) == H5T_INTEGER) {
    Stats st;
    dataset_stats(d, &st);
    if (st.nonfinite < 0) {
      printf("  UNREADABLE (truncated?)");
      vc->unreadable++;
    } else stats_print(&st);
  }
  printf("\n");
  H5Aiterate2(d, H5_INDEX_NAME, H5_ITER_INC, NULL, print_attr, "      ");
  H5Sclose(s);
  H5Tclose(t);
  H5Dclose(d);
  return 0;
}

static PetscErrorCode info_hdf5(const char *path, NeopFileKind kind)
{
  hid_t    f;
  VisitCtx vc = {kind == NEOP_FILE_MAT73 ? PETSC_TRUE : PETSC_FALSE, 0};

  PetscFunctionBegin;
  PetscCall(NeopH5OpenSelf(path, &f));
  NeopH5Quiet(PETSC_TRUE);
  if (kind == NEOP_FILE_CHECKPOINT) {
    printf("checkpoint\n");
    if (H5Lexists(f, "model", H5P_DEFAULT) > 0) {
      hid_t g = H5Gopen2(f, "model", H5P_DEFAULT);
      printf("model attributes:\n");
      H5Aiterate2(g, H5_INDEX_NAME, H5_ITER_INC, NULL, print_attr, "  ");
      H5Gclose(g);
    }
  } else {
    printf("datasets:\n");
    H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, visit, &vc);
    printf("attributes:\n");
    H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, NULL, print_attr, "  ");
  }
  NeopH5Quiet(PETSC_FALSE);
  H5Fclose(f);
  PetscCheck(!vc.unreadable, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: %d dataset%s could not be read (truncated or corrupt file?)", path,
             vc.unreadable, vc.unreadable > 1 ? "s" : "");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode info_mat5(const char *path)
{
  mat_t    *mat;
  matvar_t *v;
  int       unreadable = 0;

  PetscFunctionBegin;
  PetscCall(NeopMat5Open(path, &mat));
  printf("variables:\n");
  while ((v = Mat_VarReadNextInfo(mat))) {
    static const char *cls[] = {"empty", "cell", "struct", "object", "char", "sparse", "double", "single",
                                "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "function", "opaque"};
    printf("  %-19s %-8s ", v->name ? v->name : "?", (unsigned)v->class_type < sizeof(cls) / sizeof(cls[0]) ? cls[v->class_type] : "?");
    for (int i = 0; i < v->rank; i++) printf("%s%zu", i ? " x " : "", v->dims[i]);
    if ((v->class_type == MAT_C_DOUBLE || v->class_type == MAT_C_SINGLE) && !v->isComplex && v->rank >= 1) {
      /* slabs along the last MATLAB axis: contiguous column-major blocks */
      int     r = v->rank, start[NEOP_FIELD_MAX_RANK] = {0}, stride[NEOP_FIELD_MAX_RANK], edge[NEOP_FIELD_MAX_RANK];
      int64_t per = 1;
      Stats   st;
      stats_init(&st);
      for (int i = 0; i < r - 1 && i < NEOP_FIELD_MAX_RANK; i++) per *= (int64_t)v->dims[i], stride[i] = 1, edge[i] = (int)v->dims[i];
      int     step = (int)PetscMax(1, INFO_SLAB / PetscMax(per, 1));
      double *buf  = malloc(sizeof(double) * (size_t)(per * step));
      float  *fb   = (float *)buf;
      mat_t  *m2   = NULL;
      matvar_t *v2 = NULL;
      /* a second handle: the outer one is iterating */
      if (buf && r <= NEOP_FIELD_MAX_RANK && !NeopMat5Open(path, &m2)) v2 = Mat_VarReadInfo(m2, v->name);
      for (size_t j0 = 0; v2 && j0 < v->dims[r - 1]; j0 += (size_t)step) {
        start[r - 1]  = (int)j0;
        stride[r - 1] = 1;
        edge[r - 1]   = (int)PetscMin((size_t)step, v->dims[r - 1] - j0);
        if (Mat_VarReadData(m2, v2, buf, start, stride, edge)) {
          st.nonfinite = -1;
          break;
        }
        int64_t n = per * edge[r - 1];
        if (v->class_type == MAT_C_SINGLE)
          for (int64_t i = n - 1; i >= 0; i--) buf[i] = fb[i]; /* widen in place, from the end */
        stats_add(&st, buf, n);
      }
      if (st.nonfinite < 0) {
        printf("  UNREADABLE (truncated?)");
        unreadable++;
      } else stats_print(&st);
      if (v2) Mat_VarFree(v2);
      if (m2) Mat_Close(m2);
      free(buf);
    }
    printf("\n");
    Mat_VarFree(v);
  }
  Mat_Close(mat);
  PetscCheck(!unreadable, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: %d variable%s could not be read (truncated or corrupt file?)", path,
             unreadable, unreadable > 1 ? "s" : "");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* How NeopDatasetLoad reads the file with its default keys. */
static void print_reading(const char *path)
{
  NeopDataPlan  *plan = calloc(1, sizeof(*plan));
  PetscErrorCode ierr;
  if (!plan) return;
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  ierr = NeopPlanFile(path, NULL, NULL, plan);
  PetscPopErrorHandler();
  if (ierr) {
    char *msg = NULL;
    PetscErrorMessage(ierr, NULL, &msg);
    printf("as neop data (default keys): not readable: %s\n", msg ? msg : "?");
  } else {
    const NeopField *f[2] = {&plan->a, &plan->u};
    printf("as neop data (default keys): %lld samples, %d-D:", (long long)plan->nsamples, plan->dim);
    for (int i = 0; i < (plan->u.rank ? 2 : 1); i++) {
      printf("%s %s (N, %d", i ? "," : "", i ? "u" : "a", f[i]->channels);
      for (int k = 0; k < f[i]->dim; k++) printf(", %lld", (long long)f[i]->space[k]);
      printf(") from '%s'", f[i]->key);
    }
    if (plan->pdim)
      printf("; a point set: positions (%s%lld, %d) from 'pos'", plan->pos.role[0] == NEOP_AXIS_SAMPLE ? "N, " : "", (long long)plan->a.space[0],
             plan->pdim);
    printf("\n");
  }
  free(plan);
}

static PetscErrorCode info_file(const char *path)
{
  NeopFileKind kind;

  PetscFunctionBegin;
  PetscCall(NeopFileDetect(path, &kind));
  printf("%s: %s\n", path, NeopFileKindNames[kind]);
  if (kind == NEOP_FILE_MAT5) PetscCall(info_mat5(path));
  else PetscCall(info_hdf5(path, kind));
  if (kind != NEOP_FILE_CHECKPOINT && kind != NEOP_FILE_HDF5) print_reading(path);
  fflush(stdout);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopCmdInfo(MPI_Comm comm)
{
  char           path[PETSC_MAX_PATH_LEN] = "";
  PetscBool      set;
  int            argc;
  char         **args;
  PetscMPIInt    rank;
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBegin;
  /* neop info FILE (the file first), or neop info -input FILE */
  PetscCall(PetscGetArgs(&argc, &args));
  if (argc > 1 && args[1][0] != '-') PetscCall(PetscStrncpy(path, args[1], sizeof(path)));
  PetscOptionsBegin(comm, NULL, "neop info: what a data file or checkpoint holds", NULL);
  PetscCall(PetscOptionsString("-input", "file to describe (or give it right after 'info')", NULL, path, path, sizeof(path), &set));
  PetscOptionsEnd();
  {
    PetscBool help;
    PetscCall(PetscOptionsHasHelp(NULL, &help));
    if (help) PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(NeopRuntimeCheckOptionsUsed(comm));
  PetscCheck(path[0], comm, PETSC_ERR_ARG_WRONG, "usage: neop info FILE");
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (!rank) {
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = info_file(path);
    PetscCall(PetscPopErrorHandler());
  }
  PetscCall(NeopCollectError(comm, ierr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
