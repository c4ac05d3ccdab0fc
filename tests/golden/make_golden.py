"""Writes the golden model files of tests/golden (run once, then commit them).

Every later kiln must keep loading these files and reproduce the recorded
outputs (tests/python/test_golden.py). Do not regenerate them to make a
failing test pass: a failure means kiln broke compatibility.

    /usr/bin/python3 tests/golden/make_golden.py
"""
import os

import numpy as np

import kiln
import kiln.functional as F
import kiln.module as M
from kiln.jit import trace

HERE = os.path.dirname(os.path.abspath(__file__))


class ConvNet(M.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = M.Conv2d(1, 6, 3, padding=1)
        self.bn1 = M.BatchNorm2d(6)
        self.conv2 = M.Conv2d(6, 6, 3, groups=3)
        self.fc = M.Linear(6 * 6 * 6, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.avg_pool2d(F.gelu(self.conv2(x)), 2)
        return F.logsoftmax(self.fc(F.flatten(x, 1)), axis=1)


def mlp():
    return M.Sequential(M.Linear(20, 32), M.ReLU(), M.LayerNorm(32), M.Linear(32, 5), M.Sigmoid())


def write(name, model, x):
    kiln.random.seed(0)
    model.eval()
    f = trace(lambda t: model(t), capture_as_const=True)
    f(kiln.tensor(x))
    f.dump(os.path.join(HERE, f"{name}.kiln"), arg_names=["x"], output_names=["y"],
           user_info=f"golden {name}")
    np.save(os.path.join(HERE, f"{name}.x.npy"), x)
    np.save(os.path.join(HERE, f"{name}.y.npy"), model(kiln.tensor(x)).numpy())


def main():
    rng = np.random.default_rng(0)
    kiln.random.seed(1)
    net = ConvNet()
    net.train()
    net(kiln.tensor(rng.normal(size=(8, 1, 28, 28)).astype(np.float32)))  # real BN statistics
    write("convnet", net, rng.normal(size=(3, 1, 28, 28)).astype(np.float32))
    kiln.random.seed(2)
    write("mlp", mlp(), rng.normal(size=(4, 20)).astype(np.float32))


if __name__ == "__main__":
    main()
