"""PyTorch reference values for tests/test_ops_torch.c.

Writes tests/fixtures/ops.h5: for Linear (with and without bias), every
activation of neop, the relative L2 loss (sum and mean) and MSE (sum and
mean): the inputs, weights, outputs and the gradients of sum(out * g) for a
stored random upstream gradient g (losses: of the loss itself). Computed in
float32 like neop. Run with Debian's torch:

    /usr/bin/python3 tests/reference/ops.py
"""
import math
import os

import h5py
import numpy as np
import torch
import torch.nn.functional as F

torch.manual_seed(0)
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "ops.h5")


def leaf(t):
    return t.detach().clone().float().requires_grad_(True)


def put(f, name, t):
    f.create_dataset(name, data=t.detach().cpu().numpy().astype(np.float32))


with h5py.File(out, "w") as f:
    # Linear: x (2, 3, 5), W (4, 5), b (4) -> y (2, 3, 4)
    x0, W0, b0 = torch.rand(2, 3, 5) * 2 - 1, torch.rand(4, 5) - 0.5, torch.rand(4) - 0.5
    g = torch.randn(2, 3, 4)
    for name, bias in (("linear", True), ("linear_nobias", False)):
        x, W, b = leaf(x0), leaf(W0), leaf(b0)
        y = F.linear(x, W, b if bias else None)
        (y * g).sum().backward()
        put(f, f"{name}/x", x)
        put(f, f"{name}/W", W)
        put(f, f"{name}/g", g)
        put(f, f"{name}/y", y)
        put(f, f"{name}/dx", x.grad)
        put(f, f"{name}/dW", W.grad)
        if bias:
            put(f, f"{name}/b", b)
            put(f, f"{name}/db", b.grad)

    # Activations on (4, 64): U(-4, 4) plus softplus' threshold region and 0
    acts = {
        "gelu": lambda x: F.gelu(x),  # exact, with erf
        "relu": F.relu,
        "tanh": torch.tanh,
        "silu": F.silu,
        "sin": torch.sin,
        "sigmoid": torch.sigmoid,
        "softplus": F.softplus,  # beta 1, threshold 20
        "tanh_sin": lambda x: torch.tanh(torch.sin(math.pi * (x + 1))) + x,
        "silu_sin": lambda x: F.silu(torch.sin(math.pi * (x + 1))) + x,  # DGenNO's SiLU_Sin
        "silu_id": lambda x: F.silu(x) + x,  # DGenNO's SiLU_Id
    }
    xa = torch.rand(4, 64) * 8 - 4
    xa.view(-1)[:6] = torch.tensor([0.0, -25.0, -19.5, 19.5, 20.5, 25.0])
    ga = torch.randn(4, 64)
    for name, fn in acts.items():
        x = leaf(xa)
        if name in ("tanh_sin", "silu_sin"):  # keep |pi (x + 1)| moderate: float32 sin of a large argument is ill-conditioned
            x = leaf(xa.clamp(-4, 4))
        y = fn(x)
        (y * ga).sum().backward()
        put(f, f"act/{name}/x", x)
        put(f, f"act/{name}/g", ga)
        put(f, f"act/{name}/y", y)
        put(f, f"act/{name}/dx", x.grad)

    # Losses on pred, target (4, 2, 16): relative L2 per sample as neuraloperator's
    # LpLoss (norm of the flattened sample), MSE as F.mse_loss
    u0 = torch.randn(4, 2, 16)
    y0 = u0 + 0.3 * torch.randn(4, 2, 16)
    put(f, "loss/pred", y0)
    put(f, "loss/target", u0)
    for name in ("rel_l2_sum", "rel_l2_mean", "mse_sum", "mse_mean"):
        y, u = leaf(y0), leaf(u0)
        if name.startswith("rel"):
            n = y.shape[0]
            r = torch.norm(y.reshape(n, -1) - u.reshape(n, -1), 2, 1) / torch.norm(u.reshape(n, -1), 2, 1)
            loss = r.sum() if name.endswith("sum") else r.mean()
        else:
            loss = F.mse_loss(y, u, reduction="sum" if name.endswith("sum") else "mean")
        loss.backward()
        put(f, f"loss/{name}/value", loss.reshape(1))
        put(f, f"loss/{name}/dpred", y.grad)
        put(f, f"loss/{name}/dtarget", u.grad)
print("wrote", os.path.normpath(out))
