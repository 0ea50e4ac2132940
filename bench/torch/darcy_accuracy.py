#!/usr/bin/python3
"""PyTorch side of the Darcy accuracy comparisons of MgNO, Transolver and the
Galerkin Transformer (docs/benchmarks.md): the same model, data, normalisers,
initial weights, loss, optimiser and schedule as a `neop train` run.

  bench/torch/darcy_accuracy.py --init INIT.h5 --data DATA.h5 --model mgno|transolver|galerkin
      [--epochs E] [--ntrain 1000] [--ntest 100] [--test_offset 1000] [--sub 1] [--seed 0]
      [--layers L --width W --heads H --slices M ...]  (model options, as the neop run's)

INIT.h5 is what `neop train ... -initial_checkpoint INIT.h5` wrote before its
first step: the initial parameters (/params/<neop name>) and the fitted
normalisers (/normalizer/{a,u}/{mean,std}), which are loaded here, so that the
two runs differ only in the shuffling of the batches and in rounding. The
models are those of tests/reference (the modules whose values and gradients the
C tests compare with neop's), computed in float32. Prints one line per epoch:
epoch, train loss, test relative L2, seconds; then the best and final test
relative L2.
"""
import argparse
import os
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "reference"))
import transformer as T  # noqa: E402  (sets float64 as default dtype: reset below)
from galerkin import Galerkin  # noqa: E402
from loss_h1 import hs_loss_mgno  # noqa: E402
from mgno import MgNORef  # noqa: E402
from neop_params import load_init  # noqa: E402

torch.set_default_dtype(torch.float32)


def rel_l2_sum(pred, y):
    n = pred.shape[0]
    return (torch.linalg.vector_norm((pred - y).reshape(n, -1), dim=1) / torch.linalg.vector_norm(y.reshape(n, -1), dim=1)).sum()


