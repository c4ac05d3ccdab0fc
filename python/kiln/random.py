"""kiln.random: seeded random tensors (MegEngine's names).

Tensors come from the `uniform_random` / `normal_random` ops, whose values
depend only on (seed, element index): the same on every backend and thread
count. Each draw takes the next seed of a stream started by ``seed(n)``.
"""
import numpy as np

from . import _C
from .functional._op import apply

_state = {"seed": int(np.random.SeedSequence().entropy % (1 << 62)), "counter": 0}


def seed(n):
    """Restarts kiln's random stream (initialisation, dropout, samplers)."""
    _state["seed"], _state["counter"] = int(n), 0


def _next_seed():
    _state["counter"] += 1
    mixed = np.random.SeedSequence([_state["seed"] & 0xFFFFFFFF, _state["seed"] >> 32,
                                    _state["counter"]]).generate_state(2, np.uint32)
    return int(mixed[0]) | (int(mixed[1] & 0x7FFFFFFF) << 32)


def _shape(size):
    if size is None:
        return []
    return [int(size)] if np.isscalar(size) else [int(s) for s in size]


def normal(mean=0.0, std=1.0, size=None):
    if std < 0:
        raise ValueError(f"normal: std is {std}; expected std >= 0")
    return apply("normal_random", shape=_shape(size), seed=_next_seed(),
                 mean=float(mean), std=float(std))


def uniform(low=0.0, high=1.0, size=None):
    if high < low:
        raise ValueError(f"uniform: low {low} is above high {high}")
    return apply("uniform_random", shape=_shape(size), seed=_next_seed(),
                 low=float(low), high=float(high))


def generator():
    """A numpy Generator seeded from kiln's stream (for samplers and data code)."""
    return np.random.default_rng(_next_seed())
