"""Embedding: a lookup table of vectors."""
import numpy as np

from .. import functional as F
from ..tensor import Parameter, Tensor
from . import init
from .module import Module


class Embedding(Module):
    """Maps integer indices of any shape to rows of weight, a
    (num_embeddings, embedding_dim) Parameter drawn from N(0, 1) unless
    initial_weight (an array or Tensor of that shape) is given.

    padding_idx (PyTorch's semantics; MegEngine rejects it): that row starts
    as zeros and receives no gradient, so it stays as it is during training.
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, initial_weight=None, **kwargs):
        super().__init__(**kwargs)
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} is out of range for "
                                 f"{self.num_embeddings} embeddings")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        shape = (self.num_embeddings, self.embedding_dim)
        if initial_weight is None:
            self.weight = Parameter(np.zeros(shape, np.float32))
            self.reset_parameters()
        else:
            w = np.array(initial_weight, dtype=np.float32)
            if w.shape != shape:
                raise ValueError(f"Embedding: initial_weight has shape {w.shape}; expected "
                                 f"(num_embeddings, embedding_dim) = {shape}")
            self.weight = Parameter(w)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            w = np.array(self.weight.numpy())
            w[self.padding_idx] = 0
            self.weight._reset(Tensor(w))

    def forward(self, indices):
        rows = F.embedding(indices, self.weight)
        if self.padding_idx is None:
            return rows
        # Padding rows keep their value but pass no gradient: select them from
        # a detached lookup (O(rows), not O(vocabulary)).
        indices = indices if isinstance(indices, Tensor) else Tensor(indices)
        is_padding = F.expand_dims(indices == self.padding_idx, -1)
        return F.where(is_padding, F.embedding(indices, self.weight.detach()), rows)

    def _module_info_string(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        return s if self.padding_idx is None else s + f", padding_idx={self.padding_idx}"
