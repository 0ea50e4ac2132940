/* Reading a block of samples of one field: a strided hyperslab (HDF5) or a
   strided slab (matio) in storage order, then one permutation into
   (n, channels, *S_sub) row-major float32. */
#include "io/dataset_impl.h"

int64_t NeopFieldSampleSize(const NeopField *f, int sub)
{
  int64_t s = f->channels;
  for (int k = 0; k < f->dim; k++) s *= NeopSubCount(f->space[k], sub);
  return s;
}

/* Selection per STORAGE axis s: start, stride, count. */
static void storage_selection(const NeopField *f, int sub, int64_t n0, int64_t n, int64_t *start, int64_t *stride,
                              int64_t *count)
{
  for (int s = 0; s < f->rank; s++) {
    int k = f->reversed ? f->rank - 1 - s : s;
    switch (f->role[k]) {
    case NEOP_AXIS_SAMPLE:
      start[s] = n0, stride[s] = 1, count[s] = n;
      break;
    case NEOP_AXIS_CHANNEL:
      start[s] = 0, stride[s] = 1, count[s] = f->dims[k];
      break;
    case NEOP_AXIS_SPACE:
      start[s] = 0, stride[s] = sub, count[s] = NeopSubCount(f->dims[k], sub);
      break;
    case NEOP_AXIS_PICK:
      start[s] = f->pick[k], stride[s] = 1, count[s] = 1;
      break;
    }
  }
}

/* Output axes (sample, channels..., spaces..., each in logical order) as storage axes. */
static int output_axes(const NeopField *f, int *axes)
{
  int m = 0;
  for (int pass = 0; pass < 3; pass++) {
    NeopAxisRole want = pass == 0 ? NEOP_AXIS_SAMPLE : pass == 1 ? NEOP_AXIS_CHANNEL : NEOP_AXIS_SPACE;
    for (int k = 0; k < f->rank; k++)
      if (f->role[k] == want) axes[m++] = f->reversed ? f->rank - 1 - k : k;
  }
  return m;
}

/* True when the storage order of the selected block is already the output order. */
static PetscBool is_identity(const NeopField *f)
{
  int axes[NEOP_FIELD_MAX_RANK], m = output_axes(f, axes);
  for (int j = 1; j < m; j++)
    if (axes[j] < axes[j - 1]) return PETSC_FALSE;
  return PETSC_TRUE;
}

/* out (output order) <- buf (storage order, dims count[]). */
static void permute(const NeopField *f, const int64_t *count, const float *buf, float *out)
{
  int     axes[NEOP_FIELD_MAX_RANK], m = output_axes(f, axes);
  int64_t bstride[NEOP_FIELD_MAX_RANK], odim[NEOP_FIELD_MAX_RANK], ostr[NEOP_FIELD_MAX_RANK], idx[NEOP_FIELD_MAX_RANK] = {0};
  int64_t total = 1, s = 1;

  for (int a = f->rank - 1; a >= 0; a--) {
    bstride[a] = s;
    s *= count[a];
  }
  for (int j = 0; j < m; j++) {
    odim[j] = count[axes[j]];
    ostr[j] = bstride[axes[j]];
    total *= odim[j];
  }
  if (!total) return;
  /* odometer over the output; the innermost axis is a strided copy */
  int64_t inner = odim[m - 1], istr = ostr[m - 1], off = 0;
  for (int64_t o = 0; o < total; o += inner) {
    for (int64_t i = 0; i < inner; i++) out[o + i] = buf[off + i * istr];
    for (int j = m - 2; j >= 0; j--) {
      idx[j]++;
      off += ostr[j];
      if (idx[j] < odim[j]) break;
      off -= idx[j] * ostr[j];
      idx[j] = 0;
    }
  }
}

