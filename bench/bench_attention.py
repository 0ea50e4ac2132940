#!/usr/bin/python3
"""PyTorch counterpart of bench_attention.c: the same shapes (batch 1, 4 heads
of 16, 64 slices), float32, one thread by default; forward + backward times of
softmax attention (PyTorch 1.13's CPU path materialises the n x n scores) and
of the physics attention core.

  /usr/bin/python3 bench/bench_attention.py [tokens ...] [--threads 1]"""
import argparse
import resource
import time
import torch

p = argparse.ArgumentParser()
p.add_argument("tokens", type=int, nargs="*", default=[1024, 4096])
p.add_argument("--threads", type=int, default=1)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--dh", type=int, default=16)
p.add_argument("--slices", type=int, default=64)
a = p.parse_args()
torch.set_num_threads(a.threads)
H, d, M = a.heads, a.dh, a.slices


def softmax_attention(q, k, v):  # (1, H, n, d)
    return torch.softmax(q @ k.transpose(-1, -2) * d ** -0.5, dim=-1) @ v


def physics(x, f, Ws, bs, temp, W):  # x, f (1, H, n, d)
    w = torch.softmax((x @ Ws.T + bs) / torch.clamp(temp, 0.1, 5)[None, :, None, None], dim=-1)
    tok = torch.einsum("bhnc,bhng->bhgc", f, w) / (w.sum(2) + 1e-5)[..., None]
    q, k, v = tok @ W[0].T, tok @ W[1].T, tok @ W[2].T
    return torch.einsum("bhgc,bhng->bhnc", torch.softmax(q @ k.transpose(-1, -2) * d ** -0.5, dim=-1) @ v, w)


print("torch %s, threads %d, heads %d, dh %d, slices %d" % (torch.__version__, a.threads, H, d, M))
print("%-9s %7s %10s %10s %14s" % ("kind", "tokens", "fwd (s)", "bwd (s)", "peak RSS MiB"))
for kind in ["softmax", "physics"]:
    for n in a.tokens:
        g = torch.Generator().manual_seed(0)
        t = [torch.rand(1, H, n, d, generator=g).requires_grad_() for _ in range(3)]
        if kind == "physics":
            t = t[:2] + [torch.rand(M, d, generator=g).requires_grad_(), torch.rand(M, generator=g).requires_grad_(),
                         torch.full((H,), 0.5).requires_grad_(), torch.rand(3, d, d, generator=g).requires_grad_()]
        t0 = time.perf_counter()
        y = softmax_attention(*t) if kind == "softmax" else physics(*t)
        t1 = time.perf_counter()
        (y * 1e-3).sum().backward()
        t2 = time.perf_counter()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print("%-9s %7d %10.4f %10.4f %14.1f" % (kind, n, t1 - t0, t2 - t1, rss))
