#!/usr/bin/python3
"""PyTorch side of the piecewise-Darcy DGNO and its inverse problem
(docs/benchmarks.md, "Inverse problem"): the model of examples/darcy/dgno_piecewise.opts
built from the modules of tests/reference/dgno.py, trained without labelled u on a
neop data file, then the reference's inverse procedure (DGenNO
Inverse_DGenNO_piecewise_N100) on neop observation files
(`neop invert -make_observations`), so that both sides invert the same noisy data.

Model: beta = tanh(MLP 841-512-256-128 (SiLU) of a), u = ONet_u(x, beta) sin(pi x) sin(pi y),
fluxes s_j = ONet_sj(x, beta) ([100] x 5, last 4 summed, tanh_sin), a logits ONet_a
([256] x 5, last 4, trunk silu_sin, branch silu_id). Loss: mean binary cross-entropy of
sigmoid(a logits) against (a - 5) / 5 at the grid nodes + the mixed weak residuals
mean |s - a grad u|^2 + sqrt(nc) mean (mean_q s . grad v - f v)^2, a at the points from
the nearest node, 100 Latin-hypercube centres per step, R = 1e-4, 7 x 7 mesh, f = 10.
Adam lr 5e-4, halved every --lr_step epochs, batch 25.

Inverse (the reference's): decoders frozen, beta = tanh(MLP 1-64-64-128 (SiLU) of the
constant 1), Adam lr 1e-2, weight decay 1e-4, 500 steps, lr halved every 50, loss
25 ||u(x_obs) - u_obs|| / ||u_obs|| + 1 * residuals with a drawn from the relaxed
Bernoulli of the a decoder (the reference's a_sample: 25 logistic draws); errors: relative
L2 of u over the grid and of a = a_sample (50 draws) against the truth.

  /usr/bin/python3 bench/torch/dgno_piecewise.py --data darcy_piecewise_29.h5 --epochs 150 \\
      --lr_step 30 --seed 0 --device cuda --save pw_s0.pt --invert obs_1000.h5 obs_1001.h5 ...

With --neop CKPT the model is neop's trained one (no training): its test error on --data
checks that both sides compute the same u, and --invert runs the reference's inverse
procedure on neop's decoders. With --load or --neop and --data, the test errors of u and
of a reconstructed from its own latent are printed (how well the decoders represent the
test set)."""
import argparse
import math
import os
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import dgno as ref  # noqa: E402
from neop_params import load_init  # noqa: E402

S, F, R, NC, LOW, HIGH = 29, 10.0, 1e-4, 100, 5.0, 10.0


class MLP(torch.nn.Module):
    """[linear, SiLU] per hidden width, then linear; tanh on the output (the reference's EncoderFCNet + tanh)."""

    def __init__(self, widths):
        super().__init__()
        self.fc = torch.nn.ModuleList([torch.nn.Linear(widths[i], widths[i + 1]) for i in range(len(widths) - 1)])

    def forward(self, x):
        for i, f in enumerate(self.fc):
            x = f(x)
            if i < len(self.fc) - 1:
                x = torch.nn.functional.silu(x)
        return torch.tanh(x)


