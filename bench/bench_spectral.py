#!/usr/bin/python3
"""PyTorch counterpart of bench_spectral.c: the FNO scripts' SpectralConv2d
(rfft2, two corners, einsum, irfft2), forward + backward (input and weight
gradients), same shapes and thread count. Prints the best and mean time.

    /usr/bin/python3 bench/bench_spectral.py [-n 20] [-s 85] [-pad 0] [-width 32] [-modes 12] [-reps 10] [-threads 1]
"""
import argparse
import time
import torch

p = argparse.ArgumentParser()
for name, default in [("n", 20), ("s", 85), ("pad", 0), ("width", 32), ("modes", 12), ("reps", 10), ("threads", 1)]:
    p.add_argument("-" + name, type=int, default=default)
a = p.parse_args()
torch.set_num_threads(a.threads)
S, m, C = a.s + a.pad, a.modes, a.width
scale = 1 / (C * C)
w1 = (scale * torch.rand(C, C, m, m, dtype=torch.cfloat)).requires_grad_()
w2 = (scale * torch.rand(C, C, m, m, dtype=torch.cfloat)).requires_grad_()


def layer(x):
    x_ft = torch.fft.rfft2(x)
    out = torch.zeros(x.shape[0], C, S, S // 2 + 1, dtype=torch.cfloat)
    out[:, :, :m, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, :m, :m], w1)
    out[:, :, -m:, :m] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, -m:, :m], w2)
    return torch.fft.irfft2(out, s=(S, S))


times = []
for r in range(a.reps + 1):
    x = torch.sin(0.001 * torch.arange(a.n * C * S * S, dtype=torch.float)).reshape(a.n, C, S, S).requires_grad_()
    t0 = time.perf_counter()
    y = layer(x)
    y.backward(torch.full_like(y, 1e-3))
    t1 = time.perf_counter()
    if r:
        times.append(t1 - t0)
print(f"torch {torch.__version__} spectral conv 2-D fwd+bwd: batch {a.n}, width {C}, modes {m}, grid {S} x {S}, "
      f"{a.threads} thread(s)\n  best {1e3 * min(times):.2f} ms, mean {1e3 * sum(times) / len(times):.2f} ms over {a.reps}")
