#!/usr/bin/python3
"""PyTorch CPU training throughput of the Transolver of tests/reference/transformer.py
(the structure neop's -model transolver builds; conv projections when conv=3).

usage: /usr/bin/python3 bench/torch_transolver_train.py <threads> <steps> <S> <batch> <conv 0|3> [layers width heads slices]
Trains float32 with AdamW (lr 1e-3, weight decay 1e-5), the relative L2 loss
summed over the batch and gradient clipping 0.1, on random inputs of one
batch (data loading is not measured). The first 2 steps are warm-up.
Prints one line: 'torch threads T samples/s X peak_rss_mib M'."""
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import transformer as T  # noqa: E402

torch.set_default_dtype(torch.float32)


def main():
    threads, steps, S, B, conv = (int(a) for a in sys.argv[1:6])
    layers, width, heads, slices = (int(a) for a in sys.argv[6:10]) if len(sys.argv) > 6 else (8, 128, 8, 64)
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if conv:
        model = T.conv_transolver((S, S), layers=layers, width=width, heads=heads, slices=slices, ref=8)
    else:
        model = T.Transolver(1, 1, (S, S), 8, layers=layers, width=width, heads=heads, slices=slices, mlp_ratio=1)
    model.pos = model.pos.float()
    model = model.float()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-5)
    a, u = torch.randn(B, 1, S, S), torch.randn(B, 1, S, S)

    def step():
        opt.zero_grad()
        y = model(a)
        loss = (torch.linalg.vector_norm((y - u).reshape(B, -1), dim=1) / torch.linalg.vector_norm(u.reshape(B, -1), dim=1)).sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        opt.step()

    for _ in range(2):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("torch threads %d samples/s %.3f peak_rss_mib %.0f" % (threads, steps * B / dt, rss))


if __name__ == "__main__":
    main()
