"""Reductions and linear algebra (MegEngine's names)."""
import builtins

from .. import _C
from ._op import apply
from .elemwise import _t, _float, sqrt, abs as _abs, pow as _pow

Tensor = _C.Tensor


def _axes(x, axis):
    if axis is None:
        return []
    axes = [axis] if isinstance(axis, int) else list(axis)
    for a in axes:
        if not -x.ndim <= a < builtins.max(x.ndim, 1):
            raise IndexError(f"axis {a} is out of range for a tensor of shape {x.shape} "
                             f"(expected -{x.ndim} <= axis < {x.ndim})")
    return [a % builtins.max(x.ndim, 1) for a in axes]


def _numeric(x):
    x = _t(x)
    if x.dtype not in ("float32", "int32"):
        x = x.astype("float32" if x.dtype == "float16" else "int32")
    return x


def _reduce(name):
    def fn(inp, axis=None, keepdims=False):
        x = _numeric(inp)
        if name == "mean":
            x = _float(x)
        return apply(name, x, axes=_axes(x, axis), keepdims=keepdims)
    fn.__name__ = name
    fn.__doc__ = f"{name} over `axis` (an int, a list of ints, or None for all)."
    return fn


sum = _reduce("sum")
mean = _reduce("mean")
max = _reduce("max")
min = _reduce("min")
prod = _reduce("prod")


def _arg_reduce(name):
    def fn(inp, axis=None, keepdims=False):
        x = _numeric(inp)
        if axis is None:
            out = apply(name, x.reshape(-1), axis=0, keepdims=False)
            return out.reshape([1] * x.ndim) if keepdims else out
        axes = _axes(x, axis)
        if len(axes) != 1:
            raise ValueError(f"{name}: axis must be an int or None; got {axis} "
                             f"for an input of shape {x.shape}")
        return apply(name, x, axis=axes[0], keepdims=keepdims)
    fn.__name__ = name
    return fn


argmax = _arg_reduce("argmax")
argmin = _arg_reduce("argmin")


def var(inp, axis=None, keepdims=False, ddof=0):
    """Variance (population by default; ddof=1 for the unbiased estimate)."""
    x = _float(inp)
    m = mean(x, axis=axis, keepdims=True)
    d = x - m
    n = 1
    for a in (_axes(x, axis) if axis is not None else range(x.ndim)):
        n *= x.shape[a]
    # as numpy: nan when there are no more elements than ddof
    return sum(d * d, axis=axis, keepdims=keepdims) / float(builtins.max(n - ddof, 0))


def std(inp, axis=None, keepdims=False, ddof=0):
    return sqrt(var(inp, axis=axis, keepdims=keepdims, ddof=ddof))


def norm(inp, ord=2, axis=None, keepdims=False):
    """Vector p-norm over `axis` (all elements when None); ord None is 2,
    0 counts the non-zero elements, inf and -inf are the max and min of |x|."""
    x = _float(inp)
    if ord is None or ord == 2:
        return sqrt(sum(x * x, axis=axis, keepdims=keepdims))
    if ord == 1:
        return sum(_abs(x), axis=axis, keepdims=keepdims)
    if ord in (float("inf"), "inf"):
        return max(_abs(x), axis=axis, keepdims=keepdims)
    if ord in (-float("inf"), "-inf"):
        return min(_abs(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        return sum((x != 0).astype("float32"), axis=axis, keepdims=keepdims)
    return _pow(sum(_pow(_abs(x), ord), axis=axis, keepdims=keepdims), 1.0 / ord)


def matmul(inp1, inp2, transpose_a=False, transpose_b=False):
    """Matrix product with numpy's rules: 1-d operands are promoted to
    matrices and the added dimension removed; batch dimensions broadcast."""
    a, b = _float(inp1), _float(inp2)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must be at least 1-d; got shapes {a.shape} and {b.shape}")
    squeeze_a, squeeze_b = a.ndim == 1, b.ndim == 1
    if squeeze_a or squeeze_b:  # check here so that the message shows the shapes given
        ka = a.shape[0] if squeeze_a else a.shape[-2 if transpose_a else -1]
        kb = b.shape[0] if squeeze_b else b.shape[-1 if transpose_b else -2]
        if ka != kb:
            raise ValueError(f"matmul: inner dimensions differ for a {a.shape} "
                             f"(transpose_a={transpose_a}) and b {b.shape} "
                             f"(transpose_b={transpose_b}); expected a's K={ka} to equal b's K={kb}")
    if squeeze_a:
        a = a.reshape(1, -1)
    if squeeze_b:
        b = b.reshape(-1, 1)
    out = apply("matmul", a, b, transpose_a=transpose_a, transpose_b=transpose_b)
    if squeeze_a or squeeze_b:
        shape = out.shape[:-2] + ((out.shape[-2],) if not squeeze_a else ()) + \
            ((out.shape[-1],) if not squeeze_b else ())
        out = out.reshape(shape)
    return out
