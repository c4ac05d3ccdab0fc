"""Map-style datasets: ``dataset[i]`` is one sample, ``len(dataset)`` their count."""
import numpy as np


class Dataset:
    """Base class of map-style datasets. Subclasses define ``__getitem__``
    (an index -> a sample, usually a tuple of arrays) and ``__len__``.

    A dataset may also define ``get_batch(indices)``, returning the collated
    batch (a tuple of arrays, field by field) for a 1-d integer array of
    indices; DataLoader then fetches a whole batch with one call instead of
    one ``__getitem__`` per sample.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")


class ArrayDataset(Dataset):
    """A dataset over arrays of equal length: sample i is
    ``tuple(a[i] for a in arrays)``, and a batch is ``tuple(a[indices] ...)``
    with numpy fancy indexing. Arrays (or Tensors, lists) are converted with
    np.asarray; numpy arrays are used without a copy."""

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("ArrayDataset: expected at least one array")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        lengths = [len(a) if a.ndim else None for a in self.arrays]
        if None in lengths or len(set(lengths)) != 1:
            shapes = [a.shape for a in self.arrays]
            raise ValueError(f"ArrayDataset: arrays have shapes {shapes}; expected the same length "
                             "along axis 0")

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def __len__(self):
        return len(self.arrays[0])

    def get_batch(self, indices):
        return tuple(a[indices] for a in self.arrays)
