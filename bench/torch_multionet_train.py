#!/usr/bin/python3
"""PyTorch counterpart of `neop train -options_file examples/darcy/{multionet,dgno}.opts`
(bench/multionet_train_speed.sh; bench/torch/onet_darcy_accuracy.py uses train()).
The models are tests/reference/dgno.py's (imported, float32): darcy_multionet()
(CNN encoder + MultiONet, 422,533 parameters) and darcy_dgno() (CNN encoder, u and
a MultiONet decoders, 368,828 parameters), with the .opts settings:

  multionet  relative L2 loss summed over the batch (neop's -loss rel_l2), AdamW
             lr 1e-3, weight decay 1e-4, batch 50, lr halved every 400 epochs
  dgno       0.25 mean_n ||a_dec - a|| + (mean_n ||r_n|| + sum_n top-20 of r_nc^2), r the
             weak residuals of -div(a grad u) = 1 at 100 Latin-hypercube centres per step,
             R = 1e-4, a 9 x 9 quadrature mesh, a bilinear at the points, du/dx by
             autograd with the points repeated per sample (the reference's "Batch" form),
             no labelled u; AdamW lr 5e-4, weight decay 1e-4, batch 50, halved every 400

An epoch is what neop train times: the shuffled training steps and a test pass
(mean relative L2 of u over the test samples). Prints one line per epoch
(training samples / epoch time), the best and final test errors, the peak RSS."""
import argparse
import os
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import dgno as ref  # noqa: E402

SETTINGS = {"multionet": {"lr": 1e-3}, "dgno": {"lr": 5e-4}}


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="neop data file, a and u (N, 1, 29, 29) (datasets/darcy_smooth_29.opts)")
    p.add_argument("--model", choices=["multionet", "dgno"], required=True)
    p.add_argument("--ntrain", type=int, default=1000)
    p.add_argument("--ntest", type=int, default=200)
    p.add_argument("--epochs", type=int, default=2000)
    p.add_argument("--batch", type=int, default=50)
    p.add_argument("--lr_step", type=int, default=400, help="halve the learning rate every this many epochs")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    return p


def train(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed + 1)
    dev = torch.device(a.device)
    with h5py.File(a.data, "r") as f:
        x = torch.from_numpy(np.asarray(f["a"][: a.ntrain + a.ntest], dtype=np.float32)).to(dev)
        u = torch.from_numpy(np.asarray(f["u"][: a.ntrain + a.ntest], dtype=np.float32)).to(dev)
    assert x.shape[1:] == (1, 29, 29) and u.shape[1:] == (1, 29, 29), f"need (N, 1, 29, 29) a and u, the file has {x.shape}, {u.shape}"
    xtr, utr, xte, ute = x[: a.ntrain], u[: a.ntrain], x[a.ntrain:], u[a.ntrain:]
    model = (ref.darcy_multionet() if a.model == "multionet" else ref.darcy_dgno()).to(dev)
    nparams = sum(q.numel() for q in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=SETTINGS[a.model]["lr"], weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=a.lr_step, gamma=0.5)
    steps = (a.ntrain + a.batch - 1) // a.batch
    print(f"torch {torch.__version__}, {a.threads} thread(s), {a.device}: {a.model} {nparams} parameters, "
          f"{a.ntrain} train / {len(xte)} test, batch {a.batch}, seed {a.seed}", flush=True)
    best, err = float("inf"), float("nan")
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(a.ntrain, generator=gen)
        total = 0.0
        for k in range(steps):
            idx = perm[k * a.batch:(k + 1) * a.batch].to(dev)
            opt.zero_grad(set_to_none=True)
            if a.model == "multionet":
                y, t = model(xtr[idx]), utr[idx]
                loss = ((y - t).flatten(1).norm(dim=1) / t.flatten(1).norm(dim=1)).sum()
            else:
                centres = ref.lhs_centres(100, model.R, gen).to(dev)
                loss = model.loss(xtr[idx], centres)[0]
            loss.backward()
            opt.step()
            total += loss.item()
        sched.step()
        model.eval()
        e = 0.0
        with torch.no_grad():
            for k in range(0, len(xte), a.batch):
                y = model(xte[k:k + a.batch])
                t = ute[k:k + a.batch]
                e += ((y - t).flatten(1).norm(dim=1) / t.flatten(1).norm(dim=1)).sum().item()
        if a.device != "cpu":
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        err = e / max(len(xte), 1)
        best = min(best, err)
        print(f"epoch {epoch:4d}  train {total / steps:.6f}  test rel_l2 {err:.6f}  lr {sched.get_last_lr()[0]:.3e}  {dt:.2f} s  "
              f"{a.ntrain / dt:.2f} samples/s", flush=True)
    print(f"final test rel_l2 {err:.6f}  best {best:.6f}")
    with open("/proc/self/status") as f:
        hwm = [line.split()[1] for line in f if line.startswith("VmHWM")][0]
    print(f"peak RSS {int(hwm) // 1024} MB")
    return err


if __name__ == "__main__":
    train(parser().parse_args())
