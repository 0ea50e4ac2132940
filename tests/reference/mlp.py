#!/usr/bin/python3
"""Reference for tests/test_model_mlp.c: the point-wise MLP of src/models/mlp.c
(-mlp_width 8 -mlp_depth 2 -mlp_activation gelu, 3 -> 2 channels) as
torch.nn.Linear layers over the channel axis of a 2-D field. Writes
tests/fixtures/mlp.h5: fc<i>.weight/bias, x (2, 3, 4, 5), y (2, 2, 4, 5),
w (the cotangent of y), grad/<name> = d sum(y w) / d <name>.
Run: /usr/bin/python3 tests/reference/mlp.py"""
import os
import h5py
import torch

torch.manual_seed(7)
net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.GELU(), torch.nn.Linear(8, 8), torch.nn.GELU(),
                          torch.nn.Linear(8, 2))
names = {0: "fc0", 2: "fc1", 4: "fc2"}
x = torch.randn(2, 3, 4, 5, requires_grad=True)
y = net(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
w = torch.randn_like(y)
(y * w).sum().backward()
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "mlp.h5")
with h5py.File(path, "w") as f:
    for i, name in names.items():
        f[name + ".weight"] = net[i].weight.detach().numpy()
        f[name + ".bias"] = net[i].bias.detach().numpy()
        f["grad/" + name + ".weight"] = net[i].weight.grad.numpy()
        f["grad/" + name + ".bias"] = net[i].bias.grad.numpy()
    f["x"] = x.detach().numpy()
    f["y"] = y.detach().numpy()
    f["w"] = w.numpy()
    f["grad/x"] = x.grad.numpy()
print("wrote", os.path.normpath(path))
