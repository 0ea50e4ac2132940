#!/usr/bin/python3
"""PyTorch counterpart of `neop train -options_file examples/darcy/mgno.opts`
for bench/mgno_train_speed.sh: the MgNO of tests/reference/mgno.py (imported,
float32) with the Darcy-rough defaults (4 layers, 24 channels, 6 levels,
572,661 parameters), MgNO's H1 loss (hs_loss_mgno of tests/reference/loss_h1.py)
summed over the batch on outputs decoded by a scalar Gaussian normaliser, Adam
(weight decay 1e-4) with a one-cycle schedule (max lr 5e-4, div 2, final div
100, pct_start --pct_start, 0.2 by default) stepped per batch, batch 8. An epoch is what neop train
times: the shuffled training steps and a test pass (relative L2). Prints
samples/s per epoch (training samples / epoch time) and the peak RSS (VmHWM)."""
import argparse
import os
import sys
import time

import h5py
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
from mgno import MgNORef  # noqa: E402
from loss_h1 import hs_loss_mgno  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--data", required=True, help="neop data file (datasets a, u: (N, 1, S, S))")
p.add_argument("--ntrain", type=int, default=16)
p.add_argument("--ntest", type=int, default=8)
p.add_argument("--epochs", type=int, default=3)
p.add_argument("--batch", type=int, default=8)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--pct_start", type=float, default=0.2)
p.add_argument("--seed", type=int, default=0)
p.add_argument("--flush_denormal", action="store_true", help="torch.set_flush_denormal(True) (neop's -flush_denormals; torch's default is off)")
a = p.parse_args()
torch.set_num_threads(a.threads)
if a.flush_denormal:
    torch.set_flush_denormal(True)
torch.manual_seed(a.seed)

with h5py.File(a.data, "r") as f:
    x = torch.from_numpy(np.asarray(f["a"][: a.ntrain + a.ntest], dtype=np.float32))
    u = torch.from_numpy(np.asarray(f["u"][: a.ntrain + a.ntest], dtype=np.float32))
xtr, utr, xte, ute = x[: a.ntrain], u[: a.ntrain], x[a.ntrain:], u[a.ntrain:]
S = x.shape[-1]
mean, std, eps = utr.mean(), utr.std(), 1e-5  # scalar Gaussian normaliser (GaussianNormalizer)

L = 6
model = MgNORef(2, 4, 24, L, 1, [1] * (L - 1) + [2], [0] * L, (S, S), "zero", 0)
nparams = sum(q.numel() for q in model.parameters())
opt = torch.optim.Adam(model.parameters(), lr=5e-4, weight_decay=1e-4)
steps = (a.ntrain + a.batch - 1) // a.batch
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=5e-4, total_steps=a.epochs * steps, pct_start=a.pct_start, div_factor=2,
                                            final_div_factor=100)
print(f"torch {torch.__version__}, {a.threads} thread(s): MgNO {nparams} parameters, grid {S} x {S}, "
      f"{a.ntrain} train / {len(xte)} test, batch {a.batch}", flush=True)
for epoch in range(1, a.epochs + 1):
    t0 = time.perf_counter()
    model.train()
    perm = torch.randperm(a.ntrain)
    total = 0.0
    for k in range(steps):
        idx = perm[k * a.batch:(k + 1) * a.batch]
        opt.zero_grad(set_to_none=True)
        y = model(xtr[idx]) * (std + eps) + mean
        loss = hs_loss_mgno(y, utr[idx])
        loss.backward()
        opt.step()
        sched.step()
        total += loss.item()
    model.eval()
    err = 0.0
    with torch.no_grad():
        for k in range(0, len(xte), a.batch):
            y = model(xte[k:k + a.batch]) * (std + eps) + mean
            d = (y - ute[k:k + a.batch]).flatten(1).norm(dim=1) / ute[k:k + a.batch].flatten(1).norm(dim=1)
            err += d.sum().item()
    dt = time.perf_counter() - t0
    print(f"epoch {epoch:4d}  train {total / a.ntrain:.6f}  test rel_l2 {err / max(len(xte), 1):.6f}  {dt:.2f} s  "
          f"{a.ntrain / dt:.2f} samples/s", flush=True)
with open("/proc/self/status") as f:
    hwm = [line.split()[1] for line in f if line.startswith("VmHWM")][0]
print(f"peak RSS {int(hwm) // 1024} MB")
