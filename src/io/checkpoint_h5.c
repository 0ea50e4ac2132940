/* Serial HDF5 helpers of the checkpoint code (see checkpoint_h5.h). Objects
   are created without modification times, so that the same state written
   twice gives the same bytes. */
#include "io/checkpoint_h5.h"
#include "io/crc32.h"
#include <stdlib.h>
#include <string.h>

PetscErrorCode neop_h5_exists(hid_t loc, const char *path, PetscBool *exists)
{
  char   buf[PETSC_MAX_PATH_LEN];
  size_t n = strlen(path);

  PetscFunctionBegin;
  *exists = PETSC_FALSE;
  PetscCheck(n < sizeof(buf), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "HDF5 path too long: %s", path);
  PetscCall(PetscStrncpy(buf, path, sizeof(buf)));
  /* H5Lexists needs every parent to exist: test the prefixes in turn */
  for (size_t i = 1; i <= n; i++) {
    if (i < n && buf[i] != '/') continue;
    char c = buf[i];
    buf[i] = 0;
    if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) PetscFunctionReturn(PETSC_SUCCESS);
    buf[i] = c;
  }
  *exists = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static hid_t link_plist(void)
{
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  return lcpl;
}

PetscErrorCode neop_h5_group(const char *fname, hid_t file, const char *path, hid_t *g)
{
  PetscBool exists;

  PetscFunctionBegin;
  PetscCall(neop_h5_exists(file, path, &exists));
  if (exists) *g = H5Gopen2(file, path, H5P_DEFAULT);
  else {
    hid_t lcpl = link_plist(), gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    *g = H5Gcreate2(file, path, lcpl, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    H5Pclose(lcpl);
  }
  PetscCheck(*g >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "checkpoint %s: cannot open or create group %s", fname, path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_h5_write_dataset(const char *fname, hid_t file, const char *path, hid_t memtype, hid_t filetype, int ndim,
                                     const hsize_t *dims, const void *buf)
{
  hid_t     space, dcpl, lcpl, d;
  herr_t    st;
  PetscBool exists;

  PetscFunctionBegin;
  PetscCall(neop_h5_exists(file, path, &exists));
  PetscCheck(!exists, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "checkpoint %s: %s written twice", fname, path);
  space = ndim ? H5Screate_simple(ndim, dims, NULL) : H5Screate(H5S_SCALAR);
  dcpl  = H5Pcreate(H5P_DATASET_CREATE);
  lcpl  = link_plist();
  H5Pset_obj_track_times(dcpl, 0);
  d  = H5Dcreate2(file, path, filetype, space, lcpl, dcpl, H5P_DEFAULT);
  st = d >= 0 ? H5Dwrite(d, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : -1;
  if (d >= 0) H5Dclose(d);
  H5Pclose(lcpl);
  H5Pclose(dcpl);
  H5Sclose(space);
  PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "checkpoint %s: cannot write dataset %s", fname, path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A scalar attribute, replacing one of the same name. */
static PetscErrorCode write_attr(const char *fname, hid_t obj, const char *name, hid_t filetype, hid_t memtype, const void *v)
{
  hid_t  space, a;
  herr_t st;

  PetscFunctionBegin;
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  space = H5Screate(H5S_SCALAR);
  a     = H5Acreate2(obj, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT);
  st    = a >= 0 ? H5Awrite(a, memtype, v) : -1;
  if (a >= 0) H5Aclose(a);
  H5Sclose(space);
  PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "checkpoint %s: cannot write attribute %s", fname, name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_h5_write_attr_string(const char *fname, hid_t obj, const char *name, const char *value)
{
  size_t n = strlen(value);
  hid_t  t = H5Tcopy(H5T_C_S1);

  PetscFunctionBegin;
  /* fixed length, no terminator stored: h5py reads it as bytes */
  H5Tset_size(t, n ? n : 1);
  H5Tset_strpad(t, H5T_STR_NULLPAD);
  PetscCall(write_attr(fname, obj, name, t, t, n ? value : ""));
  H5Tclose(t);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_h5_write_attr_int64(const char *fname, hid_t obj, const char *name, int64_t v)
{
  PetscFunctionBegin;
  PetscCall(write_attr(fname, obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_h5_write_attr_uint32(const char *fname, hid_t obj, const char *name, uint32_t v)
{
  PetscFunctionBegin;
  PetscCall(write_attr(fname, obj, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, &v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_h5_write_attr_double(const char *fname, hid_t obj, const char *name, double v)
{
  PetscFunctionBegin;
  PetscCall(write_attr(fname, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_h5_read_attr_string(const char *fname, hid_t obj, const char *name, char *value, size_t len, PetscBool *found)
{
  hid_t  a, t, mt;
  herr_t st;

  PetscFunctionBegin;
  *found = PETSC_FALSE;
  if (H5Aexists(obj, name) <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  a = H5Aopen(obj, name, H5P_DEFAULT);
  t = a >= 0 ? H5Aget_type(a) : -1;
  PetscCheck(t >= 0 && H5Tget_class(t) == H5T_STRING, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "checkpoint %s: attribute %s is not a string", fname, name);
  if (H5Tis_variable_str(t) > 0) {
    char *s = NULL;
    mt      = H5Tcopy(H5T_C_S1);
    H5Tset_size(mt, H5T_VARIABLE);
    H5Tset_cset(mt, H5Tget_cset(t));
    st = H5Aread(a, mt, &s);
    PetscCheck(st >= 0 && s && strlen(s) < len, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: cannot read attribute %s", fname, name);
    PetscCall(PetscStrncpy(value, s, len));
    H5free_memory(s);
  } else {
    size_t n = H5Tget_size(t);
    PetscCheck(n < len, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: attribute %s longer than %zu characters", fname, name, len - 1);
    mt = H5Tcopy(t);
    PetscCall(PetscMemzero(value, len));
    st = H5Aread(a, mt, value);
    PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: cannot read attribute %s", fname, name);
  }
  H5Tclose(mt);
  H5Tclose(t);
  H5Aclose(a);
  *found = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode read_attr_num(const char *fname, hid_t obj, const char *name, hid_t memtype, void *v, PetscBool *found)
{
  hid_t  a, t;
  herr_t st = -1;

  PetscFunctionBegin;
  *found = PETSC_FALSE;
  if (H5Aexists(obj, name) <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  a = H5Aopen(obj, name, H5P_DEFAULT);
  t = a >= 0 ? H5Aget_type(a) : -1;
  if (t >= 0 && (H5Tget_class(t) == H5T_INTEGER || H5Tget_class(t) == H5T_FLOAT)) st = H5Aread(a, memtype, v);
  if (t >= 0) H5Tclose(t);
  if (a >= 0) H5Aclose(a);
  PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "checkpoint %s: attribute %s is not a readable number", fname, name);
  *found = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_h5_read_attr_double(const char *fname, hid_t obj, const char *name, double *v, PetscBool *found)
{
  PetscFunctionBegin;
  PetscCall(read_attr_num(fname, obj, name, H5T_NATIVE_DOUBLE, v, found));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode neop_h5_read_attr_int64(const char *fname, hid_t obj, const char *name, int64_t *v, PetscBool *found)
{
  PetscFunctionBegin;
  PetscCall(read_attr_num(fname, obj, name, H5T_NATIVE_INT64, v, found));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  uint32_t crc[3];
  char     failed[256]; /* the dataset that could not be read */
} CrcVisit;

static herr_t crc_visit(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
  CrcVisit *cv  = (CrcVisit *)data;
  int       cat = !strncmp(name, "params/", 7) ? 0 : !strncmp(name, "optimizer/", 10) ? 1 : 2;
  hid_t     o, t, s;
  void     *buf;
  size_t    bytes;
  herr_t    st;

  if (info->type != H5L_TYPE_HARD) return 0;
  o = H5Oopen(group, name, H5P_DEFAULT);
  if (o < 0) goto fail;
  if (H5Iget_type(o) != H5I_DATASET) {
    H5Oclose(o);
    return 0;
  }
  /* the stored bytes: read in the file's own type, no conversion */
  t     = H5Dget_type(o);
  s     = H5Dget_space(o);
  bytes = (size_t)H5Sget_simple_extent_npoints(s) * H5Tget_size(t);
  buf   = malloc(bytes ? bytes : 1);
  st    = buf ? H5Dread(o, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : -1;
  if (st >= 0) {
    cv->crc[cat] = neop_crc32(cv->crc[cat], name, strlen(name));
    cv->crc[cat] = neop_crc32(cv->crc[cat], buf, bytes);
  }
  free(buf);
  H5Sclose(s);
  H5Tclose(t);
  H5Oclose(o);
  if (st >= 0) return 0;
fail:
  snprintf(cv->failed, sizeof(cv->failed), "%s", name);
  return -1;
}

PetscErrorCode neop_h5_checksums(const char *fname, hid_t file, uint32_t crc[3])
{
  CrcVisit cv;

  PetscFunctionBegin;
  PetscCall(PetscMemzero(&cv, sizeof(cv)));
  PetscCheck(H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, crc_visit, &cv) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ,
             "checkpoint %s: cannot read %s (truncated or corrupted)", fname, cv.failed[0] ? cv.failed : "the group structure");
  for (int i = 0; i < 3; i++) crc[i] = cv.crc[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}
