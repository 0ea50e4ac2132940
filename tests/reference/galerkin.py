#!/usr/bin/python3
"""PyTorch references for neop's Galerkin Transformer model and Transolver
with convolutional projections (-transolver_conv_embed 3).

Run with Debian's torch:  /usr/bin/python3 tests/reference/galerkin.py
Writes tests/fixtures/galerkin.h5, read by tests/test_galerkin_torch.c. The
layout of every case is transformer.py's (x, y, w, dx, p/<name>, g/<name>,
nparams); complex spectral weights are stored as (..., 2) (re, im).

The modules reuse the layers of transformer.py (pre-norm blocks, galerkin
attention, physics attention with conv projections) and the spectral convolution of fno.py. The
Galerkin model follows the structure of the authors' FourierTransformer2D
(scaomath/galerkin-transformer, libs/model.py and libs/layers.py) as neop
builds it (src/models/galerkin.c):
  [a, grid] -> conv features (Interp2dEncoder's CNN without the interpolations:
  conv0 3x3 -> relu, conv1..3 3x3 -> relu, cat) -> tokens -> galerkin encoder
  -> up-scaler conv 3x3 -> silu -> silu -> [v, grid] -> Linear -> 2 x
  silu(SpectralConv + Linear) -> Linear -> silu -> Linear.
Transolver's structured-mesh attention (Physics_Attention_Structured_Mesh_2D)
projects x and fx with Conv2d(width, width, 3, padding 1) on the (H, W) grid."""
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import transformer as T  # noqa: E402  (sets float64 as the default dtype)
from fno import SpectralConv  # noqa: E402
from torch_case import case  # noqa: E402

torch.manual_seed(6)


def grid(S):
    """(1, 2, S0, S1) coordinates linspace(0, 1) as channels (neop's NeopOpAppendGrid)."""
    gx, gy = torch.meshgrid(torch.linspace(0, 1, S[0]), torch.linspace(0, 1, S[1]), indexing="ij")
    return torch.stack([gx, gy])[None]


def with_grid(x):
    return torch.cat([x, grid(x.shape[2:]).expand(x.shape[0], -1, -1, -1)], 1)


def conv3(cin, cout):
    return nn.Conv2d(cin, cout, 3, padding=1, bias=False)


class Galerkin(nn.Module):
    def __init__(self, cin, cout, width, heads, layers, mlp_ratio, freq, modes, dec_layers):
        super().__init__()
        c1 = width // 3
        self.conv0, self.conv1 = conv3(cin + 2, width), conv3(width, c1)
        self.conv2, self.conv3 = conv3(c1, c1), conv3(c1, width - 2 * c1)
        self.blocks = nn.ModuleList(
            T.Block(T.Attention("galerkin", width, heads), T.FFN("gelu", width, width * mlp_ratio), width) for _ in range(layers))
        self.up = conv3(width, width)
        self.fc = T.Linear(width + 2, freq)
        self.spec = nn.ModuleList(SpectralConv(freq, freq, (modes, modes)) for _ in range(dec_layers))
        for s in self.spec:
            for n in ["weights1", "weights2"]:
                w = getattr(s, n)
                w.data = torch.complex(torch.randn(w.shape), torch.randn(w.shape)) * 0.2 / freq
        self.lin = nn.ModuleList(T.Linear(freq, freq) for _ in range(dec_layers))
        self.reg1, self.reg2 = T.Linear(freq, 4 * freq), T.Linear(4 * freq, cout)

    def forward(self, a):  # a (B, C, S0, S1)
        B, S = a.shape[0], a.shape[2:]
        v = F.relu(self.conv0(with_grid(a)))
        x1 = F.relu(self.conv1(v))
        x2 = F.relu(self.conv2(x1))
        x3 = F.relu(self.conv3(x2))
        v = torch.cat([x1, x2, x3], 1)
        h = v.reshape(B, v.shape[1], -1).transpose(1, 2)
        for b in self.blocks:
            h = b(h)
        v = h.transpose(1, 2).reshape(B, -1, *S)
        v = F.silu(F.silu(self.up(v)))
        v = with_grid(v).permute(0, 2, 3, 1)  # channels last for the Linear layers
        v = self.fc(v).permute(0, 3, 1, 2)
        for s, lin in zip(self.spec, self.lin):
            v = F.silu(s(v) + lin(v.permute(0, 2, 3, 1)).permute(0, 3, 1, 2))
        o = self.reg2(F.silu(self.reg1(v.permute(0, 2, 3, 1))))
        return o.permute(0, 3, 1, 2)

    def named(self):
        d = {"feat.conv%d" % i: getattr(self, "conv%d" % i).weight for i in range(4)}
        for i, b in enumerate(self.blocks):
            d.update(b.named("enc.blocks.%d" % i))
        d["up.conv"] = self.up.weight
        d.update(self.fc.named("dec.fc"))
        for i, (s, lin) in enumerate(zip(self.spec, self.lin)):
            d["dec.conv%d.weights1" % i] = s.weights1
            d["dec.conv%d.weights2" % i] = s.weights2
            d.update(lin.named("dec.conv%d.linear" % i))
        return {**d, **self.reg1.named("dec.reg1"), **self.reg2.named("dec.reg2")}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "galerkin.h5")
    with h5py.File(out, "w", libver="latest") as f:
        gm = Galerkin(1, 1, width=12, heads=2, layers=2, mlp_ratio=2, freq=6, modes=3, dec_layers=2)
        case(f, "galerkin", gm, torch.randn(2, 1, 8, 8), gm.named())
        tc = T.conv_transolver((6, 7), layers=2, width=8, heads=2, slices=3, ref=4)
        case(f, "transolver_conv", tc, torch.randn(2, 1, 6, 7), tc.named())
        # the Darcy settings' sizes (config.yml ex2_darcy: width 128, 4 heads, 6 layers, ffn 256, freq 32, modes 12)
        d = Galerkin(1, 1, width=128, heads=4, layers=6, mlp_ratio=2, freq=32, modes=12, dec_layers=2)
        f["galerkin_darcy_nparams"] = np.array([sum(torch.view_as_real(p).numel() if p.is_complex() else p.numel()
                                                    for p in d.parameters())], dtype=np.float64)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