PetscErrorCode NeopFieldReadH5(const char *path, hid_t file, hid_t dxpl, const NeopField *f, int sub, int64_t n0, int64_t n,
                               float *out)
{
  int64_t start[NEOP_FIELD_MAX_RANK], stride[NEOP_FIELD_MAX_RANK], count[NEOP_FIELD_MAX_RANK];
  hsize_t hstart[NEOP_FIELD_MAX_RANK], hstride[NEOP_FIELD_MAX_RANK], hcount[NEOP_FIELD_MAX_RANK];
  int64_t total = n * NeopFieldSampleSize(f, sub);
  float   *buf  = NULL, dummy;
  hid_t    d, fs, ms;
  herr_t   st;

  PetscFunctionBegin;
  storage_selection(f, sub, n0, n, start, stride, count);
  for (int s = 0; s < f->rank; s++) hstart[s] = (hsize_t)start[s], hstride[s] = (hsize_t)stride[s], hcount[s] = (hsize_t)count[s];
  NeopH5Quiet(PETSC_TRUE);
  d  = H5Dopen2(file, f->name, H5P_DEFAULT);
  fs = d >= 0 ? H5Dget_space(d) : -1;
  if (total > 0) {
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, hstart, hstride, hcount, NULL);
    ms = H5Screate_simple(f->rank, hcount, NULL);
  } else { /* take part in a collective read with nothing */
    hsize_t one = 1;
    H5Sselect_none(fs);
    ms = H5Screate_simple(1, &one, NULL);
    H5Sselect_none(ms);
  }
  if (total > 0 && !is_identity(f)) PetscCall(PetscMalloc1(total, &buf));
  st = d >= 0 ? H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, dxpl, total > 0 ? (buf ? buf : out) : &dummy) : -1;
  H5Sclose(ms);
  if (fs >= 0) H5Sclose(fs);
  if (d >= 0) H5Dclose(d);
  NeopH5Quiet(PETSC_FALSE);
  if (st < 0) PetscCall(PetscFree(buf));
  PetscCheck(st >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading samples [%lld, %lld) of dataset '%s' failed (truncated or corrupt file?)",
             path, (long long)n0, (long long)(n0 + n), f->name);
  if (buf) {
    permute(f, count, buf, out);
    PetscCall(PetscFree(buf));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode NeopFieldReadMat5(const char *path, const NeopField *f, int sub, int64_t n0, int64_t n, float *out)
{
  int64_t   start[NEOP_FIELD_MAX_RANK], stride[NEOP_FIELD_MAX_RANK], count[NEOP_FIELD_MAX_RANK];
  int       mstart[NEOP_FIELD_MAX_RANK], mstride[NEOP_FIELD_MAX_RANK], medge[NEOP_FIELD_MAX_RANK];
  int64_t   total = n * NeopFieldSampleSize(f, sub);
  mat_t    *mat;
  matvar_t *v;
  void     *raw;
  float    *buf;
  int       st;

  PetscFunctionBegin;
  if (!total) PetscFunctionReturn(PETSC_SUCCESS);
  storage_selection(f, sub, n0, n, start, stride, count);
  /* matio takes MATLAB-order (logical) slabs and returns them column-major,
     which is the reversed (storage) order of the selection above */
  for (int s = 0; s < f->rank; s++) {
    int k      = f->rank - 1 - s;
    mstart[k]  = (int)start[s];
    mstride[k] = (int)stride[s];
    medge[k]   = (int)count[s];
  }
  PetscCall(NeopMat5Open(path, &mat));
  v = Mat_VarReadInfo(mat, f->name);
  if (!v) Mat_Close(mat);
  PetscCheck(v, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: variable '%s' can no longer be read", path, f->name);
  PetscBool dbl = v->class_type == MAT_C_DOUBLE;
  PetscCall(PetscMalloc(total * (dbl ? sizeof(double) : sizeof(float)), &raw));
  st = Mat_VarReadData(mat, v, raw, mstart, mstride, medge);
  Mat_VarFree(v);
  Mat_Close(mat);
  if (st) PetscCall(PetscFree(raw));
  PetscCheck(!st, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading samples [%lld, %lld) of variable '%s' failed (truncated or corrupt file?)%s%s",
             path, (long long)n0, (long long)(n0 + n), f->name, NeopMat5LastMessage()[0] ? ": " : "", NeopMat5LastMessage());
  if (dbl) {
    const double *d = raw;
    PetscCall(PetscMalloc1(total, &buf));
    for (int64_t i = 0; i < total; i++) buf[i] = (float)d[i];
    permute(f, count, buf, out);
    PetscCall(PetscFree(buf));
  } else permute(f, count, (const float *)raw, out);
  PetscCall(PetscFree(raw));
  PetscFunctionReturn(PETSC_SUCCESS);
}
