#!/usr/bin/python3
"""Reference values for the H1 loss (tests/test_loss_h1.c), float64 torch.

The definition is MgNO's HsLoss(d=2, p=2, k=1, size_average=False) (its
utilities3.py): FFT over the two grid dims (norm='ortho'), per-mode weight
sqrt(1 + kx'^2 + ky'^2) with k' = |k| * (|k| < 20) and wave numbers
cat(arange(0, n//2), arange(-n//2, 0)); loss per sample ||w F(x - y)|| / ||w F y||,
summed over the batch. `hs_loss_mgno` follows that code for square one-channel
fields; `h1_general` is neop's extension (per-channel FFTs, norms over all
channels, non-square grids, 1-D) and must agree with it on square fields.

Run: /usr/bin/python3 tests/reference/loss_h1.py -> tests/fixtures/loss_h1.h5 with
"cases" and groups case<i>: config [dim, n, c, grid0, grid1, mean, nglobal],
data = pred, target, loss, dloss/dpred, dloss/dtarget (flattened, float32)."""
import os
import h5py
import numpy as np
import torch

rng = np.random.default_rng(7)


def wavenumbers(n):
    k = torch.cat((torch.arange(0, n // 2), torch.arange(-(n // 2) - (n % 2), 0))).double()
    assert len(k) == n
    k = torch.abs(k)
    return k * (k < 20)


def hs_loss_mgno(x, y):
    """MgNO's HsLoss for x, y (N, 1, res, res)."""
    n, res = x.shape[0], x.shape[-1]
    kx = wavenumbers(res).reshape(res, 1).repeat(1, res).reshape(1, res, res, 1)
    ky = wavenumbers(res).reshape(1, res).repeat(res, 1).reshape(1, res, res, 1)
    x = torch.fft.fftn(x.view(n, res, res, -1), dim=[1, 2], norm="ortho")
    y = torch.fft.fftn(y.view(n, res, res, -1), dim=[1, 2], norm="ortho")
    w = torch.sqrt(1 + kx ** 2 + ky ** 2)
    diff = torch.norm((x * w - y * w).reshape(n, -1), 2, 1)
    ynorm = torch.norm((y * w).reshape(n, -1), 2, 1)
    return torch.sum(diff / ynorm)


def h1_general(x, y, mean, nglobal):
    dims = list(range(2, x.dim()))
    w2 = 1.0
    for d in dims:
        k = wavenumbers(x.shape[d])
        shape = [1] * x.dim()
        shape[d] = -1
        w2 = w2 + (k ** 2).reshape(shape)
    w = torch.sqrt(w2)
    X = torch.fft.fftn(x, dim=dims, norm="ortho") * w
    Y = torch.fft.fftn(y, dim=dims, norm="ortho") * w
    n = x.shape[0]
    per = torch.norm((X - Y).reshape(n, -1), 2, 1) / torch.norm(Y.reshape(n, -1), 2, 1)
    return per.sum() / (nglobal if mean else 1)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "loss_h1.h5")
    cases = [  # shape, mean, nglobal
        ((2, 1, 24, 24), False, 2),
        ((2, 1, 21, 21), False, 2),   # odd: torch's wave numbers are not symmetric here
        ((1, 1, 41, 41), False, 1),   # |k| >= 20 present
        ((2, 2, 16, 20), True, 5),    # channels, non-square, mean over a global batch of 5
        ((3, 1, 64), False, 3),       # 1-D
        ((2, 1, 33), True, 4),
    ]
    with h5py.File(out, "w", libver="latest") as f:
        for i, (shape, mean, nglobal) in enumerate(cases):
            x = rng.standard_normal(shape).astype(np.float32)
            y = rng.standard_normal(shape).astype(np.float32)
            # smooth-ish target plus a perturbation, as a trained model's output would be
            x = (y + 0.3 * x).astype(np.float32)
            xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
            yt = torch.tensor(y, dtype=torch.float64, requires_grad=True)
            loss = h1_general(xt, yt, mean, nglobal)
            if len(shape) == 4 and shape[1] == 1 and shape[2] == shape[3]:
                ref = hs_loss_mgno(xt.detach(), yt.detach())
                assert abs(ref.item() - loss.item()) < 1e-12 * abs(ref.item()), (ref.item(), loss.item())
            loss.backward()
            g = f.create_group(f"case{i}")
            dim = len(shape) - 2
            g["config"] = np.array([dim, shape[0], shape[1], shape[2], shape[3] if dim == 2 else 1, mean, nglobal],
                                   dtype=np.float32)
            g["data"] = np.concatenate([x.ravel(), y.ravel(), [loss.item()], xt.grad.numpy().ravel(),
                                        yt.grad.numpy().ravel()]).astype(np.float32)
        f["cases"] = np.array([len(cases)], dtype=np.float32)
    print(f"wrote {out}: {len(cases)} cases")


if __name__ == "__main__":
    main()
