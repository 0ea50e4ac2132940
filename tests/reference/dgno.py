"""PyTorch reference for the MultiONet / DeepONet decoders, their coordinate
derivative and the DGNO weak-form residual (tests/test_dgno_torch.c).

Written from the facts of the reference code (DGenNO: Networks/MultiONets.py,
Utils/TestFun_ParticleWNN.py, Example_DarcyFlow_continuous): trunk and branch
MLPs of equal widths with an activation after every layer, output
(1/l) sum_k w_k <t_k(x), b_k(beta)> + bias over the last l layers; Wendland test
functions, x = c + R z over the points of a mesh of [-1,1]^2 with |z| < 1,
residual mean_q a grad u . grad v - mean_q f v, loss mean_n ||r_n|| + sum of the
top-k squared residuals per sample. du/dx comes from torch.autograd here.

Run with /usr/bin/python3 (Debian's torch): writes tests/fixtures/dgno.h5."""
import math
import os

import h5py
import numpy as np
import torch

torch.manual_seed(0)
np.random.seed(0)
OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "dgno.h5")


def tanh_sin(x):
    return torch.tanh(torch.sin(math.pi * (x + 1.0))) + x


def act(name):
    return {"tanh_sin": tanh_sin, "silu": torch.nn.functional.silu, "tanh": torch.tanh}[name]


class ONet(torch.nn.Module):
    def __init__(self, in_x, in_b, width, layers, l, at, ab, deeponet=False):
        super().__init__()
        self.t = torch.nn.ModuleList([torch.nn.Linear(in_x if i == 0 else width, width) for i in range(layers)])
        self.b = torch.nn.ModuleList([torch.nn.Linear(in_b if i == 0 else width, width) for i in range(layers)])
        self.l, self.at, self.ab, self.deeponet = l, act(at), act(ab), deeponet
        self.w = torch.nn.Parameter(torch.empty(l).uniform_(-1, 1))  # nonzero, so every weight matters
        self.bias = torch.nn.Parameter(torch.tensor(0.3))

    def forward(self, x, beta):  # x (P, d), beta (N, in_b) -> (N, P)
        L = len(self.t)
        out = 0.0
        for i in range(L):
            last = self.deeponet and i == L - 1
            x = self.t[i](x) if last else self.at(self.t[i](x))
            beta = self.b[i](beta) if last else self.ab(self.b[i](beta))
            if i >= L - self.l:
                k = i - (L - self.l)
                out = out + (beta @ x.T) * (1.0 if self.deeponet else self.w[k])
        return (out if self.deeponet else out / self.l) + self.bias


def params(net, prefix, f):
    for i, (lt, lb) in enumerate(zip(net.t, net.b)):
        f[f"{prefix}/Wt{i}"] = lt.weight
        f[f"{prefix}/bt{i}"] = lt.bias
        f[f"{prefix}/Wb{i}"] = lb.weight
        f[f"{prefix}/bb{i}"] = lb.bias
    if not net.deeponet:
        for k in range(net.l):
            f[f"{prefix}/w{k}"] = net.w[k : k + 1]
    f[f"{prefix}/bias"] = net.bias.reshape(1)


def wendland2d(z):  # z (Q, 2) float64 -> v (Q), dv (Q, 2)
    r = np.linalg.norm(z, axis=1)
    l = 4
    v = (1 - r) ** (l + 2) * ((l * l + 4 * l + 3) * r * r + (3 * l + 6) * r + 3) / 3
    g = (1 - r) ** (l + 1) * (-(l ** 3 + 8 * l * l + 19 * l + 12) * r - (l * l + 7 * l + 12)) / 3
    return v, g[:, None] * z


def quad(n):
    lin = np.linspace(-1, 1, n)
    X, Y = np.meshgrid(lin, lin)
    z = np.stack([X.ravel(), Y.ravel()], 1)
    return z[np.linalg.norm(z, axis=1) < 1]


