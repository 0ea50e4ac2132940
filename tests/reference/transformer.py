#!/usr/bin/python3
"""PyTorch references for neop's transformer layers and the Transolver model.

Run with Debian's torch:  /usr/bin/python3 tests/reference/transformer.py
Writes tests/fixtures/transformer.h5. Every case is a group holding
  x      input, y output, w fixed weights of the loss sum(y * w),
  dx     d loss / d x,
  p/<n>  parameters under neop's names, g/<n> their gradients,
  nparams  the module's parameter count.
The modules are written here from the papers' and official codes' facts,
in float64; the fixture stores float32."""
import os
import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_case import case  # noqa: E402,F401  (also T.case for the other scripts)

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
EPS = 1e-5


class Linear(nn.Linear):
    """nn.Linear whose parameters carry neop's names."""

    def named(self, name):
        return {name + ".weight": self.weight, name + ".bias": self.bias}


class LayerNorm(nn.Module):
    """LayerNorm over groups of C features (groups = heads: one per head)."""

    def __init__(self, groups, C):
        super().__init__()
        self.groups, self.C = groups, C
        self.weight = nn.Parameter(torch.empty(groups * C).uniform_(0.5, 1.5))
        self.bias = nn.Parameter(torch.empty(groups * C).uniform_(-0.2, 0.2))

    def forward(self, x):
        s = x.shape
        x = x.reshape(*s[:-1], self.groups, self.C)
        mu = x.mean(-1, keepdim=True)
        var = ((x - mu) ** 2).mean(-1, keepdim=True)
        y = (x - mu) / torch.sqrt(var + EPS)
        return y.reshape(s) * self.weight + self.bias

    def named(self, name):
        return {name + ".weight": self.weight, name + ".bias": self.bias}


