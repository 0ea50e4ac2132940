#!/usr/bin/python3
"""PyTorch side of bench/fno_train_speed.sh: trains the FNO of
tests/reference/fno.py (imported, in float32) the way `neop train` does:
point-wise Gaussian normalisers of a and u (UnitGaussianNormalizer, eps 1e-5),
relative L2 loss summed over the batch on the decoded output against the raw
targets, Adam (lr 1e-3, weight decay 1e-4), shuffled batches.

    /usr/bin/python3 bench/torch_fno_train.py -data darcy85.h5 [-ntrain 200] [-epochs 4]
        [-batch 20] [-threads 1] [-width 32] [-modes 12] [-layers 4] [-padding 9]

Prints one line per epoch with the time of the training steps and samples/s,
then the rate over the epochs after the first (as `neop train` reports it:
samples over seconds of steps) and the peak RSS (VmHWM of /proc/self/status).
"""
import argparse
import os
import sys
import time

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import fno  # noqa: E402  (the reference FNO, built in float64 there)

p = argparse.ArgumentParser()
p.add_argument("-data", required=True)
for name, default in [("ntrain", 200), ("epochs", 4), ("batch", 20), ("threads", 1), ("width", 32), ("modes", 12),
                      ("layers", 4), ("padding", 9), ("seed", 0)]:
    p.add_argument("-" + name, type=int, default=default)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)

with h5py.File(args.data, "r") as f:  # neop's layout (N, C, *S), float32
    a = torch.from_numpy(f["a"][: args.ntrain])
    u = torch.from_numpy(f["u"][: args.ntrain])
N, S = a.shape[0], a.shape[2:]
d = len(S)
a = a.permute(0, *range(2, d + 2), 1).contiguous()  # the scripts' channels-last (N, *S, C)
u = u.permute(0, *range(2, d + 2), 1).contiguous()


class UnitGaussianNormalizer:
    def __init__(self, x, eps=1e-5):
        self.mean, self.std, self.eps = torch.mean(x, 0), torch.std(x, 0), eps

    def encode(self, x):
        return (x - self.mean) / (self.std + self.eps)

    def decode(self, x):
        return x * (self.std + self.eps) + self.mean


na, nu = UnitGaussianNormalizer(a), UnitGaussianNormalizer(u)
a = na.encode(a)

fno.DT = torch.float32  # the reference builds its real layers in fno.DT
model = fno.FNO(d, a.shape[-1], u.shape[-1], (args.modes,) * d, args.width, args.layers, (args.padding,) * d, "2021")
with torch.no_grad():  # its spectral weights are complex128: float32 training uses complex64
    for prm in model.parameters():
        if prm.is_complex():
            prm.data = prm.data.to(torch.cfloat)
opt = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-4)


def rel_l2_sum(y, t):
    n = y.shape[0]
    diff = torch.norm(y.reshape(n, -1) - t.reshape(n, -1), 2, 1)
    return torch.sum(diff / torch.norm(t.reshape(n, -1), 2, 1))


times = []
model.train()
for epoch in range(args.epochs):
    perm = torch.randperm(N)
    total, t0 = 0.0, time.perf_counter()
    for k in range(0, N, args.batch):
        idx = perm[k : k + args.batch]
        x, y = a[idx], u[idx]
        opt.zero_grad()
        out = nu.decode(model(x))
        loss = rel_l2_sum(out, y)
        loss.backward()
        opt.step()
        total += loss.item()
    dt = time.perf_counter() - t0
    times.append(dt)
    print(f"epoch {epoch + 1:4d}  train {total / N:.6f}  steps {dt:.2f} s  {N / dt:.1f} samples/s", flush=True)

with open("/proc/self/status") as f:
    hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
steady = times[1:] if len(times) > 1 else times  # the first epoch warms up (allocator, FFT plans)
print(f"torch {torch.__version__}: {N} samples, batch {args.batch}, {args.threads} thread(s); "
      f"training steps: {N * len(steady) / sum(steady):.2f} samples/s over {len(steady)} epochs; peak RSS {hwm / 1024:.1f} MiB")
