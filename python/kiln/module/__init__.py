"""kiln.module: layers and models (MegEngine's megengine.module)."""
from . import init
from .activation import GELU, Identity, ReLU, Sigmoid
from .batchnorm import BatchNorm1d, BatchNorm2d
from .conv import Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .module import Module, StateDictError
from .normalization import LayerNorm
from .pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from .sequential import Sequential

__all__ = ["Module", "StateDictError", "Sequential", "Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d",
           "LayerNorm", "ReLU", "Sigmoid", "GELU", "Dropout", "MaxPool2d", "AvgPool2d",
           "AdaptiveAvgPool2d", "Embedding", "Identity", "init"]
