/* What kind of data file a path holds, and small helpers shared by the readers. */
#include "io/dataset_impl.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const NeopFileKindNames[] = {"neop data file", "neop checkpoint", "PDEBench", "MATLAB v7.3", "MATLAB v5",
                                         "HDF5 (no known layout)"};

void NeopH5Quiet(PetscBool quiet)
{
  static H5E_auto2_t saved_fn;
  static void       *saved_data;
  static int         depth;
  if (quiet) {
    if (depth++ == 0) {
      H5Eget_auto2(H5E_DEFAULT, &saved_fn, &saved_data);
      H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    }
  } else if (depth > 0 && --depth == 0) H5Eset_auto2(H5E_DEFAULT, saved_fn, saved_data);
}

/* The 128-byte MAT header: text, then version and endian indicator at 124..127. */
static PetscBool is_mat_header(const unsigned char *h, size_t n, const char *version)
{
  if (n < 128 || strncmp((const char *)h, "MATLAB ", 7)) return PETSC_FALSE;
  if (!((h[126] == 'I' && h[127] == 'M') || (h[126] == 'M' && h[127] == 'I'))) return PETSC_FALSE;
  return strncmp((const char *)h + 7, version, strlen(version)) ? PETSC_FALSE : PETSC_TRUE;
}

static PetscBool h5_has_attr_string(hid_t obj, const char *name, const char *value)
{
  PetscBool match = PETSC_FALSE;
  if (H5Aexists(obj, name) <= 0) return PETSC_FALSE;
  hid_t a = H5Aopen(obj, name, H5P_DEFAULT), t = H5Aget_type(a);
  if (H5Tget_class(t) == H5T_STRING) {
    char buf[64] = "";
    if (H5Tis_variable_str(t) > 0) {
      char *s = NULL;
      hid_t m = H5Tcopy(H5T_C_S1);
      H5Tset_size(m, H5T_VARIABLE);
      H5Tset_cset(m, H5Tget_cset(t));
      if (H5Aread(a, m, &s) >= 0 && s) {
        match = !strcmp(s, value);
        H5free_memory(s);
      }
      H5Tclose(m);
    } else if (H5Tget_size(t) < sizeof(buf)) {
      hid_t m = H5Tcopy(H5T_C_S1);
      H5Tset_size(m, sizeof(buf));
      H5Tset_cset(m, H5Tget_cset(t));
      if (H5Aread(a, m, buf) >= 0) match = !strcmp(buf, value);
      H5Tclose(m);
    }
  }
  H5Tclose(t);
  H5Aclose(a);
  return match;
}

