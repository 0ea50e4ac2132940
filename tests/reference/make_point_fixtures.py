#!/usr/bin/python3
"""Malformed point-set files for tests/cli_points.sh (numpy, h5py):
  points_bad_shape.h5  /pos (4, 9, 2) while /a, /u hold 10 nodes
  points_nan.h5        /pos (4, 10, 2) with a NaN in sample 2
Run: /usr/bin/python3 tests/reference/make_point_fixtures.py"""
import os
import h5py
import numpy as np

rng = np.random.default_rng(3)
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")


def write(name, pos):
    with h5py.File(os.path.join(here, name), "w") as f:
        f["a"] = rng.uniform(3, 12, (4, 1, 10)).astype(np.float32)
        f["u"] = rng.uniform(0, 0.01, (4, 1, 10)).astype(np.float32)
        f["pos"] = pos.astype(np.float32)
        f.attrs["neop_schema"] = np.int32(1)
        f.attrs["pde"] = "darcy"
        f.attrs["geometry"] = "points"
        f.attrs["complete"] = np.int32(1)


write("points_bad_shape.h5", rng.uniform(0, 1, (4, 9, 2)))
pos = rng.uniform(0, 1, (4, 10, 2))
pos[2, 7, 1] = np.nan
write("points_nan.h5", pos)
print("wrote points_bad_shape.h5, points_nan.h5 in", here)
