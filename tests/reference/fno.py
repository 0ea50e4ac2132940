#!/usr/bin/python3
"""PyTorch reference for neop's spectral convolution and FNO model.

Writes tests/fixtures/fno.h5, read by tests/test_fno_torch.c. Run with Debian's
torch:  /usr/bin/python3 tests/reference/fno.py

The networks are written here from the facts of the FNO authors' scripts
(fourier_1d.py, fourier_2d.py, fourier_3d.py):
  * spectral conv: rfftn over the spatial dims, keep [:m] (and [-m:] in every
    dim but the last), einsum "bi...,io...->bo..." with complex weights
    (in, out, *modes) per corner, irfftn(s=S);
  * the 2021 scripts: fc0 = Linear(in + d, width) on (a, grid), 4 layers
    gelu(conv(x) + w(x)) (no gelu after the last), F.pad at the end of the
    spatial dims before the layers and cropping after, fc1 = Linear(width, 128),
    gelu, fc2 = Linear(128, out);
  * the current scripts (master, with channel MLPs): p = Linear(in + d, width), x1 = mlp(conv(x)) with
    mlp = Conv(width, width, 1), gelu, Conv(width, width, 1); x = x1 + w(x);
    projection q = the same MLP (width -> 4 width -> out; 2 width in 1-D).
They follow the scripts' channels-last input (N, *S, C); the fixture stores
neop's layout (N, C, *S). Computed in float64 from float32 weights and inputs;
the loss is 0.5 * sum(y^2), so d loss / d y = y.

Every dataset is float32:
  <case>/x, <case>/y, <case>/grad_x, <case>/loss (1)
  <case>/param/<name>, <case>/grad/<name>   (neop's parameter names and shapes:
      1x1 conv weights (out, in), spectral weights (in, out, *modes, 2))
and the attributes of <case> give the neop options that build the same model.
"""
import os
import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
DT = torch.float64