PetscErrorCode NeopH5OpenSelf(const char *path, hid_t *file)
{
  PetscFunctionBegin;
  NeopH5Quiet(PETSC_TRUE);
  *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  NeopH5Quiet(PETSC_FALSE);
  PetscCheck(*file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ,
             "%s: cannot be opened as HDF5 (truncated or corrupt file?)", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A v5 file is the header and a sequence of top-level elements, each a tag
   (type, byte count) and its data, padded to 8 bytes unless compressed
   (type 15). matio reads a cut-off variable without complaint, so walk the
   tags and refuse a file that ends inside one. */
static PetscErrorCode mat5_check_length(const char *path, const unsigned char *head)
{
  PetscBool little = head[126] == 'I' ? PETSC_TRUE : PETSC_FALSE;
  FILE     *fp     = fopen(path, "rb");
  long long size, off = 128;

  PetscFunctionBegin;
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open: %s", path, strerror(errno));
  fseek(fp, 0, SEEK_END);
  size = ftell(fp);
  while (off < size) {
    unsigned char t[8];
    long long     type, nbytes, next;
    if (off + 8 > size || fseek(fp, off, SEEK_SET) || fread(t, 1, 8, fp) != 8) break;
    if (little) type = t[0] | t[1] << 8 | t[2] << 16 | (long long)t[3] << 24, nbytes = t[4] | t[5] << 8 | t[6] << 16 | (long long)t[7] << 24;
    else type = t[3] | t[2] << 8 | t[1] << 16 | (long long)t[0] << 24, nbytes = t[7] | t[6] << 8 | t[5] << 16 | (long long)t[4] << 24;
    next = off + 8 + nbytes;
    if (type != 15) next = (next + 7) / 8 * 8;
    if (next > size) break;
    off = next;
  }
  fclose(fp);
  PetscCheck(off >= size, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: truncated MATLAB file: the data element at byte %lld runs past the end of the file (%lld bytes)", path, off, size);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFileDetect(const char *path, NeopFileKind *kind)
{
  FILE         *fp;
  unsigned char head[128];
  size_t        n;
  htri_t        is_h5;
  hid_t         f;

  PetscFunctionBegin;
  fp = fopen(path, "rb");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot open: %s", path, strerror(errno));
  n = fread(head, 1, sizeof(head), fp);
  fclose(fp);
  NeopH5Quiet(PETSC_TRUE);
  is_h5 = H5Fis_hdf5(path);
  NeopH5Quiet(PETSC_FALSE);
  if (is_h5 <= 0) {
    PetscCheck(!is_mat_header(head, n, "7.3"), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "%s: MATLAB v7.3 header but no HDF5 data (truncated or corrupt file?)", path);
    PetscCheck(is_mat_header(head, n, ""), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
               "%s: neither an HDF5 file nor a MATLAB .mat file (truncated, or another format?)", path);
    PetscCall(mat5_check_length(path, head));
    *kind = NEOP_FILE_MAT5;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(NeopH5OpenSelf(path, &f));
  NeopH5Quiet(PETSC_TRUE);
  if (h5_has_attr_string(f, "kind", "checkpoint")) *kind = NEOP_FILE_CHECKPOINT;
  else if (H5Aexists(f, "neop_schema") > 0) *kind = NEOP_FILE_NEOP;
  else if (is_mat_header(head, n, "7.3")) *kind = NEOP_FILE_MAT73;
  else if (H5Lexists(f, "tensor", H5P_DEFAULT) > 0) *kind = NEOP_FILE_PDEBENCH;
  else *kind = NEOP_FILE_HDF5;
  NeopH5Quiet(PETSC_FALSE);
  H5Fclose(f);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopParseKey(const char *path, const char *key, char *name, size_t len, PetscBool *has_pick, int64_t *pick)
{
  const char *lb = strchr(key, '[');
  char       *end;

  PetscFunctionBegin;
  *has_pick = PETSC_FALSE;
  *pick     = 0;
  if (!lb) {
    PetscCall(PetscStrncpy(name, key, len));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(lb > key && (size_t)(lb - key) < len, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "%s: key '%s': bad name", path, key);
  memcpy(name, key, (size_t)(lb - key));
  name[lb - key] = 0;
  errno          = 0;
  *pick          = strtoll(lb + 1, &end, 10);
  PetscCheck(!errno && end != lb + 1 && end[0] == ']' && end[1] == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG,
             "%s: key '%s': expected name or name[index], e.g. tensor[-1]", path, key);
  *has_pick = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFieldFinish(const char *path, NeopField *f)
{
  PetscFunctionBegin;
  f->channels = 1;
  f->dim      = 0;
  for (int k = 0; k < f->rank; k++) {
    switch (f->role[k]) {
    case NEOP_AXIS_CHANNEL:
      f->channels *= (int)f->dims[k];
      break;
    case NEOP_AXIS_SPACE:
      PetscCheck(f->dim < 3, PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: dataset %s: more than 3 spatial axes", path, f->name);
      f->space[f->dim++] = f->dims[k];
      break;
    case NEOP_AXIS_PICK: {
      int64_t p = f->pick[k] < 0 ? f->pick[k] + f->dims[k] : f->pick[k];
      PetscCheck(p >= 0 && p < f->dims[k], PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE,
                 "%s: key %s: index %lld out of range for an axis of length %lld", path, f->key, (long long)f->pick[k],
                 (long long)f->dims[k]);
      f->pick[k] = p;
    } break;
    case NEOP_AXIS_SAMPLE:
      f->samples = f->dims[k];
      break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Names of the root's members, for "no dataset X (it has: ...)" messages. */
static herr_t list_member(hid_t g, const char *name, const H5L_info_t *info, void *ctx)
{
  char *list = ctx;
  if (strlen(list) + strlen(name) + 3 < 256) {
    if (list[0]) strcat(list, ", ");
    strcat(list, name);
  }
  return 0;
}

PetscErrorCode NeopH5DatasetDims(const char *path, hid_t file, const char *name, int *rank, int64_t *dims)
{
  char    members[256] = "";
  hsize_t h[H5S_MAX_RANK];
  hid_t   d, s, t;
  int     r;

  PetscFunctionBegin;
  NeopH5Quiet(PETSC_TRUE);
  htri_t exists = H5Lexists(file, name, H5P_DEFAULT) > 0 && H5Oexists_by_name(file, name, H5P_DEFAULT) > 0;
  if (!exists) H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, NULL, list_member, members);
  NeopH5Quiet(PETSC_FALSE);
  PetscCheck(exists, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no dataset '%s' (the file has: %s)", path, name,
             members[0] ? members : "nothing");
  NeopH5Quiet(PETSC_TRUE);
  d = H5Dopen2(file, name, H5P_DEFAULT);
  NeopH5Quiet(PETSC_FALSE);
  PetscCheck(d >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: '%s' is not a dataset (a group? MATLAB cells and structs are not supported)", path, name);
  t = H5Dget_type(d);
  H5T_class_t cls = H5Tget_class(t);
  H5Tclose(t);
  s = H5Dget_space(d);
  r = H5Sget_simple_extent_dims(s, h, NULL);
  H5Sclose(s);
  H5Dclose(d);
  PetscCheck(cls == H5T_FLOAT || cls == H5T_INTEGER, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: dataset '%s' is not numeric (HDF5 type class %d)", path, name, (int)cls);
  PetscCheck(r >= 1 && r <= NEOP_FIELD_MAX_RANK, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s: dataset '%s' has rank %d, expected 1 to %d", path, name, r, NEOP_FIELD_MAX_RANK);
  *rank = r;
  for (int i = 0; i < r; i++) dims[i] = (int64_t)h[i];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopH5RootAttrInt(hid_t file, const char *name, int64_t *value, PetscBool *found)
{
  long long v = 0;

  PetscFunctionBegin;
  *found = PETSC_FALSE;
  if (H5Aexists(file, name) > 0) {
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    if (H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0) *found = PETSC_TRUE;
    H5Aclose(a);
  }
  *value = v;
  PetscFunctionReturn(PETSC_SUCCESS);
}
