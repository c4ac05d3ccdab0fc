"""numpy indexing for kiln tensors: basic slices become one `slice` view op,
integer and boolean arrays become `index_select` on merged axes, and
assignment scatters into a flattened copy (so it is differentiable)."""
import numpy as np

from . import _C


def _F():
    from . import functional
    return functional


def _is_advanced(item):
    return isinstance(item, (_C.Tensor, np.ndarray, list))


class _Mask:
    """A boolean index, kept whole until its position among the axes is known."""

    def __init__(self, mask):
        self.mask = mask


def _normalize(x, index):
    """Returns the index as a tuple with Ellipsis expanded and bool masks
    turned into integer arrays."""
    if not isinstance(index, tuple):
        index = (index,)
    items = []
    for item in index:
        if isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, (_C.Tensor, np.ndarray)) and item.dtype == np.bool_:
            mask = item.numpy() if isinstance(item, _C.Tensor) else item
            if mask.ndim == 0:
                raise IndexError("indexing with a 0-d boolean is not supported")
            items.append(_Mask(mask))
            continue
        if isinstance(item, np.ndarray) and item.dtype.kind not in "iu":
            raise IndexError(f"arrays used as indices must be integer or bool; got {item.dtype}")
        if isinstance(item, _C.Tensor) and item.dtype.kind not in "iu":
            raise IndexError(f"tensors used as indices must be integer or bool; got {item.dtype}")
        if isinstance(item, (np.integer,)):
            item = int(item)
        if not (item is None or item is Ellipsis or isinstance(item, (int, slice)) or _is_advanced(item)):
            raise IndexError(f"unsupported index {item!r}: expected an int, slice, None, "
                             "Ellipsis, or an integer/bool array or tensor")
        items.append(item)
    consumed = sum(i.mask.ndim if isinstance(i, _Mask) else 1
                   for i in items if i is not None and i is not Ellipsis)
    if consumed > x.ndim:
        raise IndexError(f"too many indices for a tensor of shape {x.shape}: "
                         f"{consumed} given, at most {x.ndim} expected")
    if sum(1 for i in items if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    if Ellipsis in [i for i in items if not _is_advanced(i) and not isinstance(i, _Mask)]:
        pos = next(k for k, i in enumerate(items)
                   if not _is_advanced(i) and not isinstance(i, _Mask) and i is Ellipsis)
        items[pos:pos + 1] = [slice(None)] * (x.ndim - consumed)
    else:
        items += [slice(None)] * (x.ndim - consumed)
    out, dim = [], 0
    for item in items:
        if isinstance(item, _Mask):
            mask = item.mask
            if mask.shape != x.shape[dim:dim + mask.ndim]:
                raise IndexError(f"boolean index of shape {mask.shape} does not match the tensor "
                                 f"of shape {x.shape} at axis {dim}; expected shape "
                                 f"{x.shape[dim:dim + mask.ndim]}")
            out.extend(np.asarray(i, dtype=np.int32) for i in np.nonzero(mask))
            dim += mask.ndim
            continue
        out.append(item)
        if item is not None:
            dim += 1
    return out


def getitem(x, index):
    F = _F()
    items = _normalize(x, index)
    has_advanced = any(_is_advanced(i) for i in items)
    axes, starts, stops, steps = [], [], [], []
    new_shape, advanced = [], []  # advanced: (position in new_shape, index array)
    dim = 0
    for item in items:
        if item is None:
            new_shape.append(1)
            continue
        size = x.shape[dim]
        if isinstance(item, int) and not has_advanced:
            if not -size <= item < size:
                raise IndexError(f"index {item} is out of bounds for axis {dim} with size {size}")
            item %= size
            axes.append(dim); starts.append(item); stops.append(item + 1); steps.append(1)
        elif isinstance(item, slice):
            start, stop, step = item.indices(size)
            if (start, stop, step) != (0, size, 1):
                axes.append(dim); starts.append(start); stops.append(stop); steps.append(step)
            new_shape.append(len(range(start, stop, step)))
        else:
            advanced.append((len(new_shape), dim, item))
            new_shape.append(size)
        dim += 1
    y = x
    if axes:
        y = F.apply_op("slice", y, axes=axes, starts=starts, stops=stops, steps=steps)
    if tuple(new_shape) != y.shape:
        y = F.reshape(y, new_shape)
    if advanced:
        y = _advanced(y, advanced)
    return y


def _as_index(item, size, wrap=True):
    """An int32 tensor of the index with negative values wrapped (checked
    and wrapped later by index_select itself when not `wrap`)."""
    if isinstance(item, _C.Tensor):
        F = _F()
        idx = item.astype("int32")
        if not wrap:
            return idx
        # index_select on arange(size) checks the range (IndexError naming the
        # value) and wraps negative values, without reading the index here
        wrapped = F.apply_op("index_select", F.arange(size, dtype="int32"), F.reshape(idx, (-1,)),
                             axis=0)
        return F.reshape(wrapped, idx.shape)
    arr = np.asarray(item)
    if arr.size and (arr.max() >= size or arr.min() < -size):
        bad = arr.max() if arr.max() >= size else arr.min()
        raise IndexError(f"index {bad} is out of bounds for an axis with size {size}")
    return _C.Tensor(np.where(arr < 0, arr + size, arr).astype(np.int32))


def _advanced(y, advanced):
    """numpy advanced indexing over positions `advanced` of y."""
    F = _F()
    positions = [p for p, _, _ in advanced]
    adjacent = positions == list(range(positions[0], positions[0] + len(positions)))
    if not adjacent:  # numpy puts the indexed dims first
        rest = [a for a in range(y.ndim) if a not in positions]
        y = F.transpose(y, positions + rest)
        positions = list(range(len(positions)))
    first = positions[0]
    sizes = [y.shape[p] for p in positions]
    indices = [_as_index(item, size, wrap=len(advanced) > 1)
               for (_, _, item), size in zip(advanced, sizes)]
    batch = tuple(np.broadcast_shapes(*[i.shape for i in indices]))
    linear = None
    for idx, size in zip(indices, sizes):
        linear = idx if linear is None else linear * size + idx
    merged = int(np.prod(sizes))
    lead, tail = y.shape[:first], y.shape[first + len(positions):]
    y = F.reshape(y, lead + (merged,) + tail)
    linear = F.broadcast_to(linear, batch) if linear.shape != batch else linear
    out = F.apply_op("index_select", y, F.reshape(linear, (-1,)), axis=first)
    return F.reshape(out, lead + batch + tail)


def setitem(x, index, value):
    F = _F()
    positions = F.reshape(F.arange(x.size, dtype="int32"), x.shape)
    selected = getitem(positions, index)
    value = value if isinstance(value, _C.Tensor) else _C.Tensor(np.asarray(value), dtype=x.dtype)
    if value.dtype != x.dtype:
        value = value.astype(x.dtype)
    value = F.broadcast_to(value, selected.shape)
    flat = F.apply_op("scatter", F.reshape(x, (-1,)), F.reshape(selected, (-1,)),
                      F.reshape(value, (-1,)), axis=0)
    x._reset(F.reshape(flat, x.shape))
