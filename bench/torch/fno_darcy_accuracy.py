#!/usr/bin/python3
"""PyTorch side of the Darcy FNO accuracy comparison (docs/benchmarks.md).

Trains the FNO of tests/reference/fno.py (the fourier_2d.py architecture), with the
epoch loop of darcy_accuracy.py (fit), on a
neop data file with the settings of examples/darcy/fno.opts, and prints one
line per epoch: epoch, train loss, test relative L2, seconds.

  bench/torch/fno_darcy_accuracy.py DATA.h5 [--epochs 500] [--step 100] [--sub 1]
      [--ntrain 1000] [--ntest 100] [--padding 9] [--device cuda]

DATA.h5 holds /a and /u of shape (N, 1, S, S) (neop schema); --sub takes every
sub-th node as the scripts do (x[:, ::r, ::r]).
"""
import argparse
import os
import sys

import h5py
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "reference"))
from fno import FNO  # noqa: E402
from darcy_accuracy import fit, rel_l2_sum  # noqa: E402


class UnitGaussian:
    """point-wise mean/std over the training samples, torch.std unbiased, eps 1e-5 (utilities3.py)"""

    def __init__(self, x, eps=1e-5):
        self.mean, self.std, self.eps = x.mean(0), x.std(0), eps

    def encode(self, x):
        return (x - self.mean) / (self.std + self.eps)

    def decode(self, x):
        return x * (self.std + self.eps) + self.mean



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--step", type=int, default=100)
    ap.add_argument("--sub", type=int, default=1)
    ap.add_argument("--ntrain", type=int, default=1000)
    ap.add_argument("--ntest", type=int, default=100)
    ap.add_argument("--padding", type=int, default=9)
    ap.add_argument("--batch", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)

    with h5py.File(args.data, "r") as f:
        r = args.sub
        a = f["a"][: args.ntrain + args.ntest, 0, ::r, ::r]
        u = f["u"][: args.ntrain + args.ntest, 0, ::r, ::r]
    a, u = torch.tensor(a, dtype=torch.float32), torch.tensor(u, dtype=torch.float32)
    a_tr, u_tr = a[: args.ntrain], u[: args.ntrain]
    a_te, u_te = a[args.ntrain:], u[args.ntrain:]
    xn, yn = UnitGaussian(a_tr), UnitGaussian(u_tr)
    a_tr, a_te = xn.encode(a_tr), xn.encode(a_te)
    a_tr, a_te = a_tr.unsqueeze(-1).to(dev), a_te.unsqueeze(-1).to(dev)
    u_tr, u_te = u_tr.to(dev), u_te.to(dev)
    for name in ("mean", "std"):
        setattr(yn, name, getattr(yn, name).to(dev))

    model = FNO(2, 1, 1, (12, 12), 32, 4, (args.padding, args.padding), "2021")
    for p in model.parameters():  # the reference module computes in float64; train in float32 as the scripts
        p.data = p.data.to(torch.cfloat if p.is_complex() else torch.float32)
    model = model.to(dev)
    grids = {}  # the reference rebuilds the coordinates on the host every call: build them once

    def cached_grid(shape, make=model.get_grid):
        if shape not in grids:
            grids[shape] = make(shape).to(dev, torch.float32)
        return grids[shape]

    model.get_grid = cached_grid
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=args.step, gamma=0.5)
    print(f"parameters: {sum(p.numel() * (2 if p.is_complex() else 1) for p in model.parameters())}", flush=True)
    fit(lambda a: yn.decode(model(a).squeeze(-1)), model, opt, sched, False, rel_l2_sum, 0, (a_tr, u_tr, a_te, u_te), args.epochs,
        args.batch)


if __name__ == "__main__":
    main()
