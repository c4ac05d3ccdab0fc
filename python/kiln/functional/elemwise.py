"""Elementwise functions (MegEngine's names). Binary ones promote dtypes as
the Tensor operators do; float functions of integer tensors compute in float32."""
from .. import _C
from ._op import apply

Tensor = _C.Tensor


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _float(x):
    x = _t(x)
    return x if x.dtype == "float32" else apply("cast", x, dtype="float32")


def _float_unary(name):
    def fn(x):
        return apply(name, _float(x))
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name}."
    return fn


def _numeric_unary(name):
    def fn(x):
        x = _t(x)
        if x.dtype not in ("float32", "int32"):
            x = apply("cast", x, dtype="float32" if x.dtype == "float16" else "int32")
        return apply(name, x)
    fn.__name__ = name
    fn.__doc__ = f"Elementwise {name}."
    return fn


exp = _float_unary("exp")
log = _float_unary("log")
log1p = _float_unary("log1p")
expm1 = _float_unary("expm1")
sqrt = _float_unary("sqrt")
sin = _float_unary("sin")
cos = _float_unary("cos")
tanh = _float_unary("tanh")
sigmoid = _float_unary("sigmoid")
erf = _float_unary("erf")
floor = _float_unary("floor")
ceil = _float_unary("ceil")
round = _float_unary("round")  # halves round away from zero, as in MegEngine
abs = _numeric_unary("abs")
neg = _numeric_unary("neg")
square = _numeric_unary("square")
relu = _numeric_unary("relu")
sign = _numeric_unary("sign")


def _lhs(x, y):
    """Puts a tensor on the left so Python scalars adopt its dtype."""
    if isinstance(x, Tensor):
        return x, y, False
    if isinstance(y, Tensor):
        return y, x, True
    return Tensor(x), y, False


def _binary(method, reflected_method):
    """A function of two operands through the Tensor operator `method`, or
    `reflected_method` on y when only y is a tensor (for comparisons, the
    mirrored comparison)."""
    def fn(x, y):
        a, b, swapped = _lhs(x, y)
        return getattr(a, reflected_method if swapped else method)(b)
    return fn


add = _binary("__add__", "__radd__")
sub = _binary("__sub__", "__rsub__")
mul = _binary("__mul__", "__rmul__")
div = _binary("__truediv__", "__rtruediv__")
floor_div = _binary("__floordiv__", "__rfloordiv__")
mod = _binary("__mod__", "__rmod__")
pow = _binary("__pow__", "__rpow__")


equal = _binary("__eq__", "__eq__")
not_equal = _binary("__ne__", "__ne__")
less = _binary("__lt__", "__gt__")
less_equal = _binary("__le__", "__ge__")
greater = _binary("__gt__", "__lt__")
greater_equal = _binary("__ge__", "__le__")


def _bool(x):
    """x as a bool mask (non-zero is true)."""
    x = _t(x)
    if x.dtype == "bool":
        return x
    x = x.astype("float32" if x.dtype.kind == "f" else "int32")
    return apply("not_equal", x, Tensor(0, dtype=x.dtype))


def logical_and(x, y):
    return apply("logical_and", _bool(x), _bool(y))


def logical_or(x, y):
    return apply("logical_or", _bool(x), _bool(y))


def logical_xor(x, y):
    return apply("logical_xor", _bool(x), _bool(y))


def logical_not(x):
    return apply("logical_not", _bool(x))


def _common(x, y):
    """x and y as tensors of the dtype kernels compute their mix in."""
    a, b = _t(x), _t(y)
    if a.dtype == b.dtype and a.dtype in ("float32", "int32"):
        return a, b
    dtype = _C._promote_types(a.dtype, b.dtype)
    if dtype.kind in "biu" and dtype != "int32":
        dtype = "int32"
    if dtype == "float16":
        dtype = "float32"
    return (a if a.dtype == dtype else a.astype(dtype)), (b if b.dtype == dtype else b.astype(dtype))


def maximum(x, y):
    return apply("maximum", *_common(x, y))


def minimum(x, y):
    return apply("minimum", *_common(x, y))


def where(mask, x, y):
    """Elements of x where mask is true, else of y (broadcast together)."""
    a, b = _common(x, y)
    return apply("where", _bool(mask), a, b)


def clip(x, lower=None, upper=None):
    """Clamps x to [lower, upper]; either bound may be None."""
    if lower is None and upper is None:
        raise ValueError("clip: at least one of lower and upper must be given")
    if lower is not None:
        x = maximum(x, lower)
    if upper is not None:
        x = minimum(x, upper)
    return x
