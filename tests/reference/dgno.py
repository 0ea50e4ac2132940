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
from torch_case import case  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "dgno.h5")


def tanh_sin(x):
    return torch.tanh(torch.sin(math.pi * (x + 1.0))) + x


def silu_sin(x):  # DGenNO's SiLU_Sin
    return torch.nn.functional.silu(torch.sin(math.pi * (x + 1.0))) + x


def silu_id(x):  # DGenNO's SiLU_Id
    return torch.nn.functional.silu(x) + x


def act(name):
    return {"tanh_sin": tanh_sin, "silu_sin": silu_sin, "silu_id": silu_id, "silu": torch.nn.functional.silu,
            "tanh": torch.tanh}[name]


class ONet(torch.nn.Module):
    def __init__(self, in_x, in_b, width, layers, l, at, ab, deeponet=False, zero_init=False):
        super().__init__()
        self.t = torch.nn.ModuleList([torch.nn.Linear(in_x if i == 0 else width, width) for i in range(layers)])
        self.b = torch.nn.ModuleList([torch.nn.Linear(in_b if i == 0 else width, width) for i in range(layers)])
        self.l, self.at, self.ab, self.deeponet = l, act(at), act(ab), deeponet
        # fixtures: w nonzero, so that every weight matters; training (zero_init): w = 0, bias 0 as the reference
        w = torch.zeros(l) if zero_init else torch.empty(l).uniform_(-1, 1)
        self.w = torch.nn.ParameterList([torch.nn.Parameter(w[k : k + 1].clone()) for k in range(l)])
        self.bias = torch.nn.Parameter(torch.tensor([0.0 if zero_init else 0.3]))

    def forward(self, x, beta):  # x (P, d), beta (N, in_b) -> (N, P)
        return self.summed(x, beta, lambda t, b: b @ t.T)

    def batched(self, x, beta):  # x (N, P, d), beta (N, in_b) -> (N, P): the reference's MultiONetBatch
        return self.summed(x, beta, lambda t, b: torch.einsum("bnh,bh->bn", t, b))

    def summed(self, x, beta, inner):  # the weighted inner products inner(t_k, b_k) of the last l layers
        L = len(self.t)
        out = 0.0
        for i in range(L):
            last = self.deeponet and i == L - 1
            x = self.t[i](x) if last else self.at(self.t[i](x))
            beta = self.b[i](beta) if last else self.ab(self.b[i](beta))
            if i >= L - self.l:
                k = i - (L - self.l)
                out = out + inner(x, beta) * (1.0 if self.deeponet else self.w[k])
        return (out if self.deeponet else out / self.l) + self.bias

    def named(self, prefix):  # neop's parameter names (NeopONetSetUp)
        d = {}
        for i, (lt, lb) in enumerate(zip(self.t, self.b)):
            d.update({f"{prefix}.trunk.{i}.weight": lt.weight, f"{prefix}.trunk.{i}.bias": lt.bias,
                      f"{prefix}.branch.{i}.weight": lb.weight, f"{prefix}.branch.{i}.bias": lb.bias})
        if not self.deeponet:
            d.update({f"{prefix}.w.{k}": self.w[k] for k in range(self.l)})
        d[f"{prefix}.bias"] = self.bias
        return d


def params(net, prefix, f):
    for i, (lt, lb) in enumerate(zip(net.t, net.b)):
        f[f"{prefix}/Wt{i}"] = lt.weight
        f[f"{prefix}/bt{i}"] = lt.bias
        f[f"{prefix}/Wb{i}"] = lb.weight
        f[f"{prefix}/bb{i}"] = lb.bias
    if not net.deeponet:
        for k in range(net.l):
            f[f"{prefix}/w{k}"] = net.w[k]
    f[f"{prefix}/bias"] = net.bias


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


def quadrature(n, dim):
    """neop's quadrature set: an n^dim mesh of [-1,1]^dim, in 2-D the points with |z| < 1."""
    return quad(n) if dim == 2 else np.linspace(-1, 1, n)[:, None]


