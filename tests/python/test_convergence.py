"""Training converges: XOR with an MLP, and a convnet on real Fashion-MNIST."""
import time

import numpy as np

import kiln
import kiln.functional as F
import kiln.module as M
import kiln.optimizer as optim
from kiln.autodiff import GradManager
from kiln.data import DataLoader, RandomSampler
from kiln.data.datasets import FashionMNIST


def test_xor_mlp_reaches_full_accuracy():
    kiln.random.seed(0)
    x = kiln.tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32))
    y = kiln.tensor(np.array([0, 1, 1, 0], np.int32))
    model = M.Sequential(M.Linear(2, 16), M.ReLU(), M.Linear(16, 2))
    gm = GradManager().attach(model.parameters())
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(200):
        with gm:
            loss = F.cross_entropy(model(x), y)
            gm.backward(loss)
        opt.step()
        opt.clear_grad()
    assert loss.item() < 0.05
    np.testing.assert_array_equal(F.argmax(model(x), axis=1).numpy(), [0, 1, 1, 0])


class SmallConvNet(M.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = M.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = M.BatchNorm2d(16)
        self.conv2 = M.Conv2d(16, 32, 3, padding=1, bias=False)
        self.bn2 = M.BatchNorm2d(32)
        self.fc = M.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(F.flatten(x, 1))


def normalize(images):
    return kiln.tensor(((images.astype(np.float32) / 255 - 0.286) / 0.353)[:, None])


def test_fashion_mnist_convnet_on_10k_images_reaches_80_percent():
    start = time.perf_counter()
    kiln.random.seed(0)
    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    subset = kiln.data.ArrayDataset(train.data[:10000], train.targets[:10000])
    loader = DataLoader(subset, sampler=RandomSampler(subset, 64, seed=0))
    model = SmallConvNet()
    gm = GradManager().attach(model.parameters())
    opt = optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for images, labels in loader:
        with gm:
            loss = F.cross_entropy(model(normalize(images)), kiln.tensor(labels))
            gm.backward(loss)
        opt.step()
        opt.clear_grad()
    model.eval()
    logits = np.concatenate([model(normalize(test.data[i:i + 2000])).numpy()
                             for i in range(0, 10000, 2000)])
    accuracy = (logits.argmax(1) == test.targets).mean()
    assert accuracy >= 0.80, f"test accuracy {accuracy:.3f}"
    assert time.perf_counter() - start < 60
