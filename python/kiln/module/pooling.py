"""2-d pooling over NCHW input."""
from .. import functional as F
from .module import Module


class _Pool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def _module_info_string(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """Maximum over kernel_size windows moved by stride (kernel_size when
    None); padding adds implicit -inf borders."""

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_Pool2d):
    """Mean over windows. mode "average_count_exclude_padding" (MegEngine's
    default) divides by the number of real elements in each window,
    "average" by the full window size."""

    def __init__(self, kernel_size, stride=None, padding=0, mode="average_count_exclude_padding", **kwargs):
        super().__init__(kernel_size, stride, padding, **kwargs)
        if mode not in ("average_count_exclude_padding", "average"):
            raise ValueError(f"AvgPool2d: unknown mode {mode!r}; expected "
                             "'average_count_exclude_padding' or 'average'")
        self.mode = mode

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.mode)

    def _module_info_string(self):
        return super()._module_info_string() + f", mode={self.mode}"


class AdaptiveAvgPool2d(Module):
    """Averages the input into an oshp = (oh, ow) (or int) output grid, with
    PyTorch's window bounds."""

    def __init__(self, oshp, **kwargs):
        super().__init__(**kwargs)
        self.oshp = oshp

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.oshp)

    def _module_info_string(self):
        return f"oshp={self.oshp}"
