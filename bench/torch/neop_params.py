"""Reading neop checkpoints into PyTorch modules (bench/torch/*.py)."""
import h5py
import numpy as np
import torch


def load_init(path, named):
    """Copy /params/<neop name> of a neop checkpoint (or -initial_checkpoint file) into the tensors of
    `named` ({neop name: parameter}); returns the fitted normalisers {k: (mean, std, eps)}."""
    with h5py.File(path, "r") as f:
        held = set(f["params"].keys())
        assert held == set(named), f"{path}: parameters differ: only neop {sorted(held - set(named))[:5]}, only here {sorted(set(named) - held)[:5]}"
        with torch.no_grad():
            for n, p in named.items():
                v = torch.from_numpy(np.asarray(f["params"][n], dtype=np.float32))
                if p.is_complex():
                    v = torch.view_as_complex(v.reshape(*p.shape, 2).contiguous())
                p.data = v.reshape(p.shape).to(p.device, p.dtype if not p.is_complex() else torch.cfloat)
        norm = {}  # k -> (mean, std, eps) for the fitted normalisers ("none" stores no statistics)
        for k in ("a", "u"):
            g = f["normalizer"][k]
            if "mean" in g:
                norm[k] = (torch.from_numpy(np.asarray(g["mean"], dtype=np.float32)), torch.from_numpy(np.asarray(g["std"], dtype=np.float32)),
                           float(g.attrs["eps"]))
    return norm
