"""kiln.random: seeded random tensors (MegEngine's names).

Tensors come from the `uniform_random` / `normal_random` ops, whose values
depend only on (seed, stream position, element index): the same on every
backend and thread count. The stream position is a 0-d tensor that every
draw advances, so a traced training step (which replays without Python)
reads and advances it as state: each replay draws new numbers (a new
dropout mask), as eager steps do.
"""
import numpy as np

from . import _C
from .functional._op import apply

_state = {"seed": int(np.random.SeedSequence().entropy % (1 << 62)),
          "position": _C.Tensor(np.zeros((), np.int32))}


def seed(n):
    """Restarts kiln's random stream (initialisation, dropout, samplers)."""
    _state["seed"] = int(n) % (1 << 62)
    _state["position"]._reset(_C.Tensor(np.zeros((), np.int32)))


def _draw(op, **attrs):
    position = _state["position"]
    out = apply(op, position, seed=_state["seed"], **attrs)
    position._reset(position + 1)
    return out


def _shape(size):
    if size is None:
        return []
    return [int(size)] if np.isscalar(size) else [int(s) for s in size]


def normal(mean=0.0, std=1.0, size=None):
    if std < 0:
        raise ValueError(f"normal: std is {std}; expected std >= 0")
    return _draw("normal_random", shape=_shape(size), mean=float(mean), std=float(std))


def uniform(low=0.0, high=1.0, size=None):
    if high < low:
        raise ValueError(f"uniform: low {low} is above high {high}")
    return _draw("uniform_random", shape=_shape(size), low=float(low), high=float(high))


def generator():
    """A numpy Generator seeded from kiln's stream (for samplers and data code)."""
    bits = uniform(size=2).numpy() * (1 << 24)
    return np.random.default_rng([_state["seed"], int(bits[0]), int(bits[1])])
