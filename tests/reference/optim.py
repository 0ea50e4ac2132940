#!/usr/bin/python3
"""Reference values for tests/test_optim.c: torch.optim on a tiny parameter
vector fed with given gradients. Writes tests/fixtures/optim.h5 with one group
per case: p0 (n), grads (S, n), params (S, n) after each step, lr (S) used at
each step, and attributes options (the neop options), epochs, steps_per_epoch.
Run with Debian's torch: /usr/bin/python3 tests/reference/optim.py"""
import os
import h5py
import numpy as np
import torch

N = 7
HERE = os.path.dirname(os.path.abspath(__file__))

# name: (neop options, torch optimizer factory, schedule factory or None, per-epoch schedule?, epochs, steps/epoch, clip, grad scale)
CASES = {
    "sgd": ("-optim sgd -lr 0.1 -momentum 0.9 -weight_decay 0.01",
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01), None, False, 1, 5, 0, 1),
    "sgd_nesterov": ("-optim sgd -lr 0.05 -momentum 0.8 -nesterov",
                     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True), None, False, 1, 5, 0, 1),
    "sgd_plain": ("-optim sgd -lr 0.1 -weight_decay 0.1",
                  lambda p: torch.optim.SGD(p, lr=0.1, weight_decay=0.1), None, False, 1, 5, 0, 1),
    "adam": ("-optim adam -lr 0.01 -weight_decay 0.1 -beta1 0.8 -beta2 0.99",
             lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1, betas=(0.8, 0.99)), None, False, 1, 5, 0, 1),
    "adam_default": ("-optim adam",
                     lambda p: torch.optim.Adam(p), None, False, 1, 5, 0, 1),
    "adamw": ("-optim adamw -lr 0.01 -weight_decay 0.1",
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1), None, False, 1, 5, 0, 1),
    "adamw_default": ("-optim adamw -lr 0.05",
                      lambda p: torch.optim.AdamW(p, lr=0.05), None, False, 1, 5, 0, 1),
    "adam_clip": ("-optim adam -lr 0.01 -clip_norm 0.5",
                  lambda p: torch.optim.Adam(p, lr=0.01), None, False, 1, 5, 0.5, 10),
    "sgd_clip": ("-optim sgd -lr 0.1 -momentum 0.5 -clip_norm 1.0",
                 lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.5), None, False, 1, 5, 1.0, 10),
    "sgd_step": ("-optim sgd -lr 0.1 -momentum 0.9 -lr_schedule step -lr_step_size 2 -lr_gamma 0.5",
                 lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                 lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5), True, 6, 3, 0, 1),
    "adam_cosine": ("-optim adam -lr 0.01 -lr_schedule cosine -lr_min 0.0001",
                    lambda p: torch.optim.Adam(p, lr=0.01),
                    lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=30, eta_min=1e-4), False, 3, 10, 0, 1),
    "adamw_onecycle": ("-optim adamw -lr 0.01 -lr_schedule onecycle",
                       lambda p: torch.optim.AdamW(p, lr=0.01),
                       lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.01, epochs=3, steps_per_epoch=10), False, 3, 10, 0, 1),
    "sgd_onecycle": ("-optim sgd -lr 0.1 -momentum 0.9 -lr_schedule onecycle -onecycle_pct_start 0.25 -onecycle_div_factor 10 -onecycle_final_div_factor 100",
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                     lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, epochs=4, steps_per_epoch=5, pct_start=0.25,
                                                                   div_factor=10, final_div_factor=100), False, 4, 5, 0, 1),
}


def run(name, opts, make_opt, make_sched, per_epoch, epochs, spe, clip, scale, rng):
    p0 = rng.uniform(-1, 1, N).astype(np.float32)
    S = epochs * spe
    grads = (scale * rng.uniform(-1, 1, (S, N))).astype(np.float32)
    p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
    opt = make_opt([p])
    sched = make_sched(opt) if make_sched else None
    params, lrs = [], []
    for s in range(S):
        p.grad = torch.from_numpy(grads[s].copy())
        if clip > 0:
            torch.nn.utils.clip_grad_norm_([p], clip)
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if sched is not None and (not per_epoch or (s + 1) % spe == 0):
            sched.step()
        params.append(p.detach().numpy().copy())
    return p0, grads, np.array(params, dtype=np.float32), np.array(lrs, dtype=np.float64), S


def main():
    rng = np.random.default_rng(20240601)
    path = os.path.join(HERE, "..", "fixtures", "optim.h5")
    with h5py.File(path, "w") as f:
        for name, (opts, make_opt, make_sched, per_epoch, epochs, spe, clip, scale) in CASES.items():
            p0, grads, params, lrs, S = run(name, opts, make_opt, make_sched, per_epoch, epochs, spe, clip, scale, rng)
            g = f.create_group(name)
            g["p0"] = p0
            g["grads"] = grads
            g["params"] = params
            g["lr"] = lrs
            g.attrs["options"] = np.bytes_(opts)  # fixed-length ASCII, simple to read in C
            g.attrs["epochs"] = epochs if make_sched else 0
            g.attrs["steps_per_epoch"] = spe
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