data = {}
N, P = 2, 5
x = torch.rand(P, 2)
beta = torch.rand(N, 3) * 2 - 1
data["x"], data["beta"] = x, beta
for name, deeponet, at, ab in [("multionet", False, "tanh_sin", "silu"), ("deeponet", True, "tanh", "tanh")]:
    net = ONet(2, 3, 6, 4, 1 if deeponet else 3, at, ab, deeponet)
    xr = x.clone().requires_grad_(True)
    u = net(xr, beta)
    du = torch.autograd.grad(u, xr, torch.ones_like(u), create_graph=True)[0]  # (P, 2): sum over n
    # per-sample derivatives (N, 2, P)
    dus = torch.stack([torch.autograd.grad(u[n].sum(), xr, create_graph=True)[0].T for n in range(N)])
    gu, gdu = torch.randn(N, P), torch.randn(N, 2, P)
    loss = (u * gu).sum() + (dus * gdu).sum()
    net.zero_grad()
    loss.backward()
    f = {}
    params(net, name, f)
    for k, v in f.items():
        data[k] = v.detach()
    if not deeponet:
        for k in range(net.l):
            data[f"{name}/w{k}_grad"] = net.w.grad[k : k + 1]
    data[f"{name}/bias_grad"] = net.bias.grad.reshape(1)
    for i in range(len(net.t)):
        data[f"{name}/Wt{i}_grad"], data[f"{name}/bt{i}_grad"] = net.t[i].weight.grad, net.t[i].bias.grad
        data[f"{name}/Wb{i}_grad"], data[f"{name}/bb{i}_grad"] = net.b[i].weight.grad, net.b[i].bias.grad
    data[f"{name}/u"], data[f"{name}/du"] = u.detach(), dus.detach()
    data[f"{name}/gu"], data[f"{name}/gdu"] = gu, gdu

# weak residual of the multionet as u (no boundary factor), a = 1 + x y, f = 2, R = 0.05, 5 x 5 mesh, 3 centres, top 2
torch.manual_seed(1)
net = ONet(2, 3, 6, 4, 3, "tanh_sin", "silu")
R, nc, f_src, topk = 0.05, 3, 2.0, 2
z = quad(5)
Q = z.shape[0]
v, dv = wendland2d(z)
centres = np.random.uniform(R, 1 - R, (nc, 2)).astype(np.float32).astype(np.float64)  # exact in float32 too
pts = torch.tensor((centres[:, None, :] + R * z[None]).reshape(-1, 2), dtype=torch.float32).requires_grad_(True)
u = net(pts, beta)  # (N, nc Q)
dus = torch.stack([torch.autograd.grad(u[n].sum(), pts, create_graph=True)[0].T for n in range(N)])  # (N, 2, nc Q)
a = 1 + pts[:, 0] * pts[:, 1]
flux = (a.detach()[None, None] * dus).double().reshape(N, 2, nc, Q)
left = (flux * torch.tensor(dv.T / R)[None, :, None, :]).sum(1).mean(-1)  # (N, nc)
res = left - f_src * v.mean()
loss = res.norm(dim=1).sum() / N + torch.sort((res ** 2), dim=1, descending=True)[0][:, :topk].sum()
net.zero_grad()
loss.backward()
f = {}
params(net, "weak", f)
for k, t in f.items():
    data[k] = t.detach()
data["weak/w_grad"] = net.w.grad
data["weak/bias_grad"] = torch.zeros(1)  # u enters only through du/dx: no gradient
for i in range(len(net.t)):
    data[f"weak/Wt{i}_grad"], data[f"weak/bt{i}_grad"] = net.t[i].weight.grad, net.t[i].bias.grad
    data[f"weak/Wb{i}_grad"], data[f"weak/bb{i}_grad"] = net.b[i].weight.grad, net.b[i].bias.grad
data["weak/centres"] = torch.tensor(centres)
data["weak/res"] = res.detach()
data["weak/loss"] = loss.detach().reshape(1)

with h5py.File(OUT, "w") as h:
    for k, t in data.items():
        h[k] = t.detach().cpu().numpy().astype(np.float64 if k == "weak/centres" else np.float32)
print("wrote", OUT, os.path.getsize(OUT), "bytes")
