"""In-place initialisers (MegEngine's kiln.module.init). Each replaces the
tensor's value with ``_reset`` (the handle stays the same) and draws from
kiln.random, so ``kiln.random.seed(n)`` makes initialisation reproducible."""
import math

import numpy as np

from .. import random as _random
from ..functional import full


def fill_(tensor, val):
    """Sets every element of tensor to val."""
    tensor._reset(full(tensor.shape, val, dtype=tensor.dtype))


def zeros_(tensor):
    fill_(tensor, 0)


def ones_(tensor):
    fill_(tensor, 1)


def _cast(t, like):
    return t if t.dtype == like.dtype else t.astype(like.dtype)


def uniform_(tensor, a=0.0, b=1.0):
    """Fills tensor with samples of U(a, b)."""
    tensor._reset(_cast(_random.uniform(a, b, tensor.shape), tensor))


def normal_(tensor, mean=0.0, std=1.0):
    """Fills tensor with samples of N(mean, std^2)."""
    tensor._reset(_cast(_random.normal(mean, std, tensor.shape), tensor))


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity: 1 for linear/conv/sigmoid,
    5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                        "conv_transpose2d", "conv_transpose3d", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight: (out, in) for linear, (out, in, *k) for
    conv, and MegEngine's grouped (groups, out/groups, in/groups, *k), whose
    fan_in is (in/groups) * prod(k) and fan_out out * prod(k)."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"fan_in and fan_out need a tensor of at least 2 dimensions; got shape {shape}")
    if len(shape) == 5:  # grouped convolution weight
        groups, out_per_group, in_per_group = shape[:3]
        receptive = int(np.prod(shape[3:]))
        return in_per_group * receptive, groups * out_per_group * receptive
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} is not supported; expected 'fan_in' or 'fan_out'")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def msra_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-b, b) with b = gain * sqrt(3 / fan) (He/Kaiming), gain from
    calculate_gain(nonlinearity, a)."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(calculate_correct_fan(tensor, mode))
    bound = math.sqrt(3.0) * std
    uniform_(tensor, -bound, bound)


def msra_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan) (He/Kaiming)."""
    normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(calculate_correct_fan(tensor, mode)))