def wendland(z, dim):
    """Wendland function and its gradient at z (Q, dim), l = floor(dim/2) + 3 (TestFun_ParticleWNN)."""
    l = dim // 2 + 3
    r = np.linalg.norm(z, axis=1)
    v = (1 - r) ** (l + 2) * ((l * l + 4 * l + 3) * r * r + (3 * l + 6) * r + 3) / 3
    g = (1 - r) ** (l + 1) * (-(l ** 3 + 8 * l * l + 19 * l + 12) * r - (l * l + 7 * l + 12)) / 3
    return v, g[:, None] * z


def grid_nodes(S, dtype=torch.float32):
    """(S^2, 2) node coordinates, linspace(0, 1) per dim, first dim slowest (NeopGridCoordsTensor)."""
    g = torch.linspace(0, 1, S, dtype=dtype)
    X, Y = torch.meshgrid(g, g, indexing="ij")
    return torch.stack([X.reshape(-1), Y.reshape(-1)], 1)


def bilinear(a, pts):
    """a (N, S, S) node values on [0,1]^2 at pts (P, 2) -> (N, P): neop's NeopOpGridInterp (multilinear)."""
    S = a.shape[-1]
    s = pts * (S - 1)
    i0 = torch.clamp(torch.floor(s), 0, S - 2).long()
    fr = s - i0
    i, j, fx, fy = i0[:, 0], i0[:, 1], fr[:, 0], fr[:, 1]
    return (a[:, i, j] * (1 - fx) * (1 - fy) + a[:, i + 1, j] * fx * (1 - fy) + a[:, i, j + 1] * (1 - fx) * fy
            + a[:, i + 1, j + 1] * fx * fy)


class CNNEncoder(torch.nn.Module):
    """neop/nn/cnn_encoder.h (DGenNO's CNNet2d): [conv k, stride s, no padding, act] per channel count,
    flatten, [linear, act] per hidden width, linear to out."""

    def __init__(self, cin, n, channels, kernel, stride, hidden, out, act_name="silu"):
        super().__init__()
        self.act = act(act_name)
        self.conv = torch.nn.ModuleList()
        side = n
        for c in channels:
            self.conv.append(torch.nn.Conv2d(cin, c, kernel, stride))
            cin, side = c, (side - kernel) // stride + 1
        widths = [cin * side * side] + list(hidden) + [out]
        self.fc = torch.nn.ModuleList([torch.nn.Linear(widths[i], widths[i + 1]) for i in range(len(widths) - 1)])

    def forward(self, x):
        for c in self.conv:
            x = self.act(c(x))
        x = x.reshape(x.shape[0], -1)
        for i, f in enumerate(self.fc):
            x = f(x)
            if i < len(self.fc) - 1:
                x = self.act(x)
        return x

    def named(self, prefix):
        d = {}
        for name, mods in (("conv", self.conv), ("fc", self.fc)):
            for i, m in enumerate(mods):
                d[f"{prefix}.{name}.{i}.weight"], d[f"{prefix}.{name}.{i}.bias"] = m.weight, m.bias
        return d


class MultiONetModel(torch.nn.Module):
    """neop's supervised "multionet" with -multionet_enc cnn on an S x S grid with S sensors:
    a (N, 1, S, S) -> u (N, 1, S, S) = ONet(grid nodes, CNN(a))."""

    def __init__(self, S, enc, onet):
        super().__init__()
        self.S, self.enc, self.onet = S, enc, onet
        self.register_buffer("x", grid_nodes(S))

    def forward(self, a):
        return self.onet(self.x.to(a.dtype), self.enc(a)).reshape(a.shape[0], 1, self.S, self.S)

    def named(self):
        return {**self.enc.named("enc"), **self.onet.named("onet")}