class SpectralConv(nn.Module):
    def __init__(self, cin, cout, modes):
        super().__init__()
        self.d = len(modes)
        self.modes = modes
        self.cout = cout
        scale = 1 / (cin * cout)
        n = 2 ** (self.d - 1)
        for c in range(n):
            w = scale * torch.rand(cin, cout, *modes, dtype=torch.cfloat)
            setattr(self, f"weights{c + 1}", nn.Parameter(w.to(torch.cdouble)))

    def corner_slices(self, c):
        # corner c: bit i set -> dim i takes its negative frequencies
        sl = []
        for i in range(self.d - 1):
            m = self.modes[i]
            sl.append(slice(-m, None) if (c >> i) & 1 else slice(None, m))
        sl.append(slice(None, self.modes[-1]))
        return tuple(sl)

    def forward(self, x):
        S = x.shape[2:]
        dims = tuple(range(-self.d, 0))
        x_ft = torch.fft.rfftn(x, dim=dims)
        out_ft = torch.zeros(x.shape[0], self.cout, *S[:-1], S[-1] // 2 + 1, dtype=x_ft.dtype, device=x.device)
        letters = "xyz"[: self.d]
        eq = f"bi{letters},io{letters}->bo{letters}"
        for c in range(2 ** (self.d - 1)):
            sl = (slice(None), slice(None)) + self.corner_slices(c)
            out_ft[sl] = torch.einsum(eq, x_ft[sl], getattr(self, f"weights{c + 1}"))
        return torch.fft.irfftn(out_ft, s=S, dim=dims)


def conv1x1(d, cin, cout):
    return [nn.Conv1d, nn.Conv2d, nn.Conv3d][d - 1](cin, cout, 1).to(DT)


class MLP(nn.Module):
    def __init__(self, d, cin, cout, mid):
        super().__init__()
        self.mlp1 = conv1x1(d, cin, mid)
        self.mlp2 = conv1x1(d, mid, cout)

    def forward(self, x):
        return self.mlp2(F.gelu(self.mlp1(x)))


class FNO(nn.Module):
    """version "2021" (fc0/fc1/fc2) or "mlp", the current scripts (p, channel MLPs, q)."""

    def __init__(self, d, cin, cout, modes, width, layers, padding, version):
        super().__init__()
        self.d, self.layers, self.padding, self.version = d, layers, padding, version
        lift = nn.Linear(cin + d, width).to(DT)
        if version == "2021":
            self.fc0 = lift
        else:
            self.p = lift
        for l in range(layers):
            setattr(self, f"conv{l}", SpectralConv(width, width, modes))
        if version == "mlp":
            for l in range(layers):
                setattr(self, f"mlp{l}", MLP(d, width, width, width))
        for l in range(layers):
            setattr(self, f"w{l}", conv1x1(d, width, width))
        if version == "2021":
            self.fc1 = nn.Linear(width, 128).to(DT)
            self.fc2 = nn.Linear(128, cout).to(DT)
        else:
            self.q = MLP(d, width, cout, (2 if d == 1 else 4) * width)

    def get_grid(self, shape):
        S = shape[1:-1]
        g = []
        for i, n in enumerate(S):
            v = torch.tensor(np.linspace(0, 1, n), dtype=torch.float).to(DT)
            view = [1] * (self.d + 2)
            view[1 + i] = n
            rep = [shape[0]] + list(S) + [1]
            rep[1 + i] = 1
            g.append(v.reshape(view).repeat(rep))
        return torch.cat(g, dim=-1)

    def forward(self, x):  # x (N, *S, C) as the scripts
        x = torch.cat((x, self.get_grid(x.shape).to(x)), dim=-1)
        x = (self.fc0 if self.version == "2021" else self.p)(x)
        x = x.permute(0, self.d + 1, *range(1, self.d + 1))
        pad = []
        for p in reversed(self.padding):
            pad += [0, p]
        x = F.pad(x, pad)
        for l in range(self.layers):
            x1 = getattr(self, f"conv{l}")(x)
            if self.version == "mlp":
                x1 = getattr(self, f"mlp{l}")(x1)
            x = x1 + getattr(self, f"w{l}")(x)
            if l < self.layers - 1:
                x = F.gelu(x)
        crop = tuple(slice(None, S - p) for S, p in zip(x.shape[2:], self.padding))
        x = x[(slice(None), slice(None)) + crop]
        if self.version == "2021":
            x = x.permute(0, *range(2, self.d + 2), 1)
            x = self.fc2(F.gelu(self.fc1(x)))
        else:
            x = self.q(x).permute(0, *range(2, self.d + 2), 1)
        return x  # (N, *S, Cout)


def to_f32(module):
    """round every parameter to float32 (the values neop gets), keep float64 compute"""
    with torch.no_grad():
        for p in module.parameters():
            if p.is_complex():
                p.copy_(p.to(torch.cfloat).to(torch.cdouble))
            else:
                p.copy_(p.float().double())


def neop_array(t):
    """a parameter or gradient in neop's layout (float32)"""
    t = t.detach()
    if t.is_complex():
        t = torch.view_as_real(t)
    elif t.dim() > 2:  # 1x1 conv weight (out, in, 1, ...)
        t = t.reshape(t.shape[0], t.shape[1])
    return t.float().numpy()


def write_case(f, name, model, x_first, attrs):
    """x_first (N, C, *S) in neop's layout"""
    to_f32(model)
    x = torch.tensor(x_first, dtype=DT, requires_grad=True)
    if isinstance(model, SpectralConv):
        y = model(x)
    else:
        d = x.dim() - 2
        y = model(x.permute(0, *range(2, d + 2), 1)).permute(0, d + 1, *range(1, d + 1))
    loss = 0.5 * (y ** 2).sum()
    loss.backward()
    g = f.create_group(name)
    for k, v in attrs.items():
        g.attrs[k] = v
    g["x"] = x_first.astype(np.float32)
    g["y"] = y.detach().float().numpy()
    g["grad_x"] = x.grad.float().numpy()
    g["loss"] = np.array([loss.item()], dtype=np.float32)
    for pname, p in model.named_parameters():
        g[f"param/{pname}"] = neop_array(p)
        g[f"grad/{pname}"] = neop_array(p.grad)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "fno.h5")
    rng = np.random.default_rng(0)
    with h5py.File(out, "w", libver="latest") as f:  # compact groups: a smaller file
        # the layer alone, 1-D / 2-D / 3-D, odd and even grids, last-dim Nyquist kept in 2-D
        for name, cin, cout, modes, S in [("spectral1d", 3, 2, (4,), (11,)),
                                          ("spectral2d", 3, 4, (3, 5), (10, 8)),
                                          ("spectral3d", 2, 3, (2, 2, 3), (6, 5, 4))]:
            layer = SpectralConv(cin, cout, modes)
            x = rng.uniform(-1, 1, (2, cin) + S).astype(np.float32)
            write_case(f, name, layer, x, {"modes": np.array(modes, dtype=np.int32)})
        # whole models: batch 2, one input and one output channel
        cases = [
            # name, d, grid, modes, width, layers, padding, version
            ("fno1d", 1, (16,), 3, 8, 4, (0,), "mlp"),
            ("fno2d", 2, (16, 16), 3, 6, 4, (3, 3), "2021"),
            ("fno3d", 3, (8, 8, 6), 2, 3, 2, (0, 0, 2), "mlp"),
        ]
        for name, d, S, modes, width, layers, padding, version in cases:
            model = FNO(d, 1, 1, (modes,) * d, width, layers, padding, version)
            x = rng.uniform(-1, 1, (2, 1) + S).astype(np.float32)
            opts = (f"-fno_modes {modes} -fno_width {width} -fno_layers {layers} -fno_padding "
                    + ",".join(str(p) for p in padding)
                    + (" -fno_channel_mlp" if version == "mlp" else ""))
            write_case(f, name, model, x, {"options": opts, "dim": d})
        # parameter counts (real numbers: a complex weight counts 2) of the scripts' Darcy models
        # at neop's defaults (modes 12, width 32, 4 layers); the mlp one is -fno_channel_mlp
        for version in ("2021", "mlp"):
            model = FNO(2, 1, 1, (12, 12), 32, 4, (0, 0), version)
            f.attrs[f"darcy_{version}_parameters"] = sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
