"""kiln's end-to-end demo: a small convnet trained eagerly on Fashion-MNIST.

Run through tools/demo.sh, which installs and builds first.
"""
import argparse
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


def train_epoch(model, gm, opt, loader, desc):
    model.train()
    bar = tqdm(loader, desc=desc, unit="batch", dynamic_ncols=True)
    seen, start = 0, time.perf_counter()
    for images, labels in bar:
        x, y = to_input(images), kiln.tensor(labels)
        with gm:
            loss = F.cross_entropy(model(x), y)
            gm.backward(loss)
        opt.step()
        opt.clear_grad()
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    kiln.random.seed(args.seed)
    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    train_loader = DataLoader(train, sampler=RandomSampler(train, args.batch_size, seed=args.seed))
    test_loader = DataLoader(test, sampler=SequentialSampler(test, 1000))

    model = ConvNet()
    gm = GradManager().attach(model.parameters())
    opt = optim.Adam(model.parameters(), lr=1e-3)
    print(f"kiln {kiln.__version__}: training a convnet on Fashion-MNIST "
          f"({len(train)} images, batch {args.batch_size}, {kiln.get_num_threads()} threads)")
    for epoch in range(args.epochs):
        rate = train_epoch(model, gm, opt, train_loader, f"epoch {epoch + 1} (eager)")
        print(f"epoch {epoch + 1}: {rate:.0f} samples/s eager")
    accuracy = evaluate(model, test_loader)
    print(f"test accuracy: {accuracy * 100:.2f}% ({len(test)} images)")


if __name__ == "__main__":
    main()
