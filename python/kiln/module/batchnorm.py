"""Batch normalization (MegEngine's BatchNorm1d/2d)."""
import numpy as np

from .. import functional as F
from ..tensor import Parameter, Tensor
from . import init
from .module import Module


class _BatchNorm(Module):
    """Normalizes each channel (axis 1) by batch statistics in training and
    by the running statistics in eval mode.

    weight, bias, running_mean and running_var all have MegEngine's shape
    (1, C, 1, 1); weight starts at 1, bias and running_mean at 0,
    running_var at 1. In training, the running statistics are updated in
    place as running = momentum * running + (1 - momentum) * batch, with the
    unbiased batch variance (MegEngine's momentum 0.9 is PyTorch's 0.1).
    With track_running_stats=False there are no running statistics and batch
    statistics are used in eval mode too.
    """

    _ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, track_running_stats=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        shape = (1, self.num_features, 1, 1)
        if affine:
            self.weight = Parameter(np.ones(shape, np.float32))
            self.bias = Parameter(np.zeros(shape, np.float32))
        else:
            self.weight = self.bias = None
        if track_running_stats:
            self.running_mean = Tensor(np.zeros(shape, np.float32))
            self.running_var = Tensor(np.ones(shape, np.float32))
        else:
            self.running_mean = self.running_var = None

    def reset_running_stats(self):
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _normalize(self, x):
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=self.training or not self.track_running_stats,
                            momentum=self.momentum, eps=self.eps)

    def forward(self, x):
        if x.ndim not in self._ndims:
            raise ValueError(f"{type(self).__name__}: input has shape {x.shape}; expected "
                             + " or ".join(f"{n}-d" for n in self._ndims) + " input")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}({self.num_features}): input {x.shape} has "
                             f"{x.shape[1]} channels on axis 1")
        return self._normalize(x)

    def _module_info_string(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) input; see _BatchNorm."""

    _ndims = (2, 3)

    def _normalize(self, x):
        if x.ndim == 2:
            return super()._normalize(x)
        n, c, length = x.shape
        return super()._normalize(x.reshape(n, c, length, 1)).reshape(n, c, length)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) input; see _BatchNorm."""

    _ndims = (4,)
