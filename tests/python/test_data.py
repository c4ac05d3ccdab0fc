"""kiln.data: samplers, DataLoader, and FashionMNIST (real files and small
IDX files written to tmp_path)."""
import gzip
import os

import numpy as np
import pytest

import kiln
from kiln.data import ArrayDataset, DataLoader, Dataset, RandomSampler, SequentialSampler
from kiln.data.datasets import FashionMNIST

FASHION_ROOT = "/usr/share/datasets/fashion-mnist"


def flat(sampler):
    return [i for batch in sampler for i in batch]


# Samplers ---------------------------------------------------------------------

def test_sequential_sampler_batches_in_order():
    ds = ArrayDataset(np.arange(10))
    assert list(SequentialSampler(ds, batch_size=4)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(SequentialSampler(ds, batch_size=4)) == 3
    assert list(SequentialSampler(ds, batch_size=4, drop_last=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(SequentialSampler(ds, batch_size=4, drop_last=True)) == 2
    assert list(SequentialSampler(ds, batch_size=20)) == [list(range(10))]
    assert list(SequentialSampler(ds, batch_size=20, drop_last=True)) == []


@pytest.mark.parametrize("n,batch_size", [(10, 3), (64, 8), (7, 1)])
def test_random_sampler_covers_every_index_once_per_epoch(n, batch_size):
    sampler = RandomSampler(ArrayDataset(np.zeros(n)), batch_size=batch_size, seed=0)
    epochs = [flat(sampler) for _ in range(3)]
    for epoch in epochs:
        assert sorted(epoch) == list(range(n))
    assert len(list(sampler)) == len(sampler) == -(-n // batch_size)
    assert all(len(b) == batch_size for b in list(sampler)[:-1])
    if n > 5:
        assert epochs[0] != epochs[1]  # a new permutation each epoch


def test_random_sampler_drop_last():
    sampler = RandomSampler(ArrayDataset(np.zeros(10)), batch_size=3, drop_last=True, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler) == 3 and all(len(b) == 3 for b in batches)
    assert len(set(flat(batches))) == 9


def test_random_sampler_seeds_are_reproducible():
    ds = ArrayDataset(np.zeros(50))
    a, b = RandomSampler(ds, 5, seed=7), RandomSampler(ds, 5, seed=7)
    assert [flat(a) for _ in range(2)] == [flat(b) for _ in range(2)]
    assert flat(RandomSampler(ds, 5, seed=8)) != flat(RandomSampler(ds, 5, seed=7))
    # the same permutation as numpy's RandomState (MegEngine's sampler)
    assert flat(RandomSampler(ds, 5, seed=7)) == np.random.RandomState(7).permutation(50).tolist()
    kiln.random.seed(3)
    first = flat(RandomSampler(ds, 5))
    kiln.random.seed(3)
    assert flat(RandomSampler(ds, 5)) == first


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_sampler_rejects_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size"):
        SequentialSampler(ArrayDataset(np.zeros(4)), batch_size=bad)


# DataLoader -------------------------------------------------------------------

class CountingDataset(ArrayDataset):
    def __init__(self, *arrays):
        super().__init__(*arrays)
        self.getitem_calls = 0

    def __getitem__(self, index):
        self.getitem_calls += 1
        return super().__getitem__(index)


def test_dataloader_fetches_whole_batches_by_fancy_indexing():
    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    y = np.arange(10, dtype=np.int32)
    ds = CountingDataset(x, y)
    sampler = RandomSampler(ds, batch_size=4, seed=0)
    loader = DataLoader(ds, sampler=sampler)
    assert len(loader) == 3
    expected = list(RandomSampler(ds, batch_size=4, seed=0))
    batches = list(loader)
    assert ds.getitem_calls == 0
    for (bx, by), idx in zip(batches, expected):
        assert isinstance(bx, np.ndarray) and bx.dtype == np.float32 and by.dtype == np.int32
        np.testing.assert_array_equal(bx, x[idx])
        np.testing.assert_array_equal(by, y[idx])


def test_dataloader_default_sampler_and_per_sample_paths():
    class Squares(Dataset):
        def __getitem__(self, i):
            return np.full((2,), i, np.float32), i * i

        def __len__(self):
            return 5

    batches = list(DataLoader(Squares()))
    assert len(batches) == 5 and batches[2][0].shape == (1, 2) and batches[2][1].tolist() == [4]

    loader = DataLoader(Squares(), SequentialSampler(Squares(), batch_size=2),
                        transform=lambda s: (s[0] * 10, s[1]))
    (bx, by), = list(loader)[:1]
    np.testing.assert_array_equal(bx, [[0, 0], [10, 10]])
    assert by.tolist() == [0, 1]

    ds = CountingDataset(np.arange(6))
    collated = list(DataLoader(ds, SequentialSampler(ds, 3), collator=lambda samples: len(samples)))
    assert collated == [3, 3] and ds.getitem_calls == 6


def test_array_dataset_checks_lengths():
    with pytest.raises(ValueError, match="same length"):
        ArrayDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        ArrayDataset()


# FashionMNIST -----------------------------------------------------------------

def write_idx(path, magic, shape, payload, compress=True):
    data = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in shape) + payload
    if compress:
        with gzip.open(str(path) + ".gz", "wb") as f:
            f.write(data)
    else:
        path.write_bytes(data)


def fake_fashion(root, n=5, split="train", labels=None, compress=True):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10 if labels is None else np.asarray(labels, np.uint8)
    write_idx(root / f"{split}-images-idx3-ubyte", 0x803, images.shape, images.tobytes(), compress)
    write_idx(root / f"{split}-labels-idx1-ubyte", 0x801, labels.shape, labels.tobytes(), compress)
    return images, labels


def test_fashion_mnist_reads_small_idx_files(tmp_path):
    images, labels = fake_fashion(tmp_path, n=7, split="t10k")
    ds = FashionMNIST(root=tmp_path, train=False)
    assert len(ds) == 7 and ds.data.shape == (7, 28, 28) and ds.data.dtype == np.uint8
    assert ds.targets.dtype == np.int32
    np.testing.assert_array_equal(ds.data, images)
    np.testing.assert_array_equal(ds.targets, labels)
    image, label = ds[3]
    np.testing.assert_array_equal(image, images[3])
    assert label == 3
    bx, by = next(iter(DataLoader(ds, RandomSampler(ds, batch_size=4, seed=0))))
    assert bx.shape == (4, 28, 28) and by.shape == (4,)
    np.testing.assert_array_equal(images[by], bx)  # labels are the indices here


def test_fashion_mnist_reads_uncompressed_files(tmp_path):
    images, _ = fake_fashion(tmp_path, n=3, compress=False)
    np.testing.assert_array_equal(FashionMNIST(root=tmp_path).data, images)


def test_fashion_mnist_missing_files_name_the_debian_package(tmp_path):
    with pytest.raises(FileNotFoundError, match="dataset-fashion-mnist"):
        FashionMNIST(root=tmp_path)
    fake_fashion(tmp_path, split="t10k")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.gz"):
        FashionMNIST(root=tmp_path, train=True)


def test_fashion_mnist_rejects_corrupt_files(tmp_path):
    images, labels = fake_fashion(tmp_path, n=4)
    img = tmp_path / "train-images-idx3-ubyte"
    lab = tmp_path / "train-labels-idx1-ubyte"

    write_idx(img, 0x801, images.shape, images.tobytes())  # the labels' magic
    with pytest.raises(ValueError, match="magic number 0x00000801; expected 0x00000803"):
        FashionMNIST(root=tmp_path)

    write_idx(img, 0x803, images.shape, images.tobytes()[:-5])  # truncated payload
    with pytest.raises(ValueError, match="implies"):
        FashionMNIST(root=tmp_path)

    write_idx(img, 0x803, (4, 28, 27), images.tobytes()[:4 * 28 * 27])
    with pytest.raises(ValueError, match=r"shape \(28, 27\); expected \(28, 28\)"):
        FashionMNIST(root=tmp_path)

    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"not a gzip stream at all")
    with pytest.raises(ValueError, match="not a valid gzip file"):
        FashionMNIST(root=tmp_path)

    write_idx(img, 0x803, images.shape, images.tobytes())
    write_idx(lab, 0x801, (3,), labels[:3].tobytes())
    with pytest.raises(ValueError, match="4 train images but 3 labels"):
        FashionMNIST(root=tmp_path)

    write_idx(lab, 0x801, (4,), np.array([0, 1, 2, 10], np.uint8).tobytes())
    with pytest.raises(ValueError, match="contain 10"):
        FashionMNIST(root=tmp_path)

    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(b"\x00\x00"))
    with pytest.raises(ValueError, match="truncated"):
        FashionMNIST(root=tmp_path)


@pytest.mark.skipif(not os.path.isdir(FASHION_ROOT),
                    reason="Debian package dataset-fashion-mnist not installed")
@pytest.mark.parametrize("train,n", [(True, 60000), (False, 10000)])
def test_fashion_mnist_real_files(train, n):
    ds = FashionMNIST(train=train)
    assert len(ds) == n and ds.data.shape == (n, 28, 28) and ds.data.dtype == np.uint8
    assert ds.targets.shape == (n,) and ds.targets.dtype == np.int32
    np.testing.assert_array_equal(np.bincount(ds.targets), [n // 10] * 10)  # balanced classes
    split = "train" if train else "t10k"
    with gzip.open(os.path.join(FASHION_ROOT, f"{split}-labels-idx1-ubyte.gz")) as f:
        np.testing.assert_array_equal(ds.targets, np.frombuffer(f.read(), np.uint8, offset=8))
    with gzip.open(os.path.join(FASHION_ROOT, f"{split}-images-idx3-ubyte.gz")) as f:
        last = np.frombuffer(f.read(), np.uint8, offset=16)[-784:].reshape(28, 28)
    np.testing.assert_array_equal(ds.data[-1], last)
    assert ds.targets[0] == 9 and ds.classes[9] == "Ankle boot"
    loader = DataLoader(ds, RandomSampler(ds, batch_size=256, drop_last=True, seed=0))
    assert len(loader) == n // 256
    seen = np.concatenate([by for _, by in loader])
    assert len(seen) == n // 256 * 256