class DGNO(torch.nn.Module):
    """neop's "dgno" on smooth Darcy (primal weak form, Gaussian a reconstruction, hard factor
    sin(pi x) sin(pi y)): beta = tanh(enc(a)), u and a decoders (ONet). loss() is neop's
    w_data mean_n ||a_dec - a|| + w_pde (mean_n ||r_n|| + sum_n topk_n(r^2)), with a at the
    quadrature points by bilinear interpolation and du/dx from autograd."""

    def __init__(self, S, enc, u, a, f=1.0, R=1e-4, nmesh=9, topk=20, w_data=0.25, w_pde=1.0):
        super().__init__()
        self.S, self.enc, self.u, self.a = S, enc, u, a
        self.f, self.R, self.topk, self.w_data, self.w_pde = f, R, topk, w_data, w_pde
        z = quadrature(nmesh, 2)
        v, dv = wendland(z, 2)
        self.register_buffer("z", torch.tensor(z, dtype=torch.float32))
        self.register_buffer("v", torch.tensor(v, dtype=torch.float32))
        self.register_buffer("dv", torch.tensor(dv / R, dtype=torch.float32))
        self.register_buffer("x", grid_nodes(S))

    def encode(self, a):
        return torch.tanh(self.enc(a))

    def u_at(self, x, beta):
        return self.u(x, beta) * torch.sin(math.pi * x[:, 0]) * torch.sin(math.pi * x[:, 1])

    def forward(self, a):
        return self.u_at(self.x, self.encode(a)).reshape(a.shape[0], 1, self.S, self.S)

    def loss(self, a, centres):
        """a (N, 1, S, S), centres (nc, 2) in [R, 1-R]^2 -> (loss, data term, PDE term). du/dx as the
        reference's "Batch" networks: the points repeated per sample, one autograd pass."""
        N, nc, Q = a.shape[0], centres.shape[0], self.z.shape[0]
        beta = self.encode(a)
        loss_a = (self.a(self.x, beta) - a.reshape(N, -1)).norm(dim=1).mean()
        pts = (centres[:, None, :] + self.R * self.z[None]).reshape(-1, 2)
        ab = bilinear(a[:, 0], pts)  # (N, nc Q)
        xb = pts[None].expand(N, -1, -1).clone().requires_grad_(True)  # (N, nc Q, 2)
        u = self.u.batched(xb, beta) * torch.sin(math.pi * xb[..., 0]) * torch.sin(math.pi * xb[..., 1])
        du = torch.autograd.grad(u.sum(), xb, create_graph=True)[0]  # (N, nc Q, 2)
        left = ((ab[..., None] * du).reshape(N, nc, Q, 2) * self.dv[None, None]).sum(-1).mean(-1)
        r = left - self.f * self.v.mean()
        pde = weak_loss(r, self.topk)
        return self.w_data * loss_a + self.w_pde * pde, loss_a, pde


def lhs_centres(nc, R, gen):
    """Latin hypercube centres (nc, 2) in [R, 1-R]^2 (one per stratum per dim, strata shuffled)."""
    cols = [(torch.randperm(nc, generator=gen) + torch.rand(nc, generator=gen)) / nc for _ in range(2)]
    return R + (1 - 2 * R) * torch.stack(cols, 1)


def darcy_multionet(S=29):
    """examples/darcy/multionet.opts: CNN 1-32-64-128 (5x5, stride 2) + linear 128, MultiONet [128] x 5, l = 4,
    trunk silu_sin, branch silu (422,533 parameters at S = 29)."""
    enc = CNNEncoder(1, S, [32, 64, 128], 5, 2, [], 128)
    return MultiONetModel(S, enc, ONet(2, 128, 128, 5, 4, "silu_sin", "silu", zero_init=True))


def darcy_dgno(S=29):
    """examples/darcy/dgno.opts: CNN 1-64-64-64 (3x3, stride 2) + 256-128-128-128, decoders [100] x 6, l = 5,
    tanh_sin; f = 1, R = 1e-4, 9 x 9 mesh, top 20, w_data 0.25, w_pde 1 (368,828 parameters at S = 29)."""
    enc = CNNEncoder(1, S, [64, 64, 64], 3, 2, [128, 128], 128)
    u = ONet(2, 128, 100, 6, 5, "tanh_sin", "tanh_sin", zero_init=True)
    a = ONet(2, 128, 100, 6, 5, "tanh_sin", "tanh_sin", zero_init=True)
    return DGNO(S, enc, u, a, f=1.0, R=1e-4, nmesh=9, topk=20, w_data=0.25, w_pde=1.0)


