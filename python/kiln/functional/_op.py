"""The path from kiln.functional to the C++ op table.

``op(name, **attrs)`` returns a cached ``_C.Op``: attributes are converted
and checked once per distinct call, not on every call.
"""
from .. import _C

_cache = {}


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def op(name, **attrs):
    key = (name, tuple(sorted((k, _freeze(v)) for k, v in attrs.items())))
    cached = _cache.get(key)
    if cached is None:
        if len(_cache) > 4096:
            _cache.clear()
        cached = _cache[key] = _C.Op(name, **attrs)
    return cached


def apply(name, *inputs, **attrs):
    return _C.apply(op(name, **attrs), *inputs)
