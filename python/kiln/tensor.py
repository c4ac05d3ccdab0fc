"""kiln.Tensor: the C++ handle class with the rest of its Python API.

Arithmetic operators live in C++ (python/src/tensor_py.cc) so the hot path
has no Python frame; here are the methods that compose ops.
"""
import numpy as np

from . import _C
from ._indexing import getitem, setitem

Tensor = _C.Tensor


def tensor(data, dtype=None, device=None):
    """Makes a Tensor from a scalar, nested list, numpy array or Tensor."""
    return Tensor(data, dtype=dtype, device=device)


class Parameter(Tensor):
    """A Tensor that modules register as a trainable parameter."""

    def __init__(self, data, dtype=None, device=None):
        super().__init__(data, dtype=dtype, device=device)


def _F():
    from . import functional
    return functional


def _numpy(self):
    """A read-only numpy view of the tensor's memory (no copy)."""
    if _C.is_tracing() and _C.is_traced(self):
        from .jit.trace import _value_read
        return _value_read(self, "numpy()")
    return self._numpy()


def _repr(self):
    if not _C.has_value(self):  # inside a symbolic trace: printing shows the meta only
        return f"Tensor(shape={self.shape}, dtype={self.dtype}, device={self.device}, symbolic)"
    body = np.array2string(self._numpy(), separator=", ", prefix="Tensor(")
    return f"Tensor({body}, dtype={self.dtype}, device={self.device})"


def _scalar(self, kind):
    if _C.is_tracing() and _C.is_traced(self):
        from .jit.trace import _value_read
        return _value_read(self, kind).reshape(()).item()
    if self.size != 1:
        raise ValueError(f"only a tensor with one element can be converted to a Python {kind}; "
                         f"this one has shape {self.shape}")
    return self.numpy().reshape(()).item()


def _item(self):
    return _scalar(self, "scalar")


def _bool(self):
    return bool(_scalar(self, "bool"))


def _len(self):
    if self.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return self.shape[0]


def _iter(self):
    if _C.is_tracing() and _C.is_traced(self):
        from .jit.trace import _value_read
        _value_read(self, "iteration")
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    for i in range(self.shape[0]):
        yield self[i]


def _array(self, dtype=None):
    a = self.numpy()
    return np.array(a, dtype=dtype) if dtype is not None else np.array(a)


def _astype(self, dtype):
    return _F().astype(self, dtype)


def _reshape(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return _F().reshape(self, shape)


def _transpose(self, *axes):
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = axes[0]
    return _F().transpose(self, axes if axes else None)


def _flatten(self, start_axis=0, end_axis=-1):
    return _F().flatten(self, start_axis, end_axis)


def _reduction(name):
    def method(self, axis=None, keepdims=False):
        return getattr(_F(), name)(self, axis=axis, keepdims=keepdims)
    method.__name__ = name
    return method


def _to(self, device):
    if str(device) not in ("cpu", "cpu0", "xpux"):
        raise ValueError(f"unknown device '{device}': this build of kiln supports 'cpu'")
    return self


def _matmul(self, other):
    return _F().matmul(self, other)


def _rmatmul(self, other):
    return _F().matmul(Tensor(other), self)


def _rebuild(cls, array):
    return cls(array)


def _reduce(self):
    """Pickles (and deep-copies) through a numpy copy; Parameters stay Parameters."""
    return (_rebuild, (type(self), np.array(self.numpy())))


def _deepcopy(self, memo):
    copy = type(self)(np.array(self.numpy()))
    memo[id(self)] = copy
    return copy


def _format(self, spec):
    if self.size == 1 and spec:
        return format(self.item(), spec)
    return repr(self)


for _name, _fn in {
    "__repr__": _repr, "__str__": _repr, "__format__": _format, "__len__": _len,
    "__iter__": _iter, "__array__": _array, "__bool__": _bool,
    "__float__": lambda self: float(_scalar(self, "float")),
    "__int__": lambda self: int(_scalar(self, "int")),
    "__index__": lambda self: int(_scalar(self, "int")),
    "__getitem__": getitem, "__setitem__": setitem,
    "__matmul__": _matmul, "__rmatmul__": _rmatmul,
    "numpy": _numpy, "item": _item, "astype": _astype, "reshape": _reshape, "transpose": _transpose,
    "flatten": _flatten, "to": _to,
    "__reduce__": _reduce, "__deepcopy__": _deepcopy, "__copy__": lambda self: type(self)(self),
    "sum": _reduction("sum"), "mean": _reduction("mean"), "max": _reduction("max"),
    "min": _reduction("min"), "prod": _reduction("prod"),
    "T": property(lambda self: _F().transpose(self, None)),
}.items():
    setattr(Tensor, _name, _fn)
Tensor.__array_priority__ = 1000  # numpy defers `ndarray + Tensor` to Tensor