class PiecewiseDGNO(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = MLP([S * S, 512, 256, 128])
        self.u = ref.ONet(2, 128, 100, 5, 4, "tanh_sin", "tanh_sin", zero_init=True)
        self.s = torch.nn.ModuleList([ref.ONet(2, 128, 100, 5, 4, "tanh_sin", "tanh_sin", zero_init=True) for _ in range(2)])
        self.a = ref.ONet(2, 128, 256, 5, 4, "silu_sin", "silu_id", zero_init=True)
        z = ref.quadrature(7, 2)
        v, dv = ref.wendland(z, 2)
        self.register_buffer("z", torch.tensor(z, dtype=torch.float32))
        self.register_buffer("v", torch.tensor(v, dtype=torch.float32))
        self.register_buffer("dv", torch.tensor(dv / R, dtype=torch.float32))
        self.register_buffer("x", ref.grid_nodes(S))

    def named(self):  # neop's parameter names
        d = {f"enc.{i}.{k}": getattr(f, k) for i, f in enumerate(self.enc.fc) for k in ("weight", "bias")}
        d.update({**self.u.named("u"), **self.a.named("a"), **self.s[0].named("s1"), **self.s[1].named("s2")})
        return d

    def u_at(self, x, beta):
        return self.u(x, beta) * torch.sin(math.pi * x[:, 0]) * torch.sin(math.pi * x[:, 1])

    def forward(self, a):  # a (N, 1, S, S) -> u (N, 1, S, S)
        return self.u_at(self.x, self.enc(a.reshape(a.shape[0], -1))).reshape(a.shape[0], 1, S, S)

    def pde(self, beta, centres, a_at):
        """Mixed weak residuals of -div(a grad u) = f for latents beta (N, 128) at centres (nc, 2);
        a_at(pts) gives a (N, P) at the quadrature points."""
        N, nc, Q = beta.shape[0], centres.shape[0], self.z.shape[0]
        pts = (centres[:, None, :] + R * self.z[None]).reshape(-1, 2)
        xb = pts[None].expand(N, -1, -1).clone().requires_grad_(True)
        u = self.u.batched(xb, beta) * torch.sin(math.pi * xb[..., 0]) * torch.sin(math.pi * xb[..., 1])
        du = torch.autograd.grad(u.sum(), xb, create_graph=True)[0]  # (N, P, 2)
        s = torch.stack([net(pts, beta) for net in self.s], -1)  # (N, P, 2)
        r1 = ((s - a_at(pts)[..., None] * du) ** 2).sum(-1).reshape(N, nc, Q).mean(-1)
        left = (s.reshape(N, nc, Q, 2) * self.dv[None, None]).sum(-1).mean(-1)
        r2 = left - F * self.v.mean()
        return r1.mean() + (r2 ** 2).mean() * math.sqrt(nc)

    def loss(self, a, centres):
        N = a.shape[0]
        beta = self.enc(a.reshape(N, -1))
        target = ((a.reshape(N, -1) - LOW) / (HIGH - LOW)).clamp(0, 1)
        data = torch.nn.functional.binary_cross_entropy_with_logits(self.a(self.x, beta), target)
        def nearest(pts):  # a at the node nearest to each point (N, P)
            i = torch.round(pts * (S - 1)).long()
            return a[:, 0][:, i[:, 0], i[:, 1]]

        return data + self.pde(beta, centres, nearest)


def a_sample(logits, draws, gen):
    """The reference's a_sample: sigmoid of the logits plus the mean of `draws` logistic draws, mapped to [5, 10]."""
    p = torch.sigmoid(logits)
    acc = torch.zeros_like(p)
    for _ in range(draws):
        e = torch.rand(p.shape, generator=gen).to(p.device)
        acc += torch.log(e) - torch.log(1 - e) + torch.log(p + 1e-8) - torch.log(1 - p + 1e-8)
    return torch.sigmoid(acc / draws) * (HIGH - LOW) + LOW


def train(args, model, dev, gen):
    with h5py.File(args.data, "r") as f:
        a = torch.from_numpy(np.asarray(f["a"][: args.ntrain + args.ntest], dtype=np.float32)).to(dev)
        u = torch.from_numpy(np.asarray(f["u"][: args.ntrain + args.ntest], dtype=np.float32)).to(dev)
    assert a.shape[1:] == (1, S, S), f"need a (N, 1, {S}, {S}), the file has {tuple(a.shape)}"
    atr, ate, ute = a[: args.ntrain], a[args.ntrain:], u[args.ntrain:]
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=args.lr_step, gamma=0.5)
    steps = (args.ntrain + args.batch - 1) // args.batch
    best, err = float("inf"), float("nan")
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        perm = torch.randperm(args.ntrain, generator=gen)
        total = 0.0
        for k in range(steps):
            idx = perm[k * args.batch:(k + 1) * args.batch].to(dev)
            centres = ref.lhs_centres(NC, R, gen).to(dev)
            opt.zero_grad(set_to_none=True)
            loss = model.loss(atr[idx], centres)
            loss.backward()
            opt.step()
            total += loss.item()
        sched.step()
        with torch.no_grad():
            y = model(ate)
            err = ((y - ute).flatten(1).norm(dim=1) / ute.flatten(1).norm(dim=1)).mean().item()
        best = min(best, err)
        print(f"epoch {epoch:4d}  train {total / steps:.6f}  test rel_l2 {err:.6f}  lr {sched.get_last_lr()[0]:.3e}  "
              f"{time.perf_counter() - t0:.2f} s", flush=True)
    if args.epochs == 0:
        with torch.no_grad():
            y = model(ate)
            err = best = ((y - ute).flatten(1).norm(dim=1) / ute.flatten(1).norm(dim=1)).mean().item()
    print(f"final test rel_l2 {err:.6f}  best {best:.6f}", flush=True)
    with torch.no_grad():  # how well the a decoder represents the test coefficients from their own latents
        n = ate.shape[0]
        ar = torch.sigmoid(model.a(model.x, model.enc(ate.reshape(n, -1)))) * (HIGH - LOW) + LOW
        t = ate.reshape(n, -1)
        print(f"test rel_l2 of a from its latent (sigmoid mean) {((ar - t).norm(dim=1) / t.norm(dim=1)).mean().item():.6f}", flush=True)


