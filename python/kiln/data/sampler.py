"""Batch samplers: iterating one yields the index lists of one epoch's
batches (MegEngine's samplers are batch samplers)."""
import numpy as np

from .. import random as _random


class Sampler:
    """Splits ``sample()``'s epoch of indices into lists of batch_size;
    the last, shorter batch is dropped when drop_last. ``len(sampler)`` is
    the number of batches per epoch."""

    def __init__(self, dataset, batch_size=1, drop_last=False):
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"{type(self).__name__}: batch_size is {batch_size!r}; expected a positive int")
        if not isinstance(drop_last, bool):
            raise ValueError(f"{type(self).__name__}: drop_last is {drop_last!r}; expected a bool")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.drop_last = drop_last
        self.num_samples = len(dataset)

    def sample(self):
        """One epoch of indices, as a 1-d integer numpy array."""
        raise NotImplementedError

    def __iter__(self):
        indices = self.sample()
        stop = len(indices) - len(indices) % self.batch_size if self.drop_last else len(indices)
        for start in range(0, stop, self.batch_size):
            yield indices[start:start + self.batch_size].tolist()

    def __len__(self):
        if self.drop_last:
            return self.num_samples // self.batch_size
        return -(-self.num_samples // self.batch_size)


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(dataset) - 1 in order."""

    def sample(self):
        return np.arange(self.num_samples)


class RandomSampler(Sampler):
    """A new random permutation of all indices every epoch (each index once
    per epoch). The sequence of epochs is fixed by seed; with seed=None the
    seed is drawn from kiln.random, so ``kiln.random.seed(n)`` fixes it.
    The permutations are numpy RandomState(seed)'s, as in MegEngine."""

    def __init__(self, dataset, batch_size=1, drop_last=False, seed=None):
        super().__init__(dataset, batch_size, drop_last)
        if seed is None:
            seed = int(_random.generator().integers(2 ** 32))
        self.seed = seed
        self.rng = np.random.RandomState(seed)

    def sample(self):
        return self.rng.permutation(self.num_samples)
