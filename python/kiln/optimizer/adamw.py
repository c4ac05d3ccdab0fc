"""AdamW: Adam with decoupled weight decay (PyTorch's torch.optim.AdamW)."""
from .adam import Adam


class AdamW(Adam):
    """Adam whose weight decay shrinks the parameter directly instead of
    adding to the gradient: first p = p * (1 - lr * weight_decay), then
    Adam's update of p with the raw gradient (PyTorch's formulas)."""

    _decoupled_weight_decay = True

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(params, lr, betas=betas, eps=eps, weight_decay=weight_decay)
