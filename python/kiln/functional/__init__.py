"""kiln.functional: MegEngine's functional API. The common nn functions are
also reachable here (F.relu, F.conv2d, ...), as in MegEngine."""
from . import nn
from .elemwise import *  # noqa: F401,F403
from .elemwise import abs, round, pow  # noqa: F401  (shadow builtins on purpose)
from .math import *  # noqa: F401,F403
from .math import sum, max, min  # noqa: F401
from .tensor import *  # noqa: F401,F403
from .nn import (linear, conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d, batch_norm,  # noqa: F401
                 layer_norm, dropout, softmax, logsoftmax, leaky_relu, gelu, silu, embedding,
                 pad, one_hot, cross_entropy, square_loss, l1_loss, binary_cross_entropy,
                 topk_accuracy)
