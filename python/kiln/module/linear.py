"""Linear: a fully connected layer."""
import math

import numpy as np

from .. import functional as F
from ..tensor import Parameter
from . import init
from .module import Module


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features)
    and bias (out_features,). As in MegEngine the weight starts as
    N(0, 1 / in_features) and the bias as zeros."""

    def __init__(self, in_features, out_features, bias=True, **kwargs):
        super().__init__(**kwargs)
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"Linear: in_features={in_features} and out_features={out_features}; "
                             "expected positive sizes")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self.weight = Parameter(np.zeros((self.out_features, self.in_features), np.float32))
        self.bias = Parameter(np.zeros((self.out_features,), np.float32)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight, 0.0, math.sqrt(1.0 / self.in_features))
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def _module_info_string(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")