def fit(predict, model, opt, sched, per_batch, loss_fn, clip, data, epochs, batch):
    """Shuffled mini-batch training with a test pass per epoch, printing the lines
    of `neop train` (epoch, train loss per sample, test relative L2, seconds) and
    the best and final test error. predict(a) gives outputs in physical units;
    sched steps after every batch (per_batch) or every epoch."""
    a_tr, u_tr, a_te, u_te = data
    ntrain, ntest = len(a_tr), len(a_te)
    params = list(model.parameters())
    best = float("inf")
    for ep in range(1, epochs + 1):
        t0 = time.time()
        model.train()
        perm = torch.randperm(ntrain, device=a_tr.device)
        tl = 0.0
        for k in range(0, ntrain, batch):
            idx = perm[k:k + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(predict(a_tr[idx]), u_tr[idx])
            loss.backward()
            if clip:
                torch.nn.utils.clip_grad_norm_(params, clip)
            opt.step()
            if per_batch:
                sched.step()
            tl += loss.item()
        if not per_batch:
            sched.step()
        model.eval()
        te = 0.0
        with torch.no_grad():
            for k in range(0, ntest, batch):
                te += rel_l2_sum(predict(a_te[k:k + batch]), u_te[k:k + batch]).item()
        te /= ntest
        best = min(best, te)
        print(f"epoch {ep:4d}  train {tl / ntrain:.6f}  test rel_l2 {te:.6f}  {time.time() - t0:.2f} s", flush=True)
    print(f"best test rel_l2 {best:.6f}; final {te:.6f}")


def build(args, S):
    """the model and its (neop name -> parameter) map"""
    if args.model == "mgno":
        pre = [1] * (args.levels - 1) + [2]
        m = MgNORef(2, args.layers, args.width, args.levels, 1, pre, [0] * args.levels, (S, S), "zero", 0)
        return m, dict(m.names)
    if args.model == "transolver":
        m = T.conv_transolver((S, S), layers=args.layers, width=args.width, heads=args.heads, slices=args.slices, ref=8)
        m.pos = m.pos.float()
        return m, m.named()
    m = Galerkin(1, 1, args.width, args.heads, args.layers, 2, args.freq, args.modes, args.dec_layers)
    return m, m.named()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--model", required=True, choices=["mgno", "transolver", "galerkin"])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--ntrain", type=int, default=1000)
    ap.add_argument("--ntest", type=int, default=100)
    ap.add_argument("--test_offset", type=int, default=1000)
    ap.add_argument("--sub", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int)
    ap.add_argument("--width", type=int)
    ap.add_argument("--heads", type=int, default=8)
    ap.add_argument("--slices", type=int, default=64)
    ap.add_argument("--levels", type=int, default=6)
    ap.add_argument("--freq", type=int, default=32)
    ap.add_argument("--modes", type=int, default=12)
    ap.add_argument("--dec_layers", type=int, default=2)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    dev = torch.device(args.device)
    if args.device == "cuda":  # float32 GEMMs as on the CPU, not TF32
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False

    r = args.sub
    with h5py.File(args.data, "r") as f:
        a_tr = np.asarray(f["a"][: args.ntrain, :, ::r, ::r], dtype=np.float32)
        u_tr = np.asarray(f["u"][: args.ntrain, :, ::r, ::r], dtype=np.float32)
        a_te = np.asarray(f["a"][args.test_offset: args.test_offset + args.ntest, :, ::r, ::r], dtype=np.float32)
        u_te = np.asarray(f["u"][args.test_offset: args.test_offset + args.ntest, :, ::r, ::r], dtype=np.float32)
    S = a_tr.shape[-1]
    if hasattr(torch, "set_default_device"):  # the reference modules make grids and wave numbers inside forward
        torch.set_default_device(dev)
    model, named = build(args, S)
    model = model.float()
    norm = load_init(args.init, named)
    model = model.to(dev)

    def stats(k):  # pointwise (S*S values, broadcast over the batch) or scalar (one value)
        mean, std, eps = norm[k]
        shape = (-1, S, S) if mean.numel() > 1 else ()
        return mean.reshape(shape).to(dev), (std + eps).reshape(shape).to(dev)

    def encode(x, k):
        mean, std = stats(k)
        return (x - mean) / std

    def decode(y):
        mean, std = stats("u")
        return y * std + mean

    ta = lambda x: torch.from_numpy(x).to(dev)  # noqa: E731
    a_tr, u_tr, a_te, u_te = ta(a_tr), ta(u_tr), ta(a_te), ta(u_te)
    if "a" in norm:
        a_tr, a_te = encode(a_tr, "a"), encode(a_te, "a")

    params = list(model.parameters())
    print(f"torch {torch.__version__} on {dev}: {args.model}, {sum(torch.view_as_real(p).numel() if p.is_complex() else p.numel() for p in params)} "
          f"parameters, grid {S} x {S}, {args.ntrain} train / {args.ntest} test", flush=True)
    # each model's training settings, as in examples/darcy/<model>.opts
    if args.model == "mgno":
        batch, loss_fn = 8, hs_loss_mgno
        opt = torch.optim.Adam(params, lr=5e-4, weight_decay=1e-4)
        onecycle = dict(max_lr=5e-4, pct_start=0.2, div_factor=2, final_div_factor=100)
        clip = 0
    elif args.model == "transolver":
        batch, loss_fn = 4, rel_l2_sum
        opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-5)
        onecycle = dict(max_lr=1e-3, pct_start=0.3)
        clip = 0.1
    else:
        batch, loss_fn = 4, rel_l2_sum
        opt = torch.optim.Adam(params, lr=1e-3)
        onecycle = dict(max_lr=1e-3, pct_start=0.3, div_factor=1e4, final_div_factor=1e4)
        clip = 0
    steps = (args.ntrain + batch - 1) // batch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, total_steps=args.epochs * steps, **onecycle)
    fit(lambda a: decode(model(a)), model, opt, sched, True, loss_fn, clip, (a_tr, u_tr, a_te, u_te), args.epochs, batch)


if __name__ == "__main__":
    main()
