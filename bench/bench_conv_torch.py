#!/usr/bin/python3
"""PyTorch counterpart of bench/bench_conv.c: a 3x3 conv, 24 -> 24 channels,
zero padding, batch 8, at 128^2 and 256^2: forward and forward + backward
(input and weight gradients), best of --reps, on --threads CPU threads.
Run it right after bench_conv with the same thread count and compare."""
import argparse
import time
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=1)
p.add_argument("--reps", type=int, default=3)
p.add_argument("--batch", type=int, default=8)
p.add_argument("--channels", type=int, default=24)
a = p.parse_args()
torch.set_num_threads(a.threads)
c = a.channels
for S in (128, 256):
    x = torch.randn(a.batch, c, S, S, requires_grad=True)
    w = (torch.randn(c, c, 3, 3) * 0.05).requires_grad_(True)
    g = torch.full((a.batch, c, S, S), 1e-3)
    tf = tfb = 1e30
    for _ in range(a.reps):
        x.grad = w.grad = None
        t0 = time.perf_counter()
        y = F.conv2d(x, w, padding=1)
        t1 = time.perf_counter()
        y.backward(g)
        t2 = time.perf_counter()
        tf, tfb = min(tf, t1 - t0), min(tfb, t2 - t0)
    flop = 2.0 * a.batch * c * c * 9 * S * S
    print(f"torch {torch.__version__} threads {a.threads}: {S:4d}^2 batch {a.batch}, {c} ch: forward {1e3 * tf:8.2f} ms "
          f"{flop / tf * 1e-9:6.1f} GFLOP/s | fwd+bwd {1e3 * tfb:8.2f} ms {3 * flop / tfb * 1e-9:6.1f} GFLOP/s")