def net_grads(data, net, prefix):
    params(net, prefix, data)
    for k in list(data):
        if k.startswith(prefix + "/") and not k.endswith("_grad"):
            data[k] = data[k].detach()
    for i in range(len(net.t)):
        data[f"{prefix}/Wt{i}_grad"], data[f"{prefix}/bt{i}_grad"] = net.t[i].weight.grad, net.t[i].bias.grad
        data[f"{prefix}/Wb{i}_grad"], data[f"{prefix}/bb{i}_grad"] = net.b[i].weight.grad, net.b[i].bias.grad
    for k in range(net.l):
        data[f"{prefix}/w{k}_grad"] = net.w[k].grad
    data[f"{prefix}/bias_grad"] = net.bias.grad if net.bias.grad is not None else torch.zeros(1)


def centred_points(rng, nc, R, z):
    """Centres (nc, 2) drawn in [R, 1-R]^2 (float32 values) and the points c + R z (nc Q, 2)."""
    c = rng.uniform(R, 1 - R, (nc, 2)).astype(np.float32).astype(np.float64)
    return c, torch.tensor((c[:, None, :] + R * z[None]).reshape(-1, 2)).float().double()


def u_and_grad(net, pts, beta):
    """u (N, P) of the batched net at the points repeated per sample, and du/dx (N, P, 2) by autograd."""
    xb = pts[None].expand(beta.shape[0], -1, -1).clone().requires_grad_(True)
    u = net.batched(xb, beta)
    return u, torch.autograd.grad(u.sum(), xb, create_graph=True)[0]


def weak_loss(r, k):
    """mean_n ||r_n|| + the k largest r^2 per sample, summed (NeopWeakFormLoss)."""
    return r.norm(dim=1).mean() + torch.topk(r * r, k, dim=1)[0].sum()


def ext_cases(data):
    """Mixed Darcy, Burgers and Poisson weak residuals (float64 here, compared in float32)."""
    torch.manual_seed(2)
    rng = np.random.default_rng(2)
    N, R, nc = 2, 0.05, 3
    beta = torch.rand(N, 3, dtype=torch.float64) * 2 - 1
    data["ext/beta"] = beta
    # mixed: r1 = mean_q |s - a grad u|^2, r2 = mean_q s . grad v / R - f mean_q v, loss mean r1 + sqrt(nc) mean r2^2
    nets = {k: ONet(2, 3, 6, 4, 3, "tanh_sin", "tanh_sin").double() for k in ("u", "s1", "s2")}
    z = quad(5)
    Q = z.shape[0]
    v, dv = wendland(z, 2)
    centres, pts = centred_points(rng, nc, R, z)
    u, du = u_and_grad(nets["u"], pts, beta)  # (N, P), (N, P, 2)
    sflux = torch.stack([nets["s1"](pts, beta), nets["s2"](pts, beta)], -1)  # (N, P, 2)
    a = (1 + pts[:, 0] * pts[:, 1])[None, :, None]
    r1 = ((sflux - a * du) ** 2).sum(-1).reshape(N, nc, Q).mean(-1)
    left = (sflux.reshape(N, nc, Q, 2) * torch.tensor(dv / R)[None, None]).sum(-1).mean(-1)
    r2 = left - 2.0 * v.mean()
    loss = r1.mean() + (r2 ** 2).mean() * math.sqrt(nc)
    loss.backward()
    data["mixed/centres"] = torch.tensor(centres)
    data["mixed/r1"], data["mixed/r2"], data["mixed/loss"] = r1.detach(), r2.detach(), loss.detach().reshape(1)
    for k, net in nets.items():
        net_grads(data, net, "mixed/" + k)
    # Burgers: r_c = mean_q [(u_t + u u_x) v + nu u_x dv/dx / R], nu = 0.3, loss mean ||r_n|| + top-2 of r^2
    nu, topk = 0.3, 2
    for mode, dim in (("space", 1), ("spacetime", 2)):
        net = ONet(2, 3, 6, 4, 3, "tanh_sin", "silu_id").double()
        z = quadrature(6 if dim == 1 else 5, dim)
        Q = z.shape[0]
        v, dv = wendland(z, dim)
        c = rng.uniform(R, 1 - R, (nc, dim)).astype(np.float32).astype(np.float64)
        if dim == 1:  # test functions in x at the time slices linspace(0, 1, nc)
            xs = (c[:, None, :] + R * z[None]).reshape(-1)
            ts = np.repeat(np.linspace(0, 1, nc), Q)
            pts = np.stack([xs, ts], 1)
        else:
            pts = (c[:, None, :] + R * z[None]).reshape(-1, 2)
        pts = torch.tensor(pts).float().double()
        u, du = u_and_grad(net, pts, beta)  # (N, P), (N, P, 2)
        ux, ut = du[..., 0], du[..., 1]
        term = (ut + u * ux) * torch.tensor(v).repeat(nc)[None] + nu * ux * torch.tensor(dv[:, 0] / R).repeat(nc)[None]
        r = term.reshape(N, nc, Q).mean(-1)
        loss = weak_loss(r, topk)
        loss.backward()
        g = "burgers_" + mode
        data[g + "/centres"] = torch.tensor(c)
        data[g + "/res"], data[g + "/loss"] = r.detach(), loss.detach().reshape(1)
        net_grads(data, net, g)
    # Poisson, f(x) = 1 + x0 sin(pi x1) at the points: r = mean_q du . dv / R - mean_q f v, loss mean ||r_n|| + top-2 of r^2
    net = ONet(2, 3, 6, 4, 3, "tanh_sin", "tanh_sin").double()
    z = quad(5)
    Q = z.shape[0]
    v, dv = wendland(z, 2)
    c, pts = centred_points(rng, nc, R, z)
    _, du = u_and_grad(net, pts, beta)
    f = (1 + pts[:, 0] * torch.sin(math.pi * pts[:, 1]))[None]  # (1, P)
    left = (du.reshape(N, nc, Q, 2) * torch.tensor(dv / R)[None, None]).sum(-1).mean(-1)
    r = left - (f * torch.tensor(v).repeat(nc)[None]).reshape(1, nc, Q).mean(-1)
    loss = weak_loss(r, 2)
    loss.backward()
    data["poisson/centres"] = torch.tensor(c)
    data["poisson/res"], data["poisson/loss"] = r.detach(), loss.detach().reshape(1)
    net_grads(data, net, "poisson/u")


