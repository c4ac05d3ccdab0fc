"""kiln (eager) beside PyTorch (eager), in the same run, same thread count.

PyTorch gets its best set-up, as a user would give it: Debian's
libopenblas0-openmp for matmul and glibc malloc thresholds that stop it from
handing memory back to the OS (set here before torch is imported, unless the
caller set them). Prints medians of repeated timings and kiln/torch ratios
(below 1.0: kiln is faster).

    /usr/bin/python3 tools/bench/eager_vs_torch.py [--threads N] [--repeat R]
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("MALLOC_MMAP_THRESHOLD_", "67108864")
os.environ.setdefault("MALLOC_TRIM_THRESHOLD_", "268435456")
if os.environ.get("KILN_BENCH_CHILD") is None:
    # glibc reads the malloc thresholds at start-up: re-exec with them set.
    os.environ["KILN_BENCH_CHILD"] = "1"
    os.execv(sys.executable, [sys.executable] + sys.argv)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import kiln  # noqa: E402
import kiln.functional as F  # noqa: E402
import kiln.module as M  # noqa: E402
import kiln.optimizer as optim  # noqa: E402
from kiln.autodiff import GradManager  # noqa: E402


def median_time(fn, repeat, inner):
    for _ in range(max(2, inner // 4)):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - start) / inner)
    return statistics.median(times)


def dispatch_cases():
    a, b = kiln.tensor(np.ones(4, np.float32)), kiln.tensor(np.ones(4, np.float32))
    ta, tb = torch.ones(4), torch.ones(4)
    yield "a + b, shape [4]", (lambda: a + b), (lambda: ta + tb), 20000

    ga = kiln.Parameter(np.ones(4, np.float32))
    gm = GradManager().attach([ga])
    gm.record()
    tga = torch.ones(4, requires_grad=True)
    yield "a + b, shape [4], recording grad", (lambda: ga + b), (lambda: tga + tb), 20000


def mlp_kiln():
    model = M.Sequential(M.Linear(784, 256), M.ReLU(), M.Linear(256, 256), M.ReLU(), M.Linear(256, 10))
    return model


def mlp_torch():
    return torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                               torch.nn.ReLU(), torch.nn.Linear(256, 10))


class LeNetKiln(M.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = M.Conv2d(1, 6, 5, padding=2), M.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = M.Linear(400, 120), M.Linear(120, 84), M.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(F.flatten(x, 1)))
        return self.fc3(F.relu(self.fc2(x)))


class LeNetTorch(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.Conv2d(6, 16, 5)
        self.fc1, self.fc2, self.fc3 = (torch.nn.Linear(400, 120), torch.nn.Linear(120, 84),
                                        torch.nn.Linear(84, 10))

    def forward(self, x):
        tf = torch.nn.functional
        x = tf.max_pool2d(tf.relu(self.conv1(x)), 2)
        x = tf.max_pool2d(tf.relu(self.conv2(x)), 2)
        x = tf.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc3(tf.relu(self.fc2(x)))


def train_step_pair(kiln_model, torch_model, x_shape):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape).astype(np.float32)
    y = rng.integers(0, 10, x_shape[0]).astype(np.int32)
    kx, ky = kiln.tensor(x), kiln.tensor(y)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    gm = GradManager().attach(kiln_model.parameters())
    kopt = optim.SGD(kiln_model.parameters(), lr=0.01, momentum=0.9)
    topt = torch.optim.SGD(torch_model.parameters(), lr=0.01, momentum=0.9)

    def kiln_step():
        with gm:
            loss = F.cross_entropy(kiln_model(kx), ky)
            gm.backward(loss)
        kopt.step()
        kopt.clear_grad()

    def torch_step():
        loss = torch.nn.functional.cross_entropy(torch_model(tx), ty)
        topt.zero_grad(set_to_none=True)
        loss.backward()
        topt.step()

    return kiln_step, torch_step


def conv_pair():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1, 64, 56, 56)).astype(np.float32)
    w = rng.normal(size=(64, 64, 3, 3)).astype(np.float32) * 0.05
    kx, kw = kiln.tensor(x), kiln.tensor(w)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    return (lambda: F.conv2d(kx, kw, padding=1).numpy()), \
        (lambda: torch.nn.functional.conv2d(tx, tw, padding=1).numpy())


def loaded_blas():
    """The BLAS library this process mapped (torch's matmul uses it)."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line}
    return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "none"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    kiln.set_num_threads(args.threads)
    kiln.random.seed(0)
    torch.manual_seed(0)

    cases = list(dispatch_cases())
    ks, ts = train_step_pair(mlp_kiln(), mlp_torch(), (64, 784))
    cases.append(("MLP 784-256-256-10 train step, batch 64", ks, ts, 50))
    ks, ts = train_step_pair(LeNetKiln(), LeNetTorch(), (64, 1, 28, 28))
    cases.append(("LeNet train step, batch 64", ks, ts, 20))
    kc, tc = conv_pair()
    cases.append(("conv 3x3 64->64 56x56 batch 1 forward", kc, tc, 50))

    print(f"kiln {kiln.__version__} vs torch {torch.__version__}, {args.threads} threads, "
          f"median of {args.repeat}; BLAS loaded: {loaded_blas()}")
    print(f"{'case':44s} {'kiln':>11s} {'torch':>11s} {'kiln/torch':>10s}")
    for name, kfn, tfn, inner in cases:
        kt = median_time(kfn, args.repeat, inner)
        tt = median_time(tfn, args.repeat, inner)
        print(f"{name:44s} {kt * 1e6:9.1f}us {tt * 1e6:9.1f}us {kt / tt:10.2f}")


if __name__ == "__main__":
    main()
