"""kiln's end-to-end demo on Fashion-MNIST:

1. train a small convnet eagerly for one epoch (every value real, as you debug);
2. train a second epoch with the same step traced into a static graph;
3. dump the inference model to a FlatBuffers file;
4. run it with kiln-run, a C++ binary without Python, on the test images, and
   compare its accuracy with Python's.

Run through tools/demo.sh, which installs and builds first.
"""
import argparse
import os
import shutil
import subprocess
import tempfile
import time

import numpy as np
from tqdm import tqdm

import kiln
import kiln.functional as F
import kiln.module as M
import kiln.optimizer as optim
from kiln.autodiff import GradManager
from kiln.data import DataLoader, RandomSampler, SequentialSampler
from kiln.data.datasets import FashionMNIST
from kiln.jit import trace

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST pixel statistics


class ConvNet(M.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = M.Conv2d(1, 32, 3, padding=1, bias=False)
        self.bn1 = M.BatchNorm2d(32)
        self.conv2 = M.Conv2d(32, 64, 3, padding=1, bias=False)
        self.bn2 = M.BatchNorm2d(64)
        self.pool = M.MaxPool2d(2)
        self.fc1 = M.Linear(64 * 7 * 7, 128)
        self.fc2 = M.Linear(128, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = F.relu(self.fc1(F.flatten(x, 1)))
        return self.fc2(x)


def to_input(images):
    return kiln.tensor(((images.astype(np.float32) / 255.0 - MEAN) / STD)[:, None, :, :])


def make_step(model, gm, opt):
    def step(x, y):
        with gm:
            loss = F.cross_entropy(model(x), y)
            gm.backward(loss)
        opt.step()
        opt.clear_grad()
        return loss
    return step


def train_epoch(model, step, loader, desc):
    model.train()
    bar = tqdm(loader, desc=desc, unit="batch", dynamic_ncols=True)
    seen, start = 0, time.perf_counter()
    for images, labels in bar:
        loss = step(to_input(images), kiln.tensor(labels))
        seen += len(labels)
        bar.set_postfix(loss=f"{loss.item():.4f}",
                        samples_per_s=f"{seen / (time.perf_counter() - start):.0f}")
    return seen / (time.perf_counter() - start)


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    for images, labels in loader:
        logits = model(to_input(images))
        correct += int((F.argmax(logits, axis=1).numpy() == labels).sum())
        total += len(labels)
    return correct / total


def deploy(model, test, workdir):
    """Dumps the inference graph and runs it with kiln-run on the test set."""
    model.eval()
    infer = trace(lambda x: model(x), capture_as_const=True, symbolic=True)
    images = ((test.data.astype(np.float32) / 255.0 - MEAN) / STD)[:, None, :, :]
    infer(kiln.tensor(images[:32]))
    path = os.path.join(workdir, "fashion_convnet.kiln")
    infer.dump(path, arg_names=["images"], output_names=["logits"],
               user_info="kiln demo: Fashion-MNIST convnet")
    np.save(os.path.join(workdir, "test_images.npy"), images)
    kiln_run = shutil.which("kiln-run") or "kiln-run"
    start = time.perf_counter()
    result = subprocess.run([kiln_run, path, "--input", f"images={workdir}/test_images.npy",
                             "--output-dir", workdir], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"kiln-run failed: {result.stderr.strip()}")
    seconds = time.perf_counter() - start
    logits = np.load(os.path.join(workdir, "logits.npy"))
    accuracy = float((logits.argmax(axis=1) == test.targets).mean())
    print(f"dumped {path} ({os.path.getsize(path)} bytes); kiln-run ran {len(images)} images "
          f"in {seconds:.2f} s (whole process)")
    return accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=2,
                        help="1 eager epoch, then traced ones (default 2)")
    parser.add_argument("--output-dir", default=None,
                        help="keep the model file and kiln-run's outputs here")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lr", type=float, default=2e-3, help="Adam's learning rate")
    args = parser.parse_args()

    kiln.random.seed(args.seed)
    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    train_loader = DataLoader(train, sampler=RandomSampler(train, args.batch_size, seed=args.seed))
    test_loader = DataLoader(test, sampler=SequentialSampler(test, 1000))

    model = ConvNet()
    gm = GradManager().attach(model.parameters())
    opt = optim.Adam(model.parameters(), lr=args.lr)
    print(f"kiln {kiln.__version__}: training a convnet on Fashion-MNIST "
          f"({len(train)} images, batch {args.batch_size}, {kiln.get_num_threads()} threads)")
    step = make_step(model, gm, opt)
    eager_rate = train_epoch(model, step, train_loader, "epoch 1 (eager)")
    accuracy = evaluate(model, test_loader)
    print(f"epoch 1: {eager_rate:.0f} samples/s eager; test accuracy {accuracy * 100:.2f}% "
          f"({len(test)} images)")
    if args.epochs > 1:
        traced_step = trace(step, symbolic=True)
        for epoch in range(2, args.epochs + 1):
            traced_rate = train_epoch(model, traced_step, train_loader, f"epoch {epoch} (traced)")
        accuracy = evaluate(model, test_loader)
        print(f"epoch {args.epochs}: {traced_rate:.0f} samples/s traced vs {eager_rate:.0f} eager "
              f"({traced_rate / eager_rate:.2f}x); test accuracy {accuracy * 100:.2f}%")
    with tempfile.TemporaryDirectory() as workdir:
        deployed = deploy(model, test, args.output_dir or workdir)
    print(f"test accuracy: python {accuracy * 100:.2f}%, kiln-run {deployed * 100:.2f}%")
    if abs(deployed - accuracy) > 1e-3:
        raise SystemExit("kiln-run's accuracy differs from Python's")


if __name__ == "__main__":
    main()