def ext_write(h):
    """Model cases: supervised MultiONet with the CNN encoder and the silu_sin trunk; DGNO with the CNN encoder."""
    torch.manual_seed(3)
    enc = CNNEncoder(1, 9, [4, 6], 3, 2, [5], 7)
    m = MultiONetModel(9, enc, ONet(2, 7, 6, 3, 2, "silu_sin", "silu")).double()
    case(h, "multionet_cnn", m, torch.rand(2, 1, 9, 9, dtype=torch.float64) * 2, m.named())
    enc = CNNEncoder(1, 11, [3, 4], 3, 2, [6], 5)
    d = DGNO(11, enc, ONet(2, 5, 6, 3, 2, "tanh_sin", "tanh_sin"), ONet(2, 5, 4, 2, 1, "tanh_sin", "tanh_sin")).double()
    case(h, "dgno_cnn", d, torch.rand(2, 1, 11, 11, dtype=torch.float64) * 2, {**enc.named("enc"), **d.u.named("u"), **d.a.named("a")})


def main():
    torch.manual_seed(0)
    np.random.seed(0)
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
                data[f"{name}/w{k}_grad"] = net.w[k].grad
        data[f"{name}/bias_grad"] = net.bias.grad
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
    data["weak/w_grad"] = torch.cat([w.grad for w in net.w])
    data["weak/bias_grad"] = torch.zeros(1)  # u enters only through du/dx: no gradient
    for i in range(len(net.t)):
        data[f"weak/Wt{i}_grad"], data[f"weak/bt{i}_grad"] = net.t[i].weight.grad, net.t[i].bias.grad
        data[f"weak/Wb{i}_grad"], data[f"weak/bb{i}_grad"] = net.b[i].weight.grad, net.b[i].bias.grad
    data["weak/centres"] = torch.tensor(centres)
    data["weak/res"] = res.detach()
    data["weak/loss"] = loss.detach().reshape(1)

    ext_cases(data)
    with h5py.File(OUT, "w", libver="latest") as h:
        for k, t in data.items():
            h[k] = t.detach().cpu().numpy().astype(np.float64 if k == "weak/centres" else np.float32)
        ext_write(h)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
