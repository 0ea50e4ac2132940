#!/usr/bin/python3
"""Reference values for tests/test_conv.c: torch convolutions (nn.Conv1d/2d
with padding_mode, nn.ConvTranspose1d/2d) in float64 on float32 inputs.

Run with Debian's torch:  /usr/bin/python3 tests/reference/conv.py
Writes tests/fixtures/conv.h5: "cases" (their number) and groups case0,
case1, ... (attribute 'name'), each with two datasets (few datasets keep
the file small):
  config  [transposed, dims, stride(2), padding(2), output_padding(2), mode, bias,
           shape of x (4), of W (4), of y (4)] (shapes padded with 1)
  data    x, W, b (when bias), g (the weight of the scalar loss sum(y * g)),
          y, dx, dW, db (when bias), flattened one after the other."""
import os
import h5py
import numpy as np
import torch
import torch.nn.functional as F

MODES = {"zero": 0, "circular": 1, "reflect": 2}
rng = np.random.default_rng(2024)


def conv_case(f, name, dims, cin, cout, size, k, s, p, mode="zero", bias=True, transposed=False, op=(0, 0)):
    k = (k,) * dims if isinstance(k, int) else k
    s = (s,) * dims if isinstance(s, int) else s
    p = (p,) * dims if isinstance(p, int) else p
    op = tuple(op[:dims])
    x = rng.uniform(-1, 1, (2, cin) + tuple(size)).astype(np.float32)
    wshape = (cin, cout) + k if transposed else (cout, cin) + k
    W = rng.uniform(-0.5, 0.5, wshape).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, cout).astype(np.float32)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    Wt = torch.tensor(W, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True) if bias else None
    if transposed:
        fn = F.conv_transpose2d if dims == 2 else F.conv_transpose1d
        y = fn(xt, Wt, bt, stride=s, padding=p, output_padding=op)
    else:
        fn = F.conv2d if dims == 2 else F.conv1d
        if mode == "zero":
            y = fn(xt, Wt, bt, stride=s, padding=p)
        else:
            # what nn.Conv*d does for padding_mode != 'zeros'
            pads = []
            for d in reversed(range(dims)):
                pads += [p[d], p[d]]
            y = fn(F.pad(xt, pads, mode=mode), Wt, bt, stride=s)
    g = rng.uniform(-1, 1, tuple(y.shape)).astype(np.float32)
    (y * torch.tensor(g, dtype=torch.float64)).sum().backward()
    grp = f.create_group(f"case{len(f.keys()) - 1}" if "cases" in f else f"case{len(f.keys())}")
    grp.attrs["name"] = name
    pad2 = lambda v: list(v) + [0] * (2 - len(v))
    cfg = [float(transposed), dims] + pad2(s) + pad2(p) + pad2(op) + [MODES[mode], float(bias)]
    # config, then the shapes of x, W and y padded to rank 4
    shp = lambda a: list(a) + [1] * (4 - len(a))
    grp["config"] = np.array(cfg + shp(x.shape) + shp(W.shape) + shp(y.shape), dtype=np.float32)
    parts = [x, W] + ([b] if bias else []) + [g, y.detach().numpy(), xt.grad.numpy(), Wt.grad.numpy()]
    parts += [bt.grad.numpy()] if bias else []
    grp["data"] = np.concatenate([np.asarray(v, dtype=np.float32).ravel() for v in parts])


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "conv.h5")
    names = []
    with h5py.File(out, "w", libver="latest") as f:
        def add(name, *a, **kw):
            conv_case(f, name, *a, **kw)
            names.append(name)
        for mode in MODES:
            for s in (1, 2):
                add(f"conv2d_k3_s{s}_{mode}", 2, 3, 4, (9, 8), 3, s, 1, mode)
                add(f"conv1d_k3_s{s}_{mode}", 1, 3, 4, (11,), 3, s, 1, mode)
            add(f"conv2d_k5_s2_{mode}", 2, 2, 3, (10, 11), 5, 2, 2, mode)
            add(f"conv1d_k5_s1_{mode}", 1, 2, 3, (12,), 5, 1, 2, mode)
        add("conv2d_1x1", 2, 5, 3, (6, 7), 1, 1, 0)
        add("conv2d_1x1_s2_nobias", 2, 5, 3, (6, 7), 1, 2, 0, bias=False)
        add("conv2d_k3x5_mixed_nobias", 2, 3, 2, (8, 9), (3, 5), (1, 2), (1, 2), "reflect", bias=False)
        add("conv1d_1x1", 1, 4, 6, (9,), 1, 1, 0)
        for k, op, size in ((4, 0, (5, 4)), (3, 0, (5, 4)), (3, 1, (5, 4))):
            add(f"convT2d_k{k}_op{op}", 2, 3, 4, size, k, 2, 1, transposed=True, op=(op, op))
            add(f"convT1d_k{k}_op{op}", 1, 3, 4, (7,), k, 2, 1, transposed=True, op=(op, op))
        add("convT2d_k4_nobias", 2, 4, 2, (3, 6), 4, 2, 1, bias=False, transposed=True)
        f["cases"] = np.array([len(names)], dtype=np.float32)
    print(f"wrote {out}: {len(names)} cases")


if __name__ == "__main__":
    main()
