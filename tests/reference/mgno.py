#!/usr/bin/python3
"""PyTorch MgNO written from the facts of the paper's code (MgNO_DC / MgConv_DC:
u = S f on the finest level, u += S(f - A u) smoothing steps, 3x3 stride-2
restrictions Pi (u) and R (f), transposed-conv prolongations u_l += P u_(l+1),
layers act(MgConv(u) + Conv1x1(u) + b), bias-free 1x1 output conv), generalised
to 1-D and to any grid (prolongation kernel 4 - (n_l mod 2)), in float64.

Run: /usr/bin/python3 tests/reference/mgno.py -> tests/fixtures/mgno.h5 with
"cases" and groups case<i>:
  config  [dim, layers, channels, levels, in_channels, batch, grid0, grid1, mode,
           residual_restriction, pre (levels), post (levels), torch's parameter count]
  params  every parameter, concatenated in neop's declaration order
          (attribute 'names'), with 'param_sizes'
  x, g    input and the weight of the scalar loss sum(model(x) * g)
  y, dx, grads  output, d loss / dx and the parameter gradients (same order)."""
import os
import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MODES = {"zero": 0, "circular": 1, "reflect": 2}
TORCH_MODE = {"zero": "zeros", "circular": "circular", "reflect": "reflect"}


