"""kiln: a hybrid dynamic/static deep-learning engine (MegEngine's API).

Everything runs eagerly: every value is real, so print, breakpoints and
``.numpy()`` work on any line. See the README for tracing and deployment.
"""
from . import _C
from .tensor import Tensor, Parameter, tensor
from ._C import set_num_threads, get_num_threads
from . import random
from . import functional
from . import module
from . import optimizer
from . import autodiff
from . import data
from .serialization import save, load

__version__ = "0.1.0"


def is_cuda_available():
    """kiln's CUDA backend is not in this build."""
    return False


__all__ = ["Tensor", "Parameter", "tensor", "set_num_threads", "get_num_threads",
           "is_cuda_available", "random", "functional", "module", "optimizer",
           "autodiff", "data", "save", "load"]
