#!/usr/bin/python3
"""Writes the small data files that tests/test_dataset.c, tests/test_mpi_dataset.c
and tests/cli_convert_info.sh read, one per supported format, and the arrays a
correct reader must return for them (computed here with numpy slicing).

Run with Debian's python (numpy, h5py, scipy):  /usr/bin/python3 tests/reference/make_import_fixtures.py
Everything is deterministic (fixed seeds); the files are committed.

Orientation rules reproduced here (see docs/data.md):
  - MATLAB stores arrays column-major. scipy.io.savemat writes a numpy array of
    shape (N, S1, S2) as the MATLAB variable of size N x S1 x S2 (v5 format).
  - A MATLAB v7.3 file is HDF5 with a 512-byte user block holding the MAT header;
    the MATLAB variable N x S1 x S2 appears as an HDF5 dataset of shape (S2, S1, N)
    (row-major view of column-major data), with an attribute MATLAB_class.
    The FNO scripts' MatReader undoes this with np.transpose over all axes.
"""
import os
import numpy as np
import h5py
import scipy.io

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures")


def rng(seed):
    return np.random.default_rng(seed)


def write_mat73(path, variables):
    """HDF5 laid out as MATLAB 7.3 writes it: user block with the MAT header,
    every variable stored with its axes reversed, MATLAB_class attribute."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for name, v in variables.items():
            d = f.create_dataset(name, data=np.ascontiguousarray(v.T))
            cls = {np.dtype("float64"): "double", np.dtype("float32"): "single"}[v.dtype]
            d.attrs.create("MATLAB_class", np.bytes_(cls))
    text = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
    header = text.ljust(116, b" ") + b"\0" * 8 + b"\x00\x02" + b"IM"
    with open(path, "r+b") as f:
        f.write(header)


def neop_attrs(f, pde, complete=True):
    f.attrs["neop_schema"] = np.int32(1)
    f.attrs["pde"] = pde
    f.attrs["seed"] = np.int64(7)
    f.attrs["neop_version"] = "0.1.0"
    if complete:
        f.attrs["complete"] = np.int32(1)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    # MATLAB v5 (compressed, as MATLAB's default -v7 save): FNO keys, a non-square
    # 9 x 7 grid so that a swap of the two spatial axes cannot go unnoticed.
    coeff = rng(1).uniform(3, 12, size=(4, 9, 7))
    sol = rng(2).normal(size=(4, 9, 7))
    coeff_nan = coeff.copy()
    coeff_nan[2, 4, 3] = np.nan
    sol_small = sol[:, :5, :5].copy()
    scipy.io.savemat(os.path.join(OUT, "import_mat5.mat"),
                     {"coeff": coeff, "sol": sol, "coeff_nan": coeff_nan, "sol_small": sol_small},
                     do_compression=True)
    expected["mat5_a"] = coeff[:, None]
    expected["mat5_u"] = sol[:, None]
    expected["mat5_a_sub2"] = coeff[:, None, ::2, ::2]
    expected["mat5_a_sub2_off1_n2"] = coeff[1:3, None, ::2, ::2]
    expected["mat5_u_sub2_off1_n2"] = sol[1:3, None, ::2, ::2]

    # MATLAB v7.3: coeff/sol (4 x 9 x 7) and a Navier-Stokes-like pair a (3 x 5 x 6),
    # u (3 x 5 x 6 x 4) whose trailing axis is time.
    c73 = rng(3).uniform(3, 12, size=(4, 9, 7))
    s73 = rng(4).normal(size=(4, 9, 7))
    a_ns = rng(5).normal(size=(3, 5, 6))
    u_ns = rng(6).normal(size=(3, 5, 6, 4))
    write_mat73(os.path.join(OUT, "import_mat73.mat"),
                {"coeff": c73, "sol": s73, "a": a_ns, "u": u_ns, "sol_flat": s73.reshape(4, 63)})
    expected["mat73_a"] = c73[:, None]
    expected["mat73_u"] = s73[:, None]
    expected["mat73_a_sub3_off2"] = c73[2:, None, ::3, ::3]
    expected["mat73_u_sub3_off2"] = s73[2:, None, ::3, ::3]
    expected["mat73_ns_a"] = a_ns[:, None]
    expected["mat73_ns_u"] = np.moveaxis(u_ns, 3, 1)           # time -> channels
    expected["mat73_ns_u_last"] = u_ns[:, None, :, :, -1]
    expected["mat73_ns_u_last_sub2"] = u_ns[:, None, ::2, ::2, -1]
    expected["mat73_ns_u_sub2"] = np.moveaxis(u_ns, 3, 1)[:, :, ::2, ::2]

    # DGenNO (Example_DarcyFlow_piecewise): coe and u are S1 x S2 x N in MATLAB (the sample axis
    # last; the scripts read the v7.3 datasets (N, S2, S1) as they are), with mesh coordinates X, Y.
    # coe(i, j, n) must become a[n][0][i][j]; v7.3 and v5 alike.
    coe = rng(12).choice([5.0, 10.0], size=(9, 7, 4))
    ug = rng(13).normal(size=(9, 7, 4))
    X, Y = np.meshgrid(np.linspace(0, 1, 7), np.linspace(0, 1, 9))
    write_mat73(os.path.join(OUT, "import_dgenno73.mat"), {"coe": coe, "u": ug, "X": X, "Y": Y})
    scipy.io.savemat(os.path.join(OUT, "import_dgenno5.mat"), {"coe": coe, "u": ug, "X": X, "Y": Y}, do_compression=True)
    expected["dgenno_a"] = np.moveaxis(coe, 2, 0)[:, None]
    expected["dgenno_u"] = np.moveaxis(ug, 2, 0)[:, None]
    expected["dgenno_a_sub2_off1"] = np.moveaxis(coe, 2, 0)[1:, None, ::2, ::2]
    expected["dgenno_u_sub2_off1"] = np.moveaxis(ug, 2, 0)[1:, None, ::2, ::2]

    # PDEBench 1-D: tensor (N, T, X), x-coordinate (X), t-coordinate (T + 1).
    tensor = rng(7).normal(size=(4, 6, 16)).astype(np.float32)
    with h5py.File(os.path.join(OUT, "import_pdebench_1d.h5"), "w") as f:
        f["tensor"] = tensor
        f["x-coordinate"] = ((np.arange(16) + 0.5) / 16).astype(np.float32)
        f["t-coordinate"] = np.linspace(0, 2, 7).astype(np.float32)
    expected["pde1d_a"] = tensor[:, 0:1]
    expected["pde1d_u"] = tensor[:, 5:6]
    expected["pde1d_u_t2_sub3"] = tensor[:, 2:3, ::3]
    expected["pde1d_x_sub3"] = ((np.arange(16) + 0.5) / 16).astype(np.float32)[::3]

    # PDEBench 2-D Darcy: nu (N, S, S), tensor (N, 1, S, S).
    nu = rng(8).uniform(0.1, 1, size=(4, 9, 9)).astype(np.float32)
    ud = rng(9).normal(size=(4, 1, 9, 9)).astype(np.float32)
    with h5py.File(os.path.join(OUT, "import_pdebench_darcy.h5"), "w") as f:
        f["nu"] = nu
        f["tensor"] = ud
        f["x-coordinate"] = np.linspace(0, 1, 9).astype(np.float32)
        f["y-coordinate"] = np.linspace(0, 1, 9).astype(np.float32)
    expected["darcy_a_sub4"] = nu[:, None, ::4, ::4]
    expected["darcy_u_sub4"] = ud[:, :, ::4, ::4]

    # neop schema, stationary: a (N, 2, 9, 9), u (N, 1, 9, 9).
    an = rng(10).normal(size=(4, 2, 9, 9)).astype(np.float32)
    un = rng(11).normal(size=(4, 1, 9, 9)).astype(np.float32)
    for name, complete in (("import_neop.h5", True), ("import_neop_incomplete.h5", False)):
        with h5py.File(os.path.join(OUT, name), "w") as f:
            f["a"] = an
            f["u"] = un
            f["x"] = np.linspace(0, 1, 9)
            f["y"] = np.linspace(0, 1, 9)
            neop_attrs(f, "darcy", complete)
    expected["neop_a"] = an
    expected["neop_u"] = un
    expected["neop_a_sub2_off1_n3"] = an[1:4, :, ::2, ::2]

    # neop schema, time-dependent (1-D): a (N, 1, X), u (N, T, 1, X), t (T).
    at = rng(12).normal(size=(3, 1, 8)).astype(np.float32)
    ut = rng(13).normal(size=(3, 5, 1, 8)).astype(np.float32)
    with h5py.File(os.path.join(OUT, "import_neop_time.h5"), "w") as f:
        f["a"] = at
        f["u"] = ut
        f["t"] = np.linspace(0, 1, 5)
        f["x"] = np.arange(8) / 8.0
        neop_attrs(f, "burgers")
    expected["neopt_a"] = at
    expected["neopt_u"] = ut.reshape(3, 5, 8)                  # (T, C) -> channels
    expected["neopt_u_t3"] = ut[:, 3]

    with h5py.File(os.path.join(OUT, "import_expected.h5"), "w") as f:
        for k, v in expected.items():
            f[k] = np.ascontiguousarray(v, dtype=np.float32)


if __name__ == "__main__":
    main()
