"""kiln.save / kiln.load: checkpoints as plain pickles.

Every kiln Tensor in the saved object (at any depth, Parameters included)
is written as a numpy array, so a checkpoint loads with pickle and numpy
alone, without kiln; ``kiln.load`` returns numpy arrays in their place,
ready for ``load_state_dict``. Modules and optimizers themselves are
refused (TypeError): save their state dicts.
"""
import os
import pickle

from . import _C
from .module import Module
from .optimizer import Optimizer


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, _C.Tensor):
            return obj.numpy().__reduce__()  # exactly how numpy pickles the array
        if isinstance(obj, (Module, Optimizer)):  # would come back holding arrays, not tensors
            raise TypeError(f"kiln.save: cannot save a {type(obj).__name__} object; save its "
                            "state_dict() and load it with load_state_dict()")
        return NotImplemented


def save(obj, f, pickle_protocol=pickle.DEFAULT_PROTOCOL):
    """Pickles obj (e.g. {"model": model.state_dict(), "opt": opt.state_dict()})
    to f, a path or a binary file object."""
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, "wb") as fh:
            _Pickler(fh, protocol=pickle_protocol).dump(obj)
    else:
        _Pickler(f, protocol=pickle_protocol).dump(obj)


def load(f, map_location=None):
    """Unpickles what save wrote, from a path or a binary file object.
    map_location is accepted for MegEngine compatibility; this build loads
    everything onto the CPU, the only device. Like any pickle, only load
    files you trust."""
    if isinstance(f, (str, bytes, os.PathLike)):
        with open(f, "rb") as fh:
            return pickle.load(fh)
    return pickle.load(f)
