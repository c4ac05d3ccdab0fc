"""kiln.random: seeded random tensors (MegEngine's names)."""
import numpy as np

from . import _C

_rng = np.random.default_rng()


def seed(n):
    """Seeds kiln's generator (parameter initialisation, dropout, samplers)."""
    global _rng
    _rng = np.random.default_rng(int(n))


def _shape(size):
    if size is None:
        return ()
    return (int(size),) if np.isscalar(size) else tuple(int(s) for s in size)


def normal(mean=0.0, std=1.0, size=None):
    if std < 0:
        raise ValueError(f"normal: std is {std}; expected std >= 0")
    return _C.Tensor(_rng.normal(mean, std, _shape(size)).astype(np.float32))


def uniform(low=0.0, high=1.0, size=None):
    if high < low:
        raise ValueError(f"uniform: low {low} is above high {high}")
    return _C.Tensor(_rng.uniform(low, high, _shape(size)).astype(np.float32))


def generator():
    """The numpy Generator behind kiln.random (for samplers and data code)."""
    return _rng