def invert(model, path, dev, gen):
    """The reference's inverse procedure on one neop observation file; returns (err_a, err_u)."""
    with h5py.File(path, "r") as f:
        xo = torch.from_numpy(np.asarray(f["x_obs"], dtype=np.float32)).to(dev)  # (M, 2)
        uo = torch.from_numpy(np.asarray(f["u_obs"], dtype=np.float32)).to(dev)  # (M)
        at = torch.from_numpy(np.asarray(f["a_true"], dtype=np.float32)).reshape(-1).to(dev)  # (S^2)
        ut = torch.from_numpy(np.asarray(f["u_true"], dtype=np.float32)).reshape(-1).to(dev)
    for p in model.parameters():
        p.requires_grad_(False)
    bm = MLP([1, 64, 64, 128]).to(dev)
    one = torch.ones(1, 1, device=dev)
    opt = torch.optim.Adam(bm.parameters(), lr=1e-2, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=50, gamma=0.5)
    for _ in range(500):
        beta = bm(one)
        centres = ref.lhs_centres(NC, R, gen).to(dev)
        sampled = lambda pts: a_sample(model.a(pts, beta), 25, gen)  # noqa: E731
        up = model.u_at(xo, beta)[0]
        loss = 25.0 * (up - uo).norm() / uo.norm() + model.pde(beta, centres, sampled)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    with torch.no_grad():
        beta = bm(one)
        ap = a_sample(model.a(model.x, beta), 50, gen)[0]
        up = model.u_at(model.x, beta)[0]
        return ((ap - at).norm() / at.norm()).item(), ((up - ut).norm() / ut.norm()).item()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="neop data file (datasets/darcy_piecewise_29.opts); without it, --load a trained model")
    p.add_argument("--ntrain", type=int, default=1000)
    p.add_argument("--ntest", type=int, default=100)
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--batch", type=int, default=25)
    p.add_argument("--lr_step", type=int, default=200, help="halve the learning rate every this many epochs")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--save", help="write the trained state here")
    p.add_argument("--load", help="a state written by --save, instead of training")
    p.add_argument("--neop", help="a neop checkpoint of examples/darcy/dgno_piecewise.opts, instead of training "
                   "(with --data: its test error is printed)")
    p.add_argument("--invert", nargs="*", default=[], help="neop observation files to invert")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    gen = torch.Generator().manual_seed(args.seed + 1)
    model = PiecewiseDGNO().to(dev)
    print(f"torch {torch.__version__}, {args.device}: piecewise DGNO {sum(q.numel() for q in model.parameters())} parameters, "
          f"seed {args.seed}", flush=True)
    if args.load or args.neop:
        if args.load:
            model.load_state_dict(torch.load(args.load, map_location=dev))
        else:
            load_init(args.neop, model.named())
        if args.data:  # evaluation only
            args.epochs = 0
            train(args, model, dev, gen)
    else:
        train(args, model, dev, gen)
        if args.save:
            torch.save(model.state_dict(), args.save)
    ea, eu = [], []
    for path in args.invert:
        t0 = time.perf_counter()
        a_err, u_err = invert(model, path, dev, gen)
        ea.append(a_err), eu.append(u_err)
        print(f"invert {os.path.basename(path)}: err_a {a_err:.6f}  err_u {u_err:.6f}  {time.perf_counter() - t0:.1f} s", flush=True)
    if ea:
        print(f"inverse mean over {len(ea)}: err_a {np.mean(ea):.6f}  err_u {np.mean(eu):.6f}")


if __name__ == "__main__":
    main()
