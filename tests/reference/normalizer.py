#!/usr/bin/python3
"""Reference values of the Gaussian normalisers, computed with the FNO scripts'
definitions (utilities3.py): UnitGaussianNormalizer mean = torch.mean(x, 0),
std = torch.std(x, 0) (unbiased), eps = 1e-5; GaussianNormalizer the same over
all values. Writes tests/fixtures/normalizer.h5 for tests/test_normalizer.c.
Run: /usr/bin/python3 tests/reference/normalizer.py"""
import os
import numpy as np
import torch
import h5py

torch.manual_seed(0)
eps = 1e-5
x = (torch.randn(5, 2, 6, 4) * 3 + 1).float()     # (N, C, S1, S2)
y = torch.randn(5, 2, 6, 4).float()               # something to decode
x1 = (torch.rand(5, 1, 6, 4) * 9 + 3).float()     # one channel, for GaussianNormalizer

# UnitGaussianNormalizer (pointwise)
mean_pw = torch.mean(x, 0)
std_pw = torch.std(x, 0)
enc_pw = (x - mean_pw) / (std_pw + eps)
dec_pw = (y * (std_pw + eps)) + mean_pw
# GaussianNormalizer (one scalar) on one channel
mean_sc = torch.mean(x1)
std_sc = torch.std(x1)
enc_sc = (x1 - mean_sc) / (std_sc + eps)
dec_sc = (y[:, :1] * (std_sc + eps)) + mean_sc
# per channel (neop's SCALAR with 2 channels): statistics over samples and points
mean_ch = torch.mean(x, dim=(0, 2, 3))
std_ch = torch.std(x, dim=(0, 2, 3))
enc_ch = (x - mean_ch[None, :, None, None]) / (std_ch[None, :, None, None] + eps)

assert np.allclose(std_pw.numpy(), np.std(x.numpy(), axis=0, ddof=1), rtol=1e-5)  # torch.std is unbiased

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "normalizer.h5")
with h5py.File(out, "w") as f:
    for k, v in dict(x=x, y=y, x1=x1, mean_pw=mean_pw, std_pw=std_pw, enc_pw=enc_pw, dec_pw=dec_pw,
                     mean_sc=mean_sc.reshape(1), std_sc=std_sc.reshape(1), enc_sc=enc_sc, dec_sc=dec_sc,
                     mean_ch=mean_ch, std_ch=std_ch, enc_ch=enc_ch).items():
        f[k] = v.numpy().astype(np.float32)
