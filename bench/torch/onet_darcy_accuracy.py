#!/usr/bin/python3
"""Accuracy of the PyTorch side on smooth Darcy 29 x 29: supervised MultiONet
(examples/darcy/multionet.opts) or DGNO without labelled u (examples/darcy/dgno.opts),
the models of tests/reference/dgno.py trained as bench/torch_multionet_train.py
describes, with the .opts settings (1000 train / 200 test samples, batch 50,
AdamW, lr halved every 400 epochs, 2000 epochs). Prints one line per epoch and,
at the end, the final (and best) test relative L2 error of u.

  neop datagen -options_file datasets/darcy_smooth_29.opts      # darcy_smooth_29.h5 (1200 samples)
  /usr/bin/python3 bench/torch/onet_darcy_accuracy.py --data darcy_smooth_29.h5 \\
      --model multionet|dgno --epochs 2000 --seed 1 [--device cuda]"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_multionet_train import parser, train  # noqa: E402

if __name__ == "__main__":
    p = parser()
    p.description = __doc__
    train(p.parse_args())
