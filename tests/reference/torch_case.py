"""The model-case layout that tests/testing.c's NeopTestTorchCase reads, shared by
the reference scripts: a group <name> holding x, y = module(x), fixed loss weights
w of sum(y * w), dx, the parameter count nparams, and p/<n>, g/<n> for each
parameter under neop's name (complex parameters as (..., 2) (re, im); a
parameter the output does not depend on gets a zero gradient)."""
import numpy as np
import torch


def case(f, name, module, x, named):
    x = x.clone().requires_grad_(True)
    y = module(x)
    w = torch.empty_like(y).uniform_(-1, 1)
    (y * w).sum().backward()
    g = f.create_group(name)
    for k, v in {"x": x, "y": y, "w": w, "dx": x.grad}.items():
        g[k] = v.detach().numpy().astype(np.float32)
    params = list(module.parameters())
    assert sum(p.numel() for p in named.values()) == sum(p.numel() for p in params)
    real = lambda t: torch.view_as_real(t) if t.is_complex() else t  # noqa: E731
    g["nparams"] = np.array([sum(real(p).numel() for p in params)], dtype=np.float32)
    for n, p in named.items():
        grad = p.grad if p.grad is not None else torch.zeros_like(p)
        g["p/" + n] = real(p.detach()).numpy().astype(np.float32)
        g["g/" + n] = real(grad).numpy().astype(np.float32)
