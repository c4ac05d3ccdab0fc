"""Fashion-MNIST from its IDX files (Debian package dataset-fashion-mnist)."""
import gzip
import os
import zlib

import numpy as np

from ..dataset import ArrayDataset

DEFAULT_ROOT = "/usr/share/datasets/fashion-mnist"
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")
_IMAGES_MAGIC, _LABELS_MAGIC = 0x00000803, 0x00000801  # uint8 data, 3 and 1 dimensions


def _read(root, name):
    """The bytes of root/name.gz (or of root/name, uncompressed)."""
    path = os.path.join(root, name)
    if os.path.exists(path + ".gz"):
        path += ".gz"
        try:
            with gzip.open(path, "rb") as f:
                return path, f.read()
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"FashionMNIST: {path} is not a valid gzip file ({e}); "
                             "reinstall the Debian package dataset-fashion-mnist") from None
    if os.path.exists(path):
        with open(path, "rb") as f:
            return path, f.read()
    raise FileNotFoundError(f"FashionMNIST: {path}.gz not found; install the Debian package "
                            f"dataset-fashion-mnist (apt-get install dataset-fashion-mnist) or "
                            f"pass root=<a folder holding the IDX files>")


def _parse_idx(path, data, magic, dims):
    """Checks an IDX file's header (magic number and the expected trailing
    dimensions dims) and payload size; returns the uint8 array."""
    ndim = len(dims) + 1
    header = 4 * (1 + ndim)
    if len(data) < header:
        raise ValueError(f"FashionMNIST: {path} has {len(data)} bytes, fewer than its "
                         f"{header}-byte IDX header; the file is truncated")
    found = int.from_bytes(data[:4], "big")
    if found != magic:
        raise ValueError(f"FashionMNIST: {path} starts with magic number 0x{found:08x}; expected "
                         f"0x{magic:08x} (an IDX file of uint8 with {ndim} dimensions)")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if shape[1:] != tuple(dims):
        raise ValueError(f"FashionMNIST: {path} holds items of shape {shape[1:]}; expected {tuple(dims)}")
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise ValueError(f"FashionMNIST: {path} has {len(data)} bytes; its header {shape} "
                         f"implies {expected}")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


class FashionMNIST(ArrayDataset):
    """The Fashion-MNIST training (60000) or test (10000) set.

    ``data`` holds the images as uint8 (N, 28, 28) and ``targets`` the labels
    as int32 (N,), in [0, 9] (names in ``classes``); sample i is
    ``(data[i], targets[i])``, and DataLoader fetches batches by fancy
    indexing. root defaults to /usr/share/datasets/fashion-mnist, which the
    Debian package dataset-fashion-mnist fills; files are named
    {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]. Missing files raise
    FileNotFoundError, malformed ones ValueError naming the file.
    The arrays are read-only.
    """

    classes = CLASSES

    def __init__(self, root=None, train=True):
        root = DEFAULT_ROOT if root is None else os.fspath(root)
        split = "train" if train else "t10k"
        images = _parse_idx(*_read(root, f"{split}-images-idx3-ubyte"), _IMAGES_MAGIC, (28, 28))
        labels = _parse_idx(*_read(root, f"{split}-labels-idx1-ubyte"), _LABELS_MAGIC, ())
        if len(images) != len(labels):
            raise ValueError(f"FashionMNIST: {root} has {len(images)} {split} images but "
                             f"{len(labels)} labels")
        if labels.size and labels.max() >= len(CLASSES):
            raise ValueError(f"FashionMNIST: {split} labels in {root} contain {labels.max()}; "
                             f"expected values in [0, {len(CLASSES) - 1}]")
        targets = labels.astype(np.int32)
        targets.flags.writeable = False
        super().__init__(images, targets)
        self.root, self.train = root, train

    @property
    def data(self):
        return self.arrays[0]

    @property
    def targets(self):
        return self.arrays[1]
