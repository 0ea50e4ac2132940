/* Serial HDF5 helpers of the checkpoint code. They run on the rank that does
   the I/O, raise errors on PETSC_COMM_SELF and name the checkpoint file
   'fname' in every message. Not collective. */
#pragma once
#include <neop/petsc_compat.h>
#include <hdf5.h>
#include <stdint.h>

/* Whether every component of 'path' (relative to loc, or absolute) exists. */
PetscErrorCode neop_h5_exists(hid_t loc, const char *path, PetscBool *exists);
/* Opens group 'path', creating it and its parents when absent. */
PetscErrorCode neop_h5_group(const char *fname, hid_t file, const char *path, hid_t *g);
/* Writes a dataset (parents created), refusing to replace an existing one. */
PetscErrorCode neop_h5_write_dataset(const char *fname, hid_t file, const char *path, hid_t memtype, hid_t filetype, int ndim,
                                     const hsize_t *dims, const void *buf);

/* Attributes on an open object; writing replaces an attribute of that name. */
PetscErrorCode neop_h5_write_attr_string(const char *fname, hid_t obj, const char *name, const char *value);
PetscErrorCode neop_h5_write_attr_int64(const char *fname, hid_t obj, const char *name, int64_t v);
PetscErrorCode neop_h5_write_attr_uint32(const char *fname, hid_t obj, const char *name, uint32_t v);
PetscErrorCode neop_h5_write_attr_double(const char *fname, hid_t obj, const char *name, double v);
/* Fixed- or variable-length strings; *found false when absent. */
PetscErrorCode neop_h5_read_attr_string(const char *fname, hid_t obj, const char *name, char *value, size_t len, PetscBool *found);
/* Any numeric attribute, converted. */
PetscErrorCode neop_h5_read_attr_double(const char *fname, hid_t obj, const char *name, double *v, PetscBool *found);
PetscErrorCode neop_h5_read_attr_int64(const char *fname, hid_t obj, const char *name, int64_t *v, PetscBool *found);

/* CRC-32 of every dataset of the file, visited in name order, over its name
   and its stored bytes, in three sums: [0] under /params, [1] under
   /optimizer, [2] everything else. A dataset that cannot be read is an error. */
PetscErrorCode neop_h5_checksums(const char *fname, hid_t file, uint32_t crc[3]);
