#!/usr/bin/python3
"""PyTorch references for neop's spectral token mixing (hybrid transformer
stacks) and Transolver on point sets.

Run with Debian's torch:  /usr/bin/python3 tests/reference/transformer_ext.py
Writes tests/fixtures/transformer_ext.h5, cases laid out as in transformer.py
(x, y, w, dx, p/<name>, g/<name>, nparams), plus pos (B, d, P) for the point
set case.

Spectral mixing (SpectFormer's spectral gating network, GFNet's global filter,
restricted to the FNO's kept modes so that the weights do not depend on the
resolution): tokens (B, P, C) on a grid S -> field (B, C, *S) -> rfftn over
the grid -> every kept mode of every channel times its own complex weight,
the other modes zero -> irfftn(s=S) -> tokens. Kept modes as in the FNO:
[0, m) and [S - m, S) in every dim but the last, [0, m) in the last; corner c
has bit i set when dim i takes its negative frequencies."""
import os
import sys
import h5py
import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import transformer as T  # noqa: E402  (sets the seed and float64)

torch.manual_seed(1)


class SpectralMixer(nn.Module):
    def __init__(self, width, S, modes):
        super().__init__()
        self.S, self.modes, d = tuple(S), tuple(modes), len(S)
        self.w = nn.ParameterList(nn.Parameter(0.5 * torch.randn(width, *modes, 2)) for _ in range(2 ** (d - 1)))

    def forward(self, x):  # (B, P, C)
        B, P, C = x.shape
        d = len(self.S)
        dims = tuple(range(2, 2 + d))
        X = torch.fft.rfftn(x.transpose(1, 2).reshape(B, C, *self.S), dim=dims)
        Y = torch.zeros_like(X)
        for c, w in enumerate(self.w):
            sl = [slice(None), slice(None)]
            for i in range(d - 1):
                m, n = self.modes[i], self.S[i]
                sl.append(slice(n - m, n) if (c >> i) & 1 else slice(0, m))
            sl.append(slice(0, self.modes[-1]))
            Y[tuple(sl)] = X[tuple(sl)] * torch.view_as_complex(w)
        y = torch.fft.irfftn(Y, s=self.S, dim=dims)
        return y.reshape(B, C, P).transpose(1, 2)

    def named(self, name):
        return {"%s.weights%d" % (name, c + 1): w for c, w in enumerate(self.w)}


class SpectralBlock(T.Block):
    def named(self, name):
        return {**self.ln1.named(name + ".ln1"), **self.attn.named(name + ".spectral"), **self.ln2.named(name + ".ln2"),
                **self.ffn.named(name + ".ffn")}


class PointTransolver(T.Transolver):
    """Transolver on point sets: tokens [pos, a] with the node coordinates as positions (irregular-mesh code)."""

    def __init__(self, cin, cout, dim, layers, width, heads, slices, mlp_ratio, pos):
        nn.Module.__init__(self)
        self.posT = pos  # (B, dim, P)
        self.fc1, self.fc2 = T.Linear(dim + cin, 2 * width), T.Linear(2 * width, width)
        self.blocks = nn.ModuleList(
            T.Block(T.PhysicsAttention(width, heads, slices), T.FFN("gelu", width, width * mlp_ratio), width) for _ in range(layers))
        self.final_norm, self.head = T.LayerNorm(1, width), T.Linear(width, cout)

    def forward(self, a):  # a (B, C, P)
        h = torch.cat([self.posT, a], 1).transpose(1, 2)  # B P (dim + C)
        h = self.fc2(torch.nn.functional.gelu(self.fc1(h)))
        for b in self.blocks:
            h = b(h)
        return self.head(self.final_norm(h)).transpose(1, 2)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "transformer_ext.h5")
    with h5py.File(out, "w", libver="latest") as f:
        for name, S, m in [("mixer_1d", (10,), (4,)), ("mixer_2d", (6, 7), (2, 3)), ("mixer_3d", (4, 4, 5), (2, 2, 2))]:
            mix = SpectralMixer(4, S, m)
            T.case(f, name, mix, torch.randn(2, int(np.prod(S)), 4), mix.named("mix"))
        # hybrid Transolver: block 0 spectral (modes 2 x 3), block 1 physics attention; 6 x 7 grid, unified positions 3 x 3
        S = (6, 7)
        t = T.Transolver(1, 1, S, 3, layers=2, width=8, heads=2, slices=3, mlp_ratio=1)
        t.blocks[0] = SpectralBlock(SpectralMixer(8, S, (2, 3)), T.FFN("gelu", 8, 8), 8)
        T.case(f, "hybrid_transolver", t, torch.randn(2, 1, *S), t.named())
        # Transolver on point sets: 2 samples of 23 nodes in 2-D, each its own nodes
        pos = torch.rand(2, 2, 23)
        p = PointTransolver(1, 1, 2, layers=2, width=8, heads=2, slices=3, mlp_ratio=1, pos=pos)
        T.case(f, "transolver_points", p, torch.randn(2, 1, 23), p.named())
        f["transolver_points/pos"] = pos.numpy().astype(np.float32)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