class MgConvRef(nn.Module):
    def __init__(self, dim, levels, cu, cf, pre, post, grid, mode, residual, prefix, names):
        super().__init__()
        Conv = nn.Conv2d if dim == 2 else nn.Conv1d
        ConvT = nn.ConvTranspose2d if dim == 2 else nn.ConvTranspose1d
        pm = TORCH_MODE[mode]
        self.levels, self.pre, self.post = levels, pre, post
        self.mods = nn.ModuleDict()

        def add(name, module):
            self.mods[name.replace(".", "_")] = module
            names.append((prefix + name, module.weight))
            return module

        def c3(name, cin, cout, stride=1):
            return add(name, Conv(cin, cout, 3, stride, 1, bias=False, padding_mode=pm))

        ext = [list(grid)]
        for l in range(1, levels):
            ext.append([(n + 1) // 2 for n in ext[-1]])
        for l in range(levels):
            if l > 0:
                if residual:
                    c3(f"level{l}.Ares", cu, cf)
                c3(f"level{l}.Pi", cu, cu, 2)
                c3(f"level{l}.R", cf, cf, 2)
            for i in range(pre[l]):
                c3(f"level{l}.pre{i}.S", cf, cu)
                if not (l == 0 and i == 0):
                    c3(f"level{l}.pre{i}.A", cu, cf)
            for i in range(post[l]):
                c3(f"level{l}.post{i}.S", cf, cu)
                c3(f"level{l}.post{i}.A", cu, cf)
        for l in range(levels - 1):
            k = tuple(4 - n % 2 for n in ext[l])
            add(f"level{l}.P", ConvT(cu, cu, k, 2, 1, bias=False))
        self.residual = residual

    def m(self, name):
        return self.mods[name.replace(".", "_")]

    def smooth(self, kind, l, steps, u, f, first=0):
        for i in range(first, steps):
            u = u + self.m(f"level{l}.{kind}{i}.S")(f - self.m(f"level{l}.{kind}{i}.A")(u))
        return u

    def forward(self, f):
        us, fs = [None] * self.levels, [None] * self.levels
        fs[0] = f
        us[0] = self.smooth("pre", 0, self.pre[0], self.m("level0.pre0.S")(f), f, first=1)
        for l in range(1, self.levels):
            r = fs[l - 1] - self.m(f"level{l}.Ares")(us[l - 1]) if self.residual else fs[l - 1]
            fs[l] = self.m(f"level{l}.R")(r)
            us[l] = self.smooth("pre", l, self.pre[l], self.m(f"level{l}.Pi")(us[l - 1]), fs[l])
        for l in range(self.levels - 2, -1, -1):
            us[l] = us[l] + self.m(f"level{l}.P")(us[l + 1])
            us[l] = self.smooth("post", l, self.post[l], us[l], fs[l])
        return us[0]


class MgNORef(nn.Module):
    def __init__(self, dim, layers, channels, levels, cin, pre, post, grid, mode, residual):
        super().__init__()
        Conv = nn.Conv2d if dim == 2 else nn.Conv1d
        self.names = []
        self.mg = nn.ModuleList()
        self.lin = nn.ModuleList()
        for i in range(layers):
            cf = cin if i == 0 else channels
            self.mg.append(MgConvRef(dim, levels, channels, cf, pre, post, grid, mode, residual, f"layer{i}.mg.", self.names))
            lin = Conv(cf, channels, 1)
            self.lin.append(lin)
            self.names += [(f"layer{i}.linear.weight", lin.weight), (f"layer{i}.linear.bias", lin.bias)]
        self.out = Conv(channels, 1, 1, bias=False)
        self.names.append(("out.weight", self.out.weight))

    def forward(self, u):
        for mg, lin in zip(self.mg, self.lin):
            u = F.gelu(mg(u) + lin(u))
        return self.out(u)


def case(f, idx, dim, layers, channels, levels, cin, batch, grid, mode, residual, pre, post):
    torch.manual_seed(idx)
    model = MgNORef(dim, layers, channels, levels, cin, pre, post, grid, mode, residual).double()
    nparams = sum(p.numel() for p in model.parameters())
    assert nparams == sum(p.numel() for _, p in model.names)
    x = torch.randn((batch, cin) + tuple(grid)).float()
    with torch.no_grad():  # float32 values, computed in float64
        for _, p in model.names:
            p.copy_(p.float().double())
    xt = x.double().requires_grad_(True)
    y = model(xt)
    g = torch.rand(y.shape).float() * 2 - 1
    (y * g.double()).sum().backward()
    grp = f.create_group(f"case{idx}")
    g2 = list(grid) + [1] * (2 - len(grid))
    grp["config"] = np.array([dim, layers, channels, levels, cin, batch] + g2 + [MODES[mode], residual] + pre + post +
                             [nparams], dtype=np.float32)
    grp["params"] = np.concatenate([p.detach().numpy().ravel() for _, p in model.names]).astype(np.float32)
    grp["params"].attrs["names"] = ",".join(n for n, _ in model.names)
    grp["param_sizes"] = np.array([p.numel() for _, p in model.names], dtype=np.float32)
    grp["grads"] = np.concatenate([p.grad.numpy().ravel() for _, p in model.names]).astype(np.float32)
    grp["x"] = x.numpy()
    grp["g"] = g.numpy()
    grp["y"] = y.detach().numpy().astype(np.float32)
    grp["dx"] = xt.grad.numpy().astype(np.float32)
    return nparams


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "mgno.h5")
    cases = [  # dim, layers, channels, levels, cin, batch, grid, mode, residual, pre, post
        (2, 2, 4, 3, 1, 2, (17, 17), "zero", 0, [1, 1, 2], [1, 1, 0]),
        (2, 2, 4, 3, 2, 2, (16, 16), "circular", 1, [2, 1, 1], [0, 1, 0]),
        (2, 2, 3, 3, 1, 1, (16, 17), "reflect", 0, [1, 1, 2], [0, 0, 0]),
        (1, 2, 4, 3, 1, 2, (33,), "reflect", 0, [1, 1, 2], [1, 0, 0]),
        (1, 2, 4, 4, 1, 2, (32,), "circular", 1, [1, 1, 1, 2], [0, 0, 0, 0]),
    ]
    with h5py.File(out, "w", libver="latest") as f:
        for i, c in enumerate(cases):
            n = case(f, i, *c)
            print(f"case{i}: {c} -> {n} parameters")
        f["cases"] = np.array([len(cases)], dtype=np.float32)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
