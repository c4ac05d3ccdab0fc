"""Conv2d, storing MegEngine's parameter layout so MegEngine state dicts load."""
import math

import numpy as np

from .. import functional as F
from ..tensor import Parameter
from . import init
from .module import Module


def _pair(value, name):
    if isinstance(value, int):
        return (value, value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f"Conv2d: {name} must be an int or a pair of ints; got {value}")
    return value


class Conv2d(Module):
    """2-d convolution (cross-correlation) of NCHW input.

    weight has shape (out_channels, in_channels, kh, kw) when groups == 1 and
    (groups, out_channels/groups, in_channels/groups, kh, kw) otherwise; bias
    has shape (1, out_channels, 1, 1). As in MegEngine the weight starts as
    N(0, 1 / (in_channels * kh * kw)) and the bias as zeros.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, **kwargs):
        super().__init__(**kwargs)
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2d: in_channels={in_channels} and out_channels={out_channels} "
                             f"must both be divisible by groups={groups}")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        self.dilation = _pair(dilation, "dilation")
        self.groups = int(groups)
        kh, kw = self.kernel_size
        if groups == 1:
            wshape = (out_channels, in_channels, kh, kw)
        else:
            wshape = (groups, out_channels // groups, in_channels // groups, kh, kw)
        self.weight = Parameter(np.zeros(wshape, np.float32))
        self.bias = Parameter(np.zeros((1, out_channels, 1, 1), np.float32)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        kh, kw = self.kernel_size
        init.normal_(self.weight, 0.0, math.sqrt(1.0 / (self.in_channels * kh * kw)))
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)

    def _module_info_string(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        if self.stride != (1, 1):
            s += f", stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s
