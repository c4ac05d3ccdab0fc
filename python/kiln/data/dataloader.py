"""DataLoader: iterates a dataset batch by batch."""
import numpy as np

from .collator import default_collate
from .sampler import SequentialSampler


def _callable(obj, name):
    """MegEngine's Transform and Collator objects have ``apply``; plain
    callables are accepted too."""
    if obj is None:
        return None
    fn = getattr(obj, "apply", obj)
    if not callable(fn):
        raise TypeError(f"DataLoader: {name} is a {type(obj).__name__}; expected a callable "
                        "or an object with an apply method")
    return fn


class DataLoader:
    """Yields one batch per index list of sampler (default:
    SequentialSampler(dataset, batch_size=1)); ``len(loader)`` is
    ``len(sampler)``.

    A batch is what collator (default: default_collate) makes of the samples,
    after transform is applied to each; for a dataset of tuples it is a tuple
    of numpy arrays, one per field, stacked on axis 0 (wrap them with
    kiln.tensor). Without transform and collator, a dataset with
    ``get_batch`` (ArrayDataset, FashionMNIST) is indexed once per batch
    with the whole index array. Loading runs in the calling thread.
    """

    def __init__(self, dataset, sampler=None, transform=None, collator=None):
        if not hasattr(dataset, "__getitem__") or not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset is a {type(dataset).__name__}; expected a map-style "
                            "dataset with __getitem__ and __len__")
        self.dataset = dataset
        self.sampler = SequentialSampler(dataset) if sampler is None else sampler
        self.transform = transform
        self.collator = collator
        self._transform = _callable(transform, "transform")
        self._collate = _callable(collator, "collator") or default_collate

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is not None and self.transform is None and self.collator is None:
            for indices in self.sampler:
                yield get_batch(np.asarray(indices, dtype=np.int64))
            return
        dataset, transform, collate = self.dataset, self._transform, self._collate
        for indices in self.sampler:
            samples = [dataset[i] for i in indices]
            if transform is not None:
                samples = [transform(s) for s in samples]
            yield collate(samples)
