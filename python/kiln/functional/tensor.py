"""Shape, creation and indexing functions (MegEngine's names)."""
import numpy as np

from .. import _C
from ._op import apply
from .elemwise import _t

Tensor = _C.Tensor


def _axis(op, axis, ndim):
    """axis in [-ndim, ndim) normalized to [0, ndim); IndexError otherwise."""
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise IndexError(f"{op}: axis {axis} is out of range for rank {ndim} "
                         f"(expected {-ndim} <= axis < {ndim})")
    return axis % ndim


def apply_op(name, *inputs, **attrs):
    """Runs a table op by name on tensors (the escape hatch under F)."""
    return apply(name, *inputs, **attrs)


def astype(x, dtype):
    x = _t(x)
    dtype = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if x.dtype == dtype:
        return x
    return apply("cast", x, dtype=dtype)


def reshape(inp, target_shape):
    x = _t(inp)
    shape = [int(target_shape)] if np.isscalar(target_shape) else [int(s) for s in target_shape]
    if tuple(shape) == x.shape:
        return x
    return apply("reshape", x, shape=shape)


def flatten(inp, start_axis=0, end_axis=-1):
    x = _t(inp)
    if x.ndim == 0:
        return reshape(x, (1,))
    start, end = _axis("flatten", start_axis, x.ndim), _axis("flatten", end_axis, x.ndim)
    return reshape(x, x.shape[:start] + (-1,) + x.shape[end + 1:])


def transpose(inp, pattern=None):
    """Permutes axes; pattern None reverses them (as `.T`)."""
    x = _t(inp)
    perm = list(range(x.ndim))[::-1] if pattern is None else [int(p) for p in pattern]
    if perm == list(range(x.ndim)):
        return x
    return apply("transpose", x, perm=perm)


def broadcast_to(inp, shape):
    x = _t(inp)
    shape = [int(s) for s in shape]
    if tuple(shape) == x.shape:
        return x
    return apply("broadcast_to", x, shape=shape)


def expand_dims(inp, axis):
    x = _t(inp)
    axes = [axis] if isinstance(axis, int) else list(axis)
    shape = list(x.shape)
    out_rank = x.ndim + len(axes)
    axes = [_axis("expand_dims", a, out_rank) for a in axes]
    if len(set(axes)) != len(axes):
        raise ValueError(f"expand_dims: axes {list(axis)} repeat an axis of the output rank {out_rank}; "
                         "expected distinct axes")
    for a in sorted(axes):
        shape.insert(a, 1)
    return reshape(x, shape)


def squeeze(inp, axis=None):
    x = _t(inp)
    if axis is None:
        return reshape(x, [s for s in x.shape if s != 1])
    axes = {_axis("squeeze", a, x.ndim) for a in ([axis] if isinstance(axis, int) else axis)}
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"squeeze: axis {a} of shape {x.shape} has size {x.shape[a]}; expected 1")
    return reshape(x, [s for i, s in enumerate(x.shape) if i not in axes])


def concat(inps, axis=0):
    inps = [_t(x) for x in inps]
    if not inps:
        raise ValueError("concat: expected at least one tensor")
    if len(inps) == 1:
        return inps[0]
    return apply("concat", *inps, axis=_axis("concat", axis, inps[0].ndim) if inps[0].ndim else axis)


def stack(inps, axis=0):
    inps = [_t(x) for x in inps]
    if not inps:
        raise ValueError("stack: expected at least one tensor")
    if any(x.shape != inps[0].shape for x in inps):
        raise ValueError(f"stack: input shapes {', '.join(str(x.shape) for x in inps)} differ; "
                         "expected equal shapes")
    return concat([expand_dims(x, axis) for x in inps], axis=axis)


def split(inp, nsplits_or_sections, axis=0):
    """Splits into n equal parts (an int) or at the given indices (a list)."""
    x = _t(inp)
    axis = _axis("split", axis, x.ndim)
    size = x.shape[axis]
    if isinstance(nsplits_or_sections, int):
        n = nsplits_or_sections
        if n <= 0 or size % n:
            raise ValueError(f"split: cannot split axis {axis} of size {size} into {n} equal parts")
        bounds = [size // n * i for i in range(n + 1)]
    else:
        bounds = [0] + [int(s) for s in nsplits_or_sections] + [size]
    index = [slice(None)] * x.ndim
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        index[axis] = slice(lo, hi)
        out.append(x[tuple(index)])
    return out


def _int_index(op, index):
    idx = _t(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op}: index has dtype {idx.dtype}; expected an integer tensor")
    return idx.astype("int32")


def gather(inp, axis, index):
    """out[i][j] = inp[i][index[i][j]] for axis=1 (torch.gather semantics)."""
    x, idx = _t(inp), _int_index("gather", index)
    return apply("gather", x, idx, axis=_axis("gather", axis, x.ndim))


def scatter(inp, axis, index, source):
    """A copy of inp with inp[i][index[i][j]] = source[i][j] for axis=1."""
    x, idx = _t(inp), _int_index("scatter", index)
    return apply("scatter", x, idx, astype(_t(source), x.dtype), axis=_axis("scatter", axis, x.ndim))


def full(shape, value, dtype="float32", device=None):
    shape = [int(shape)] if np.isscalar(shape) else [int(s) for s in shape]
    return apply("fill", value=float(value), shape=shape, dtype=np.dtype(dtype).name)


def zeros(shape, dtype="float32", device=None):
    return full(shape, 0, dtype)


def ones(shape, dtype="float32", device=None):
    return full(shape, 1, dtype)


def full_like(inp, value):
    return full(_t(inp).shape, value, _t(inp).dtype)


def zeros_like(inp):
    return full_like(inp, 0)


def ones_like(inp):
    return full_like(inp, 1)


def arange(start=0, stop=None, step=1, dtype="float32", device=None):
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ValueError(f"arange: step is 0 (start={start}, stop={stop}); expected a non-zero step")
    return Tensor(np.arange(start, stop, step, dtype=np.dtype(dtype)))


def linspace(start, stop, num, dtype="float32", device=None):
    if int(num) < 0:
        raise ValueError(f"linspace: num is {num}; expected num >= 0")
    return Tensor(np.linspace(start, stop, int(num), dtype=np.float64).astype(np.dtype(dtype)))


def copy(inp, device=None):
    """A new tensor with its own memory."""
    return apply("copy", _t(inp))