def split(x, H):  # (B, N, H dh) -> (B, H, N, dh)
    B, N, D = x.shape
    return x.reshape(B, N, H, D // H).permute(0, 2, 1, 3)


def merge(x):  # (B, H, N, dh) -> (B, N, H dh)
    B, H, N, d = x.shape
    return x.permute(0, 2, 1, 3).reshape(B, N, H * d)


class Attention(nn.Module):
    """softmax | galerkin (LN per head on K, V; Q (K^T V)/n) | norm (1 + elu kernel, LN on the output)."""

    def __init__(self, kind, width, heads):
        super().__init__()
        self.kind, self.H = kind, heads
        self.q, self.k, self.v, self.out = (Linear(width, width) for _ in range(4))
        if kind == "galerkin":
            self.norm_k, self.norm_v = LayerNorm(heads, width // heads), LayerNorm(heads, width // heads)
        if kind == "norm":
            self.norm_out = LayerNorm(1, width)

    def forward(self, x):
        q, k, v = self.q(x), self.k(x), self.v(x)
        if self.kind == "galerkin":
            k, v = self.norm_k(k), self.norm_v(v)
        q, k, v = split(q, self.H), split(k, self.H), split(v, self.H)
        if self.kind == "softmax":
            a = torch.softmax(q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5, dim=-1)
            o = merge(a @ v)
        elif self.kind == "galerkin":
            o = merge(q @ (k.transpose(-1, -2) @ v) / q.shape[2])
        else:
            phi = lambda t: F.elu(t) + 1
            o = self.norm_out(merge(phi(q) @ (phi(k).transpose(-1, -2) @ v)))
        return self.out(o)

    def named(self, name):
        d = {}
        for n in ["q", "k", "v", "out"]:
            d.update(getattr(self, n).named(name + "." + n))
        for n in ["norm_k", "norm_v", "norm_out"]:
            if hasattr(self, n):
                d.update(getattr(self, n).named(name + "." + n))
        return d


class PhysicsAttention(nn.Module):
    """Transolver's physics attention (Linear projections, as its irregular-mesh variant)."""

    def __init__(self, width, heads, slices):
        super().__init__()
        self.H, self.dh = heads, width // heads
        self.in_x, self.in_fx = Linear(width, width), Linear(width, width)
        self.slice = Linear(self.dh, slices)
        self.temperature = nn.Parameter(torch.empty(heads).uniform_(0.3, 1.0))
        self.qkv = nn.Parameter(torch.empty(3, self.dh, self.dh).uniform_(-self.dh ** -0.5, self.dh ** -0.5))
        self.out = Linear(width, width)

    def project(self, x):  # the x and fx projections (B, N, width) each
        return self.in_x(x), self.in_fx(x)

    def forward(self, x):
        px, pf = self.project(x)
        xm, fm = split(px, self.H), split(pf, self.H)  # B H N dh
        tau = torch.clamp(self.temperature, 0.1, 5)[None, :, None, None]
        w = torch.softmax(self.slice(xm) / tau, dim=-1)  # B H N M
        norm = w.sum(2)  # B H M
        tok = torch.einsum("bhnc,bhng->bhgc", fm, w) / (norm + 1e-5)[..., None]
        q, k, v = tok @ self.qkv[0].T, tok @ self.qkv[1].T, tok @ self.qkv[2].T
        a = torch.softmax(q @ k.transpose(-1, -2) * self.dh ** -0.5, dim=-1)
        st = a @ v
        return self.out(merge(torch.einsum("bhgc,bhng->bhnc", st, w)))

    def named(self, name):
        d = {name + ".temperature": self.temperature, name + ".qkv": self.qkv}
        for n in ["in_x", "in_fx", "slice", "out"]:
            d.update(getattr(self, n).named(name + "." + n))
        return d


class FFN(nn.Module):
    def __init__(self, kind, width, hidden):
        super().__init__()
        self.kind = kind
        self.fc1 = Linear(width, hidden if kind == "gelu" else 2 * hidden)
        self.fc2 = Linear(hidden, width)

    def forward(self, x):
        h = self.fc1(x)
        if self.kind == "gelu":
            g = F.gelu(h)
        else:
            a, b = h.chunk(2, dim=-1)
            g = (F.gelu(a) if self.kind == "geglu" else F.silu(a)) * b
        return self.fc2(g)

    def named(self, name):
        return {**self.fc1.named(name + ".fc1"), **self.fc2.named(name + ".fc2")}


class Block(nn.Module):
    def __init__(self, attn, ffn, width):
        super().__init__()
        self.ln1, self.attn, self.ln2, self.ffn = LayerNorm(1, width), attn, LayerNorm(1, width), ffn

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.ffn(self.ln2(x))

    def named(self, name):
        return {**self.ln1.named(name + ".ln1"), **self.attn.named(name + ".attn"), **self.ln2.named(name + ".ln2"),
                **self.ffn.named(name + ".ffn")}


def unified_pos(S, ref):
    """Transolver_2D.get_grid: distances from each grid point to a ref x ref grid, (S0 S1, ref^2)."""
    gx, gy = np.meshgrid(np.linspace(0, 1, S[0]), np.linspace(0, 1, S[1]), indexing="ij")
    rx, ry = np.meshgrid(np.linspace(0, 1, ref), np.linspace(0, 1, ref), indexing="ij")
    d = np.sqrt((gx[:, :, None, None] - rx[None, None]) ** 2 + (gy[:, :, None, None] - ry[None, None]) ** 2)
    return torch.tensor(d.reshape(S[0] * S[1], ref * ref))


class Transolver(nn.Module):
    """preprocess MLP on [pos, a], L blocks (physics attention + GELU MLP), final LN + Linear head."""

    def __init__(self, cin, cout, S, ref, layers, width, heads, slices, mlp_ratio):
        super().__init__()
        self.S, self.pos = S, unified_pos(S, ref)
        self.fc1, self.fc2 = Linear(ref * ref + cin, 2 * width), Linear(2 * width, width)
        self.blocks = nn.ModuleList(
            Block(PhysicsAttention(width, heads, slices), FFN("gelu", width, width * mlp_ratio), width) for _ in range(layers))
        self.final_norm, self.head = LayerNorm(1, width), Linear(width, cout)

    def forward(self, a):  # a (B, C, S0, S1)
        B, C = a.shape[:2]
        t = a.reshape(B, C, -1).transpose(1, 2)  # B P C
        h = torch.cat([self.pos[None].expand(B, -1, -1), t], -1)
        h = self.fc2(F.gelu(self.fc1(h)))
        for b in self.blocks:
            h = b(h)
        o = self.head(self.final_norm(h))  # B P Cout
        return o.transpose(1, 2).reshape(B, -1, *self.S)

    def named(self, name=""):
        d = {**self.fc1.named("pre.fc1"), **self.fc2.named("pre.fc2")}
        for i, b in enumerate(self.blocks):
            d.update(b.named("blocks.%d" % i))
        return {**d, **self.final_norm.named("final_norm"), **self.head.named("head")}


class ConvPhysicsAttention(PhysicsAttention):
    """Physics attention whose in_x / in_fx are 3x3 convolutions over the (S0, S1) grid."""

    def __init__(self, width, heads, slices, S):
        super().__init__(width, heads, slices)
        self.S = S
        self.in_x, self.in_fx = nn.Conv2d(width, width, 3, padding=1), nn.Conv2d(width, width, 3, padding=1)

    def project(self, x):  # tokens (B, S0 S1, width) -> field -> conv -> tokens
        f = x.transpose(1, 2).reshape(x.shape[0], -1, *self.S)
        return self.in_x(f).flatten(2).transpose(1, 2), self.in_fx(f).flatten(2).transpose(1, 2)

    def named(self, name):
        d = {name + ".temperature": self.temperature, name + ".qkv": self.qkv}
        for n in ["in_x", "in_fx"]:
            m = getattr(self, n)
            d[name + "." + n + ".weight"], d[name + "." + n + ".bias"] = m.weight, m.bias
        for n in ["slice", "out"]:
            d.update(getattr(self, n).named(name + "." + n))
        return d


def conv_transolver(S, layers, width, heads, slices, ref):
    t = Transolver(1, 1, S, ref, layers=layers, width=width, heads=heads, slices=slices, mlp_ratio=1)
    for b in t.blocks:
        b.attn = ConvPhysicsAttention(width, heads, slices, S)
    return t


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "transformer.h5")
    W, H = 8, 2  # layers at width 8 keep the fixture small; the Transolver at width 16
    with h5py.File(out, "w", libver="latest") as f:
        ln = LayerNorm(1, W)
        case(f, "layer_norm", ln, torch.randn(2, 5, W), ln.named("ln"))
        for kind, n in [("softmax", 70), ("galerkin", 12), ("norm", 12)]:
            a = Attention(kind, W, H)
            case(f, "attn_" + kind, a, torch.randn(1 if kind == "softmax" else 2, n, W), a.named("attn"))
        p = PhysicsAttention(W, H, 4)
        case(f, "attn_physics", p, torch.randn(2, 12, W), p.named("attn"))
        for kind in ["gelu", "geglu", "swiglu"]:
            m = FFN(kind, W, 12)
            case(f, "ffn_" + kind, m, torch.randn(2, 7, W), m.named("ffn"))
        b = Block(Attention("galerkin", W, H), FFN("swiglu", W, 12), W)
        case(f, "block", b, torch.randn(2, 12, W), b.named("block"))
        t = Transolver(1, 1, (8, 8), 4, layers=2, width=16, heads=2, slices=4, mlp_ratio=1)
        case(f, "transolver", t, torch.randn(2, 1, 8, 8), t.named())
        # the Darcy defaults (8 layers, 8 heads, width 128, 64 slices, mlp ratio 1, 8 x 8 unified positions): size only
        d = Transolver(1, 1, (85, 85), 8, layers=8, width=128, heads=8, slices=64, mlp_ratio=1)
        f["transolver_darcy_nparams"] = np.array([sum(p.numel() for p in d.parameters())], dtype=np.float64)
    print("wrote", out, os.path.getsize(out), "bytes")


if __name__ == "__main__":
    main()
