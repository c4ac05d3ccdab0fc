"""kiln.optimizer: SGD, Adam and AdamW with PyTorch's update formulas and
MegEngine's interface (param_groups, step, clear_grad, state_dict)."""
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW"]
