"""Dropout."""
from .. import functional as F
from .module import Module


class Dropout(Module):
    """In training, zeroes each element with probability drop_prob (drawn
    from kiln.random) and scales the rest by 1 / (1 - drop_prob); in eval
    mode, the identity."""

    def __init__(self, drop_prob=0.0, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= drop_prob < 1:
            raise ValueError(f"Dropout: drop_prob is {drop_prob}; expected 0 <= drop_prob < 1")
        self.drop_prob = drop_prob

    def forward(self, x):
        if not self.training or self.drop_prob == 0:
            return x
        return F.dropout(x, self.drop_prob, training=True)

    def _module_info_string(self):
        return f"drop_prob={self.drop_prob}"
